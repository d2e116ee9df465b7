-- ALTER EXTENSION govector UPDATE from 0.1.0 (its SQL is kept in sql/): collections and points are the
-- engine's and stay as they are; the update adds what 0.2.0 has.
SELECT count(*) AS collections FROM gv_collections();
DROP EXTENSION govector;
CREATE EXTENSION govector VERSION '0.1.0';
SELECT extversion FROM pg_extension WHERE extname = 'govector';
SELECT gv_create_collection('upg', 2, 'euclid');
SELECT gv_create_payload_index('upg', 'k', 'keyword');
SELECT gv_upsert('upg', i::text, ARRAY[i, -i]::real[], jsonb_build_object('k', 'v' || i)) > 0 AS written
  FROM generate_series(1, 3) i;
CREATE FOREIGN TABLE upg_ft (id text, vector real[], k text OPTIONS (payload_key 'k'))
  SERVER govector OPTIONS (collection 'upg');
-- 0.1.0 has no gv_dump.
SELECT count(*) FROM pg_class WHERE relname = 'gv_dump';

ALTER EXTENSION govector UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'govector';
SELECT * FROM upg_ft ORDER BY id;
SELECT id, score FROM gv_search('upg', '{2,-2}', 2);
SELECT collection, definition->'payload_indexes' AS payload_indexes, id, vector FROM gv_dump WHERE collection = 'upg';
-- What 0.2.0 added: gv_drop_collection's cascade, and it is still refused without it.
SELECT gv_drop_collection('upg');
SELECT gv_drop_collection('upg', cascade => true);
SELECT count(*) AS tables FROM pg_class WHERE relname = 'upg_ft';
-- An updated extension is the same as a new one: no object differs.
SELECT count(*) AS objects FROM pg_depend d JOIN pg_extension e ON d.refobjid = e.oid AND e.extname = 'govector'
  WHERE d.deptype = 'e' \gset updated_
DROP EXTENSION govector;
CREATE EXTENSION govector;
SELECT count(*) = :updated_objects AS same_objects FROM pg_depend d JOIN pg_extension e ON d.refobjid = e.oid
  AND e.extname = 'govector' WHERE d.deptype = 'e';
