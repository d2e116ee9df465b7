-- Search: scores per distance, k, ef, exact, and filters through gv_search and gv_count.
SELECT gv_create_collection('s_cosine', 2, 'cosine');
SELECT gv_create_collection('s_dot', 2, 'dot');
SELECT gv_create_collection('s_euclid', 2, 'euclid');
SELECT gv_create_collection('s_manhattan', 2, 'manhattan', 'flat');
SELECT gv_upsert_batch(c, ARRAY['1','2','3'], ARRAY[[2,0],[1,1],[-1,0.5]]::real[],
                       ARRAY['{"name": "east", "n": 1}', '{"name": "north-east", "n": 2}', '{"name": "west", "n": 3}']::jsonb[]) > 0
FROM unnest(ARRAY['s_cosine', 's_dot', 's_euclid', 's_manhattan']) AS c;

-- Cosine and dot: similarity, higher first. Euclid and Manhattan: distance, lower first.
SELECT 'cosine' AS distance, id, round(score::numeric, 4) AS score FROM gv_search('s_cosine', '{1,0}', 3);
SELECT 'dot' AS distance, id, round(score::numeric, 4) AS score FROM gv_search('s_dot', '{1,0}', 3);
SELECT 'euclid' AS distance, id, round(score::numeric, 4) AS score FROM gv_search('s_euclid', '{1,0}', 3);
SELECT 'manhattan' AS distance, id, round(score::numeric, 4) AS score FROM gv_search('s_manhattan', '{1,0}', 3);
-- Cosine vectors are kept as written (the index and the scores use them normalised).
SELECT vector FROM gv_get('s_cosine', ARRAY['1']);

-- exact and ef give the same answers on a small collection; payload and version come back.
SELECT id, round(score::numeric, 4) AS score, payload, version > 0 AS versioned
FROM gv_search('s_euclid', '{0,0}', k => 2, ef => 5, exact => true);
SELECT id FROM gv_search('s_euclid', '{0,0}', k => 2, ef => 200);
SET govector.ef_search = 32;
SELECT id FROM gv_search('s_euclid', '{0,0}', k => 1);
RESET govector.ef_search;

-- Filters: Qdrant's grammar, or an object the payload must contain.
SELECT id FROM gv_search('s_euclid', '{0,0}', 10, '{"name": "west"}');
SELECT id FROM gv_search('s_euclid', '{0,0}', 10, '{"must": [{"key": "n", "range": {"gte": 2}}]}');
SELECT id FROM gv_search('s_euclid', '{0,0}', 10, '{"must_not": [{"has_id": [1, 3]}]}');
SELECT id FROM gv_search('s_euclid', '{0,0}', 10, '{"should": [{"key": "name", "match": {"prefix": "north"}}, {"key": "n", "match": {"value": 3}}]}');
SELECT id FROM gv_search('s_euclid', '{0,0}', 10, '{}');
SELECT gv_count('s_euclid', '{"must": [{"key": "name", "match": {"text": "east"}}]}');
SELECT gv_count('s_euclid', '{"n": 2}');

-- Search by a stored point's id: its vector is the query, and the point itself is not returned.
SELECT id, round(score::numeric, 4) AS score FROM gv_search_by_id('s_euclid', '1', 2);
SELECT id FROM gv_search_by_id('s_euclid', '2', 10, '{"name": "west"}', exact => true);
SELECT * FROM gv_search_by_id('s_euclid', '99');
SELECT * FROM gv_search_by_id('nope', '1');
SELECT * FROM gv_search_by_id('s_euclid', NULL);

-- Bad input.
SELECT * FROM gv_search('s_euclid', '{0,0}', 0);
SELECT * FROM gv_search('s_euclid', '{0,0}', 10001);
SELECT * FROM gv_search('s_euclid', '{0,0}', -1);
SELECT * FROM gv_search('s_euclid', '{0,0}', 10, NULL, 0);
SELECT * FROM gv_search('s_euclid', '{0,0,0}');
SELECT * FROM gv_search('s_euclid', '{0,NaN}');
SELECT * FROM gv_search('s_cosine', '{0,0}');
SELECT * FROM gv_search('s_euclid', NULL);
SELECT * FROM gv_search('nope', '{0,0}');
SELECT * FROM gv_search('s_euclid', '{0,0}', 10, '[1,2]');
SELECT * FROM gv_search('s_euclid', '{0,0}', 10, '{"must": [{"key": "n", "match": {"fuzzy": 1}}]}');
SELECT * FROM gv_search('s_euclid', '{0,0}', 10, '{"must": [{"key": "n", "kind": "x"}]}');
SELECT * FROM gv_search('s_euclid', '{0,0}', 10, '{"must": [{"key": "name", "match": {"regex": "(unclosed"}}]}');
SELECT * FROM gv_search('s_euclid', '{0,0}', 10, '{"must": [{"teleport": {}}]}');
SELECT gv_count('s_euclid', '{"must": {"key": "n", "range": {"gt": "soon"}}}');

SELECT gv_drop_collection(c) FROM unnest(ARRAY['s_cosine', 's_dot', 's_euclid', 's_manhattan']) AS c;
