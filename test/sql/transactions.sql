-- Vector writes follow the transaction that makes them: logged in WAL, applied at COMMIT, undone by ROLLBACK;
-- the writing transaction sees its own writes, other sessions see them once COMMIT has returned.
SELECT gv_create_collection('tx', 3, 'euclid', 'flat');

-- ROLLBACK undoes a write, which the transaction itself saw.
BEGIN;
SELECT gv_upsert('tx', 'a', '{1,0,0}') > 0 AS written;
SELECT id, vector FROM gv_get('tx', ARRAY['a']);
SELECT gv_count('tx');
SELECT id FROM gv_search('tx', '{1,0,0}', 5);
ROLLBACK;
SELECT count(*) FROM gv_get('tx', ARRAY['a']);
SELECT gv_count('tx');

-- COMMIT makes it visible; the version it returned is the version stored.
BEGIN;
SELECT gv_upsert('tx', 'b', '{0,1,0}', '{"n": 1}') AS v \gset
COMMIT;
SELECT id, payload, version = :v AS same_version FROM gv_get('tx', ARRAY['b']);

-- ROLLBACK TO SAVEPOINT undoes only what came after the savepoint; RELEASE keeps it.
BEGIN;
SELECT gv_upsert('tx', 'c', '{0,0,1}') > 0 AS written;
SAVEPOINT s1;
SELECT gv_upsert('tx', 'd', '{1,1,0}') > 0 AS written;
SELECT gv_delete('tx', ARRAY['b']);
SELECT id FROM gv_scroll('tx') ORDER BY id;
ROLLBACK TO SAVEPOINT s1;
SELECT id FROM gv_scroll('tx') ORDER BY id;
SAVEPOINT s2;
SELECT gv_set_payload('tx', ARRAY['c'], '{"k": "v"}') > 0 AS written;
RELEASE SAVEPOINT s2;
SELECT id, payload FROM gv_get('tx', ARRAY['c']);
COMMIT;
SELECT id, payload FROM gv_scroll('tx') ORDER BY id;

-- Nested savepoints: a released inner one goes with its parent when that rolls back.
BEGIN;
SAVEPOINT outer_sp;
SELECT gv_upsert('tx', 'n1', '{5,5,5}') > 0 AS written;
SAVEPOINT inner_sp;
SELECT gv_upsert('tx', 'n2', '{6,6,6}') > 0 AS written;
RELEASE SAVEPOINT inner_sp;
ROLLBACK TO SAVEPOINT outer_sp;
SELECT gv_upsert('tx', 'n3', '{7,7,7}') > 0 AS written;
COMMIT;
SELECT id FROM gv_scroll('tx') ORDER BY id;

-- An error inside a savepoint: the savepoint's writes go, the rest stays.
BEGIN;
SAVEPOINT s;
SELECT gv_upsert('tx', 'e', '{1,1,1}') > 0 AS written;
SELECT gv_upsert('tx', 'f', '{1,1}');
ROLLBACK TO SAVEPOINT s;
SELECT gv_upsert('tx', 'g', '{2,2,2}') > 0 AS written;
COMMIT;
SELECT id FROM gv_scroll('tx') ORDER BY id;

-- An exception block is a subtransaction too.
DO $$
BEGIN
  BEGIN
    PERFORM gv_upsert('tx', 'h', '{3,3,3}');
    PERFORM 1 / 0;
  EXCEPTION WHEN division_by_zero THEN NULL;
  END;
  PERFORM gv_upsert('tx', 'i', '{4,4,4}');
END $$;
SELECT id FROM gv_scroll('tx') ORDER BY id;

-- Filtered deletes and payload changes inside a transaction, seen by its own searches and counts.
BEGIN;
SELECT gv_set_payload('tx', ARRAY['g', 'i'], '{"tag": "x"}') > 0 AS written;
SELECT gv_count('tx', '{"must": [{"key": "tag", "match": {"value": "x"}}]}');
SELECT gv_delete_where('tx', '{"must": [{"key": "tag", "match": {"value": "x"}}]}');
SELECT gv_count('tx');
SELECT id FROM gv_search('tx', '{3,3,3}', 10) ORDER BY id;
ROLLBACK;
SELECT gv_count('tx');

-- A failed statement applies nothing, even after some of its batches were sent.
CREATE FOREIGN TABLE txft (id text, vector real[], payload jsonb) SERVER govector OPTIONS (collection 'tx');
INSERT INTO txft
  SELECT 'm' || g, CASE WHEN g = 1500 THEN ARRAY[1, 2]::real[] ELSE ARRAY[g, 0, 0]::real[] END, '{}'
  FROM generate_series(1, 2000) g;
