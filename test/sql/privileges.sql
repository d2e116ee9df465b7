-- Writing and administration need a GRANT; reading is open to every role.
SELECT gv_create_collection('guarded', 2);
SELECT gv_upsert('guarded', '1', '{1,0}') > 0 AS written;
CREATE ROLE gv_reader;
CREATE ROLE gv_writer;
GRANT EXECUTE ON FUNCTION gv_upsert(text, text, real[], jsonb), gv_delete(text, text[]) TO gv_writer;

SET ROLE gv_reader;
SELECT id FROM gv_search('guarded', '{1,0}', 1);
SELECT gv_count('guarded');
SELECT gv_upsert('guarded', '2', '{0,1}');
SELECT gv_create_collection('sneaky', 2);
SELECT gv_drop_collection('guarded');
-- gv_engine_status: this database's totals, no data directory, no cluster-wide figures.
SELECT s ? 'data_directory' AS sees_directory, s ? 'cluster' AS sees_cluster, s ? 'storage_bytes' AS sees_disk,
       (s->>'collections')::int = (SELECT count(*) FROM gv_collections()) AS own_collections,
       (s->>'points')::bigint = (SELECT sum(points) FROM gv_collections()) AS own_points
FROM (SELECT gv_engine_status() AS s) t;
RESET ROLE;
-- A superuser (or pg_read_all_settings) sees them.
SELECT s ? 'data_directory' AS sees_directory, (s->'cluster'->>'collections')::int >= (s->>'collections')::int AS sees_cluster
FROM (SELECT gv_engine_status() AS s) t;
GRANT pg_read_all_settings TO gv_reader;
SET ROLE gv_reader;
SELECT gv_engine_status() ? 'data_directory' AS sees_directory;
RESET ROLE;
REVOKE pg_read_all_settings FROM gv_reader;

SET ROLE gv_writer;
SELECT gv_upsert('guarded', '2', '{0,1}') > 0 AS written;
SELECT gv_delete('guarded', ARRAY['2']);
SELECT gv_drop_collection('guarded');
RESET ROLE;

SELECT gv_drop_collection('guarded');
DROP ROLE gv_reader;
REVOKE ALL ON FUNCTION gv_upsert(text, text, real[], jsonb), gv_delete(text, text[]) FROM gv_writer;
DROP ROLE gv_writer;

-- Writes through a foreign table need the write functions' privileges too: a role with USAGE on the server
-- (and its own foreign table) but no EXECUTE on gv_upsert / gv_delete cannot write. 42501, nothing written.
SELECT gv_create_collection('guarded_ft', 2);
SELECT gv_upsert('guarded_ft', '1', '{1,0}') > 0 AS written;
CREATE ROLE gv_sneak;
GRANT USAGE ON FOREIGN SERVER govector TO gv_sneak;
GRANT CREATE ON SCHEMA public TO gv_sneak;
SET ROLE gv_sneak;
CREATE FOREIGN TABLE sneak_ft (id text, vector real[], payload jsonb) SERVER govector OPTIONS (collection 'guarded_ft');
SELECT id FROM sneak_ft;
INSERT INTO sneak_ft (id, vector) VALUES ('2', '{0,1}');
COPY sneak_ft (id, vector) FROM STDIN;
3	{1,1}
\.
UPDATE sneak_ft SET payload = '{"x": 1}' WHERE id = '1';
DELETE FROM sneak_ft WHERE id = '1';
DELETE FROM sneak_ft WHERE payload @> '{"x": 1}';
RESET ROLE;
SELECT id, payload FROM gv_scroll('guarded_ft');
-- With the grants, the same statements write.
GRANT EXECUTE ON FUNCTION gv_upsert(text, text, real[], jsonb), gv_delete(text, text[]) TO gv_sneak;
SET ROLE gv_sneak;
INSERT INTO sneak_ft (id, vector) VALUES ('2', '{0,1}');
UPDATE sneak_ft SET payload = '{"x": 1}' WHERE id = '1';
DELETE FROM sneak_ft WHERE payload @> '{"x": 1}';
RESET ROLE;
SELECT id, payload FROM gv_scroll('guarded_ft');
DROP FOREIGN TABLE sneak_ft;
SELECT gv_drop_collection('guarded_ft');
REVOKE ALL ON FUNCTION gv_upsert(text, text, real[], jsonb), gv_delete(text, text[]) FROM gv_sneak;
REVOKE ALL ON SCHEMA public FROM gv_sneak;
REVOKE ALL ON FOREIGN SERVER govector FROM gv_sneak;
DROP ROLE gv_sneak;
