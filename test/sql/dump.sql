-- gv_dump: the table pg_dump carries collections and points in. A scan reads them from the engine, an insert
-- writes them to it (transactionally); everything else is refused.
SELECT gv_create_collection('dmp', 3, 'euclid', m => 8, ef_construct => 40, quantization => 'sq8');
SELECT gv_create_payload_index('dmp', 'tag', 'keyword');
SELECT gv_create_payload_index('dmp', 'n', 'integer');
SELECT gv_upsert('dmp', '2', '{1,2,3}', '{"tag": "b", "n": 2}') > 0 AS written;
SELECT gv_upsert('dmp', 'b7f1c9d2-35a8-4e57-9b1e-0c2d4f6a8b10', '{-1.5,0,1e-7}', '{"tag": "u"}') > 0 AS written;
SELECT gv_upsert('dmp', 'name', '{0.1,0.2,0.3}', '{"nested": {"a": [1, 2.5, null, true]}}') > 0 AS written;
SELECT gv_create_collection('dmp_flat', 2, 'manhattan', 'flat');
SELECT gv_upsert('dmp_flat', '1', '{3,4}') > 0 AS written;

-- One definition row per collection, then its points in id order (numbers, UUIDs, strings).
SELECT collection, definition, id, vector, payload FROM gv_dump WHERE collection LIKE 'dmp%';
-- It is what pg_dump reads, and anyone may read it.
\copy (SELECT * FROM gv_dump WHERE collection = 'dmp_flat') TO STDOUT

-- Inserting a definition creates the collection with its settings and payload indexes; points follow.
INSERT INTO gv_dump (collection, definition) VALUES
  ('dmp_copy', '{"dimension": 2, "distance": "dot", "index": "hnsw", "m": 12, "ef_construct": 50, "ef": 30,
    "quantization": "none", "payload_indexes": [{"field": "k", "type": "keyword"}]}');
INSERT INTO gv_dump (collection, id, vector, payload) VALUES
  ('dmp_copy', '1', '{1,0}', '{"k": "x"}'), ('dmp_copy', 'two', '{0,1}', NULL);
SELECT gv_collection_info('dmp_copy') - '{points,indexed_vectors,status,graph_elements,graph_deleted,index_memory_bytes,vector_memory_bytes,pending_memory_bytes,snapshot_pending,disk_bytes,storage_bytes,index_file_bytes}'::text[] AS info;
SELECT id, vector, payload FROM gv_get('dmp_copy', ARRAY['1', 'two']) ORDER BY id;
SELECT id FROM gv_search('dmp_copy', '{1,0.1}', 1, '{"must": [{"key": "k", "match": {"value": "x"}}]}');

-- COPY FROM, as a restore runs it: rows in order, each collection before its points.
COPY gv_dump (collection, definition, id, vector, payload) FROM STDIN;
dmp_copied	{"dimension": 2, "distance": "cosine"}	\N	\N	\N
dmp_copied	\N	7	{3,4}	{"i": 7}
dmp_copied	\N	8	{0.6,0.8}	{}
\.
SELECT gv_collection_info('dmp_copied')->>'index' AS index, id, vector, payload FROM gv_get('dmp_copied', ARRAY['7', '8']);

-- Inside a transaction: ROLLBACK undoes the collection and its points.
BEGIN;
INSERT INTO gv_dump (collection, definition) VALUES ('dmp_rolled', '{"dimension": 2}');
INSERT INTO gv_dump (collection, id, vector) VALUES ('dmp_rolled', '1', '{1,1}');
SELECT count(*) FROM gv_dump WHERE collection = 'dmp_rolled';
ROLLBACK;
SELECT count(*) FROM gv_collections() WHERE name = 'dmp_rolled';

-- Bad rows: clear errors, nothing written.
INSERT INTO gv_dump (collection, definition) VALUES ('dmp_bad', '{"dimension": 2, "shards": 3}');
INSERT INTO gv_dump (collection, definition) VALUES ('dmp_bad', '{"distance": "dot"}');
INSERT INTO gv_dump (collection, definition) VALUES ('dmp_bad', '{"dimension": -2}');
INSERT INTO gv_dump (collection, definition) VALUES ('dmp_bad', '[2]');
INSERT INTO gv_dump (collection, definition) VALUES ('dmp_bad', '{"dimension": 2, "payload_indexes": [{"field": "k"}]}');
INSERT INTO gv_dump (collection, definition, id) VALUES ('dmp_bad', '{"dimension": 2}', '1');
INSERT INTO gv_dump (collection, definition) VALUES ('dmp', '{"dimension": 3}');
INSERT INTO gv_dump (collection, id, vector) VALUES ('dmp_copy', '3', NULL);
INSERT INTO gv_dump (collection, id, vector) VALUES ('dmp_copy', '3', '{1,2,3}');
INSERT INTO gv_dump (collection, id, vector) VALUES ('dmp_none', '3', '{1,2}');
INSERT INTO gv_dump (id, vector) VALUES ('3', '{1,2}');
SELECT count(*) FROM gv_collections() WHERE name = 'dmp_bad';
SELECT gv_count('dmp_copy');

-- Refused: changing rows in place, locks, indexes, TRUNCATE, other tables on its access method.
UPDATE gv_dump SET payload = '{}' WHERE collection = 'dmp';
DELETE FROM gv_dump WHERE collection = 'dmp';
SELECT * FROM gv_dump WHERE collection = 'dmp' FOR UPDATE;
TRUNCATE gv_dump;
CREATE INDEX ON gv_dump (collection);
CREATE TABLE mine (x int) USING govector_dump;
SELECT gv_count('dmp');
\set VERBOSITY sqlstate
DELETE FROM gv_dump;
TRUNCATE gv_dump;
INSERT INTO gv_dump (collection, definition) VALUES ('dmp_bad', '{"dimension": 2, "shards": 3}');
INSERT INTO gv_dump (collection, id, vector) VALUES ('dmp_copy', '3', NULL);
\set VERBOSITY default

-- Maintenance runs over it: it has nothing to vacuum or analyze.
VACUUM gv_dump;
ANALYZE gv_dump;
VACUUM FULL gv_dump;
SELECT count(*) FROM gv_dump WHERE collection = 'dmp';

-- Writing through gv_dump needs INSERT on it; reading does not.
CREATE ROLE dump_reader;
SET ROLE dump_reader;
SELECT count(*) FROM gv_dump WHERE collection = 'dmp_flat';
INSERT INTO gv_dump (collection, id, vector) VALUES ('dmp_flat', '9', '{1,1}');
RESET ROLE;
DROP ROLE dump_reader;

-- Sizes on disk: each collection's (its points' pages, and its index files once the background snapshot
-- has written them) and the database's total.
SELECT name, (info->>'storage_bytes')::bigint > 0 AS has_pages,
       (info->>'disk_bytes')::bigint = (info->>'storage_bytes')::bigint + (info->>'index_file_bytes')::bigint
         AS disk_is_the_sum
  FROM (SELECT name, gv_collection_info(name) AS info FROM gv_collections() WHERE name LIKE 'dmp%') s ORDER BY name;
SELECT gv_total_size() > 0 AS total_positive;

SELECT gv_drop_collection(name) FROM gv_collections() WHERE name LIKE 'dmp%' ORDER BY name;
SELECT gv_total_size() AS total_after_drops;
SELECT count(*) FROM gv_dump;