SELECT gv_count('tx');
SELECT current_setting('data_directory') || '/gv_copy_test.tsv' AS copy_file \gset
COPY (SELECT 'p' || g, CASE WHEN g = 1500 THEN '{1,2}' ELSE '{' || g || ',1,1}' END FROM generate_series(1, 2000) g)
  TO :'copy_file';
COPY txft (id, vector) FROM :'copy_file';
SELECT gv_count('tx');
-- The same INSERT without the bad row commits all of it.
INSERT INTO txft SELECT 'm' || g, ARRAY[g, 0, 0]::real[], '{}' FROM generate_series(1, 2000) g;
SELECT gv_count('tx');
DELETE FROM txft WHERE id LIKE 'm%';
SELECT gv_count('tx');

-- Collection DDL follows the transaction too.
BEGIN;
SELECT gv_create_collection('ddl_rb', 3);
SELECT gv_upsert('ddl_rb', 'x', '{1,2,3}') > 0 AS written;
SELECT name, points FROM gv_collections() ORDER BY name;
SELECT id FROM gv_search('ddl_rb', '{1,2,3}', 1);
ROLLBACK;
SELECT name FROM gv_collections() ORDER BY name;
BEGIN;
SELECT gv_drop_collection('tx', cascade => true);  -- txft uses it: cascade drops it too
SELECT name FROM gv_collections() ORDER BY name;
ROLLBACK;
SELECT gv_count('tx');
BEGIN;
SELECT gv_create_collection('ddl_ok', 2, 'dot');
SELECT gv_upsert('ddl_ok', '1', '{1,2}') > 0 AS written;
COMMIT;
SELECT name, points FROM gv_collections() ORDER BY name;

-- Two sessions: an uncommitted write is invisible to the other session, and visible once COMMIT returns.
CREATE EXTENSION dblink;
SELECT dblink_connect('other', format('host=%s port=%s dbname=%s',
  split_part(current_setting('unix_socket_directories'), ',', 1), current_setting('port'), current_database()));
SELECT dblink_exec('other', 'BEGIN');
SELECT v > 0 AS written FROM dblink('other', $$SELECT gv_upsert('tx', 'z', '{9,9,9}')$$) AS t(v bigint);
SELECT n FROM dblink('other', $$SELECT count(*) FROM gv_get('tx', ARRAY['z'])$$) AS t(n bigint);
SELECT count(*) FROM gv_get('tx', ARRAY['z']);
SELECT count(*) FROM gv_search('tx', '{9,9,9}', 1) WHERE id = 'z';
SELECT dblink_exec('other', 'COMMIT');
SELECT count(*) FROM gv_get('tx', ARRAY['z']);
SELECT id FROM gv_search('tx', '{9,9,9}', 1);
SELECT dblink_disconnect('other');

-- A read-only transaction cannot write; a write refused by the engine leaves nothing behind.
BEGIN READ ONLY;
SELECT gv_upsert('tx', 'ro', '{1,1,1}');
ROLLBACK;
SELECT gv_upsert('tx', 'nan', '{NaN,1,1}');
SELECT gv_upsert('nope', 'x', '{1,1,1}');
SELECT gv_delete_where('tx', '{"must": [{"bad": 1}]}');
SELECT count(*) FROM gv_get('tx', ARRAY['ro', 'nan']);

-- Two-phase commit of vector writes is refused, and the transaction leaves nothing; without them it works.
BEGIN;
SELECT gv_upsert('tx', 'twophase', '{1,1,1}') > 0 AS written;
PREPARE TRANSACTION 'gv_2pc';
SELECT count(*) FROM gv_get('tx', ARRAY['twophase']);
SELECT count(*) FROM pg_prepared_xacts;
BEGIN;
SELECT gv_count('tx') > 0 AS has_points;
PREPARE TRANSACTION 'gv_2pc_read';
COMMIT PREPARED 'gv_2pc_read';

-- With commit_wait off, COMMIT returns at once; the write still lands.
SET govector.commit_wait = off;
SELECT gv_upsert('tx', 'late', '{8,8,8}') > 0 AS written;
RESET govector.commit_wait;
SELECT gv_upsert('tx', 'sync', '{8,8,8}') > 0 AS written;
SELECT count(*) FROM gv_get('tx', ARRAY['late', 'sync']);

DROP FOREIGN TABLE txft;
SELECT gv_drop_collection('tx');
SELECT gv_drop_collection('ddl_ok');

-- The extension updates from 0.1.0, which had no gv_http_write (the HTTP API's path into WAL).
DROP EXTENSION dblink;
DROP EXTENSION govector CASCADE;
CREATE EXTENSION govector VERSION '0.1.0';
SELECT count(*) FROM pg_proc WHERE proname = 'gv_http_write';
ALTER EXTENSION govector UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'govector';
SELECT has_function_privilege('public', 'gv_http_write(bytea)', 'EXECUTE') AS public_may_call;
SELECT gv_http_write('\x00'::bytea);
