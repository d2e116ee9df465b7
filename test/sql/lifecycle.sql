-- What depends on collections: foreign tables keep their collection from being dropped alone, and the
-- database's collections keep the extension from being dropped alone; CASCADE drops them, transactionally.
SELECT gv_create_collection('life', 2, 'dot');
SELECT gv_create_collection('other', 2, 'dot');
SELECT gv_upsert('life', 'a', '{1,0}') > 0 AS written;
CREATE FOREIGN TABLE life_ft (id text, vector real[]) SERVER govector OPTIONS (collection 'life');
CREATE SCHEMA app;
CREATE FOREIGN TABLE app.life_ft2 (id text) SERVER govector OPTIONS (collection 'life');

-- A collection that foreign tables use: 2BP01, naming them; nothing dropped.
\set VERBOSITY verbose
SELECT gv_drop_collection('life');
\set VERBOSITY default
SELECT gv_count('life'), count(*) AS tables FROM pg_class WHERE relname IN ('life_ft', 'life_ft2');

-- cascade => true drops them too, inside the transaction: ROLLBACK keeps everything.
BEGIN;
SELECT gv_drop_collection('life', cascade => true);
SELECT count(*) AS tables FROM pg_class WHERE relname IN ('life_ft', 'life_ft2');
ROLLBACK;
SELECT gv_count('life'), count(*) AS tables FROM pg_class WHERE relname IN ('life_ft', 'life_ft2');
SELECT gv_drop_collection('life', cascade => true);
SELECT count(*) AS tables FROM pg_class WHERE relname IN ('life_ft', 'life_ft2');
SELECT name FROM gv_collections() WHERE name = 'life';
-- A collection nobody uses drops as before; a missing one with if_exists is no error.
SELECT gv_drop_collection('nobody', if_exists => true);

-- The DDL check works with the empty search_path pg_dump's output sets.
SET search_path = '';
CREATE FOREIGN TABLE public.other_ft (id text, vector real[]) SERVER govector OPTIONS (collection 'other');
RESET search_path;
SELECT gv_drop_collection('other');
DROP FOREIGN TABLE other_ft;

-- As a pg_dump output restores (check_function_bodies = off): the foreign table before its collection, its
-- payload_key column options in a later ALTER. The checks wait for the first query, which makes them.
SET check_function_bodies = false;
CREATE FOREIGN TABLE later_ft (id text, colour text) SERVER govector OPTIONS (collection 'later');
ALTER FOREIGN TABLE ONLY later_ft ALTER COLUMN colour OPTIONS (payload_key 'colour');
RESET check_function_bodies;
SELECT id FROM later_ft;
SELECT gv_create_collection('later', 2, 'dot');
SELECT gv_upsert('later', 'p', '{1,0}', '{"colour": "red"}') > 0 AS written;
SELECT id, colour FROM later_ft;
SELECT gv_drop_collection('later', cascade => true);
-- With the checks on, the same column is refused at CREATE.
CREATE FOREIGN TABLE later_ft (id text, colour text) SERVER govector OPTIONS (collection 'other');

-- DROP EXTENSION while the database has collections: 2BP01, naming them.
\set VERBOSITY verbose
DROP EXTENSION govector;
\set VERBOSITY default
SELECT name FROM gv_collections() ORDER BY name;

-- With CASCADE the collections go with it, in the transaction: ROLLBACK keeps them.
BEGIN;
DROP EXTENSION govector CASCADE;
ROLLBACK;
SELECT name FROM gv_collections() ORDER BY name;
DROP EXTENSION govector CASCADE;
CREATE EXTENSION govector;
SELECT count(*) AS collections_after_recreate FROM gv_collections();
-- Dropping the extension's schema with CASCADE takes the extension, and so the collections.
DROP EXTENSION govector;
CREATE SCHEMA gvschema;
CREATE EXTENSION govector SCHEMA gvschema;
SELECT gvschema.gv_create_collection('in_schema', 2, 'dot');
DROP SCHEMA gvschema CASCADE;
CREATE EXTENSION govector;
SELECT count(*) AS collections_after_schema_drop FROM gv_collections();
DROP SCHEMA app CASCADE;
