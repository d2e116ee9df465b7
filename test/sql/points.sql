-- Points: upsert, get, delete, count, scroll, payload operations, ids of every kind, and bad input.
SELECT gv_create_collection('pts', 3, 'euclid');

-- Ids: unsigned integers and UUIDs keep their kind; anything else is a string id.
SELECT gv_upsert('pts', '1', '{1,0,0}', '{"color": "red", "size": 10}') > 0 AS versioned;
SELECT gv_upsert('pts', '550E8400-E29B-41D4-A716-446655440000', '{0,1,0}', '{"color": "blue"}') > 0 AS versioned;
SELECT gv_upsert('pts', 'doc-7', '{0,0,1}') > 0 AS versioned;
SELECT gv_upsert('pts', '18446744073709551615', '{1,1,1}', NULL) > 0 AS versioned;
SELECT id, vector, payload FROM gv_get('pts', ARRAY['doc-7', '1', '550e8400-e29b-41d4-a716-446655440000', '18446744073709551615', 'missing']);

-- Versions: strictly increasing, one per batch.
SELECT gv_upsert_batch('pts', ARRAY['10','11','12'], ARRAY[[1,2,3],[4,5,6],[7,8,9]]::real[],
                       ARRAY['{"n": 10}', '{"n": 11}', NULL]::jsonb[]) AS batch_version \gset
SELECT count(DISTINCT version) AS versions, min(version) = :batch_version AS same_version
FROM gv_get('pts', ARRAY['10','11','12']);
SELECT gv_upsert('pts', '10', '{3,2,1}') > :batch_version AS newer;
SELECT vector, payload FROM gv_get('pts', ARRAY['10']);
SELECT gv_count('pts');

-- Scroll: id order (numbers, then UUIDs, then strings), keyset pages with "after".
SELECT id FROM gv_scroll('pts');
SELECT id FROM gv_scroll('pts', lim => 2);
SELECT id FROM gv_scroll('pts', lim => 2, after => '10');
SELECT id FROM gv_scroll('pts', filter => '{"color": "red"}');

-- Payloads: merge, overwrite, delete keys, clear.
SELECT gv_set_payload('pts', ARRAY['1', 'missing'], '{"size": 11, "tags": ["a", "b"]}');
SELECT payload FROM gv_get('pts', ARRAY['1']);
SELECT gv_set_payload('pts', ARRAY['1'], '{"only": true}', overwrite => true);
SELECT payload FROM gv_get('pts', ARRAY['1']);
SELECT gv_set_payload('pts', ARRAY['10', '11'], '{"color": "green", "size": 3}');
SELECT gv_delete_payload('pts', ARRAY['10', '11'], ARRAY['size']);
SELECT id, payload FROM gv_get('pts', ARRAY['10', '11']);
SELECT gv_clear_payload('pts', ARRAY['10']);
SELECT payload FROM gv_get('pts', ARRAY['10']);

-- Delete by id and by filter.
SELECT gv_delete('pts', ARRAY['11', '11', 'never-there']);
SELECT gv_delete_where('pts', '{"must": [{"key": "color", "match": {"value": "blue"}}]}');
SELECT gv_count('pts');
SELECT gv_delete('pts', ARRAY[]::text[]);

-- Bad input: a clear error, and nothing changes.
SELECT gv_upsert('pts', '20', '{1,2}');
SELECT gv_upsert('pts', '20', '{1,2,3,4}');
SELECT gv_upsert('pts', '20', '{}');
SELECT gv_upsert('pts', '20', '{1,NaN,3}');
SELECT gv_upsert('pts', '20', '{1,2,Infinity}');
SELECT gv_upsert('pts', '20', '{1,NULL,3}');
SELECT gv_upsert('pts', '20', '{{1,2,3}}');
SELECT gv_upsert('pts', '20', NULL);
SELECT gv_upsert('pts', NULL, '{1,2,3}');
SELECT gv_upsert('pts', '', '{1,2,3}');
SELECT gv_upsert('pts', repeat('x', 257), '{1,2,3}');
SELECT gv_upsert('pts', '20', '{1,2,3}', '[1,2]');
SELECT gv_upsert('nope', '20', '{1,2,3}');
-- Payload numbers are 64-bit integers or doubles: one that would read back as another number is refused.
SELECT gv_upsert('pts', '20', '{1,2,3}', '{"x": 123456789012345678901234567890}');
SELECT gv_upsert('pts', '20', '{1,2,3}', '{"x": [1e400]}');
SELECT gv_set_payload('pts', '{1}', '{"x": 18446744073709551616}');
\set VERBOSITY sqlstate
SELECT gv_upsert('pts', '20', '{1,2,3}', '{"x": 123456789012345678901234567890}');
\set VERBOSITY default
-- An unknown collection is an error even when there is nothing to change.
SELECT gv_delete('nope', '{}');
SELECT gv_set_payload('nope', '{}', '{}');
SELECT gv_delete_payload('nope', '{}', '{a}');
SELECT gv_clear_payload('nope', '{}');
SELECT gv_upsert_batch('pts', ARRAY['20','21'], '{{1,2,3},{4,5,NaN}}'::real[]);
SELECT gv_upsert_batch('pts', ARRAY['20','21'], ARRAY[[1,2,3]]::real[]);
SELECT gv_upsert_batch('pts', ARRAY['20','21'], ARRAY[1,2,3,4,5,6]::real[]);
SELECT gv_upsert_batch('pts', ARRAY['20',NULL], ARRAY[[1,2,3],[4,5,6]]::real[]);
SELECT gv_upsert_batch('pts', ARRAY['20','21'], ARRAY[[1,2,3],[4,5,6]]::real[], ARRAY['{}']::jsonb[]);
SELECT gv_get('pts', ARRAY['20', '21']);
SELECT gv_count('pts');
SELECT gv_scroll('pts', lim => 0);
SELECT gv_scroll('pts', lim => -1);
SELECT gv_delete_where('pts', NULL);
SELECT gv_set_payload('pts', ARRAY['1'], '[1]');

-- ROLLBACK undoes engine writes (test/sql/transactions.sql has the rest of the transaction semantics).
BEGIN;
SELECT gv_upsert('pts', '30', '{3,3,3}') > 0 AS written;
ROLLBACK;
SELECT id FROM gv_get('pts', ARRAY['30']);

-- A transaction's writes are visible inside it at once, and to everyone after COMMIT.
BEGIN;
SELECT gv_upsert('pts', '31', '{3,1,3}') > 0 AS written;
SELECT count(*) FROM gv_get('pts', ARRAY['31']);
COMMIT;
SELECT count(*) FROM gv_get('pts', ARRAY['31']);

-- Denormal components under cosine: kept as written, scored normalised (in double): finite, found first.
SELECT gv_create_collection('tiny', 3, 'cosine', 'flat');
SELECT gv_upsert('tiny', 'd', '{1e-45,1e-45,1e-45}') > 0 AS written;
SELECT gv_upsert('tiny', 'e', '{0,1,0}') > 0 AS written;
SELECT v AS component FROM gv_get('tiny', ARRAY['d']) g, unnest(g.vector) v;
SELECT id, round(score::numeric, 4) AS score FROM gv_search('tiny', '{1e-45,1e-45,1e-45}', 2);
SELECT gv_drop_collection('tiny');

SELECT gv_drop_collection('pts');
