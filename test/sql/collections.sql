-- Collections: create, list, info, drop, and every way to get them wrong.
-- The library is preloaded: its settings exist before the extension does, in a session that has called
-- nothing of govector's.
SHOW govector.ef_search;
SELECT name, context FROM pg_settings WHERE name IN ('govector.index_threads', 'govector.commit_wait') ORDER BY name;
CREATE EXTENSION govector;

SELECT gv_create_collection('items', 3);
SELECT gv_create_collection('flat_euclid', 2, 'euclid', 'flat');
SELECT gv_create_collection('tuned', 4, 'Dot', 'hnsw', m => 8, ef_construct => 64, quantization => 'sq8');
SELECT * FROM gv_collections() ORDER BY name;

SELECT info->>'name' AS name, info->>'dimension' AS dimension, info->>'distance' AS distance,
       info->>'index' AS index, info->>'m' AS m, info->>'ef_construct' AS ef_construct,
       info->>'quantization' AS quantization, info->>'points' AS points, info->>'status' AS status
FROM (SELECT gv_collection_info('tuned') AS info) s;
-- A flat collection has no graph: m is 0, as the HTTP API (Qdrant) reports it.
SELECT gv_collection_info('flat_euclid')->>'m' AS flat_m;

-- Mistakes: each a clear error with its SQLSTATE, and nothing created.
\set VERBOSITY default
SELECT gv_create_collection('items', 3);
SELECT gv_create_collection('bad name', 3);
SELECT gv_create_collection('semi;colon', 3);
SELECT gv_create_collection(repeat('x', 256), 3);
SELECT gv_create_collection('zero', 0);
SELECT gv_create_collection('huge', 16001);
SELECT gv_create_collection('negative', -5);
SELECT gv_create_collection('d', 3, 'hamming');
SELECT gv_create_collection('i', 3, 'cosine', 'ivf');
SELECT gv_create_collection('q', 3, 'cosine', 'hnsw', quantization => 'pq');
SELECT gv_create_collection('e1', 3, '');
SELECT gv_create_collection('e2', 3, 'cosine', '');
SELECT gv_create_collection('e3', 3, 'cosine', 'hnsw', quantization => '');
SELECT gv_create_collection('m', 3, m => 1);
SELECT gv_create_collection('efc', 3, ef_construct => 0);
SELECT gv_create_collection(NULL, 3);
SELECT gv_create_collection('nulldim', NULL);
SELECT gv_collection_info('nope');
SELECT count(*) AS collections FROM gv_collections();

-- The limits themselves are accepted.
SELECT gv_create_collection(repeat('x', 255), 16000, 'manhattan', 'flat');
SELECT gv_drop_collection(repeat('x', 255));

-- SQLSTATEs, as applications see them.
DO $$
DECLARE
  state text;
BEGIN
  BEGIN PERFORM gv_create_collection('items', 3); EXCEPTION WHEN OTHERS THEN GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE; RAISE NOTICE 'duplicate: %', state; END;
  BEGIN PERFORM gv_collection_info('nope'); EXCEPTION WHEN OTHERS THEN GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE; RAISE NOTICE 'unknown: %', state; END;
  BEGIN PERFORM gv_create_collection('x', 0); EXCEPTION WHEN OTHERS THEN GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE; RAISE NOTICE 'bad dimension: %', state; END;
  BEGIN PERFORM gv_create_collection('x', 3, 'hamming'); EXCEPTION WHEN OTHERS THEN GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE; RAISE NOTICE 'bad distance: %', state; END;
END $$;

-- Drop: true when it existed; an error for a missing one unless if_exists.
SELECT gv_drop_collection('flat_euclid');
SELECT gv_drop_collection('flat_euclid');
SELECT gv_drop_collection('flat_euclid', if_exists => true);
SELECT gv_drop_collection('tuned');
SELECT gv_drop_collection('items');
SELECT count(*) AS collections FROM gv_collections();

-- The engine is there and reports on itself.
SELECT (s->>'pid')::int > 0 AS has_pid, s->>'version' AS version, s ? 'uptime' AS has_uptime,
       (s->'memory'->>'rss_bytes')::bigint > 0 AS has_memory, s ? 'collections' AS has_collections
FROM (SELECT gv_engine_status() AS s) t;
SHOW govector.ef_search;
SHOW govector.engine_timeout;
