-- Collections belong to the database they were created in.
SELECT gv_create_collection('shared_name', 2);
SELECT gv_upsert('shared_name', '1', '{1,0}', '{"db": "first"}') > 0 AS written;
CREATE DATABASE gv_other;
\c gv_other
CREATE EXTENSION govector;
SELECT count(*) AS visible FROM gv_collections();
SELECT gv_count('shared_name');
SELECT gv_create_collection('shared_name', 3);
SELECT gv_upsert('shared_name', '1', '{0,1,0}', '{"db": "second"}') > 0 AS written;
SELECT name, dimension FROM gv_collections();
SELECT payload FROM gv_get('shared_name', ARRAY['1']);
\c gv_regress
SELECT name, dimension FROM gv_collections();
SELECT payload FROM gv_get('shared_name', ARRAY['1']);
SELECT gv_drop_collection('shared_name');
\c gv_other
SELECT name FROM gv_collections();
SELECT gv_drop_collection('shared_name');
\c gv_regress
DROP DATABASE gv_other;
