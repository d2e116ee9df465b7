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
RESET ROLE;

SET ROLE gv_writer;
SELECT gv_upsert('guarded', '2', '{0,1}') > 0 AS written;
SELECT gv_delete('guarded', ARRAY['2']);
SELECT gv_drop_collection('guarded');
RESET ROLE;

SELECT gv_drop_collection('guarded');
DROP ROLE gv_reader;
REVOKE ALL ON FUNCTION gv_upsert(text, text, real[], jsonb), gv_delete(text, text[]) FROM gv_writer;
DROP ROLE gv_writer;
