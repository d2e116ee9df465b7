-- govector 0.1.0 to 0.2.0: ALTER EXTENSION govector UPDATE TO '0.2.0'
\echo Use "ALTER EXTENSION govector UPDATE TO '0.2.0'" to load this file. \quit

-- The HTTP API's writes under Postgres (src/pg/http_write.c): govectord runs each as one transaction through
-- this function, so it is logged in WAL like every other write. Not for applications: superusers only.
CREATE FUNCTION gv_http_write(request bytea)
RETURNS bytea AS 'MODULE_PATHNAME', 'gv_http_write' LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
REVOKE EXECUTE ON FUNCTION gv_http_write(bytea) FROM PUBLIC;

-- gv_drop_collection refuses to drop a collection that foreign tables use, unless cascade => true.
DROP FUNCTION gv_drop_collection(text, boolean);
-- A collection that foreign tables use is dropped only with cascade => true, which drops them too.
CREATE FUNCTION gv_drop_collection(name text, if_exists boolean DEFAULT false, "cascade" boolean DEFAULT false)
RETURNS boolean AS 'MODULE_PATHNAME', 'gv_drop_collection' LANGUAGE C VOLATILE PARALLEL UNSAFE;
REVOKE EXECUTE ON FUNCTION gv_drop_collection(text, boolean, boolean) FROM PUBLIC;

-- The DDL check is called schema-qualified: pg_dump restores with search_path = ''.
CREATE OR REPLACE FUNCTION gv_fdw_check_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$
DECLARE
  cmd record;
BEGIN
  FOR cmd IN SELECT objid FROM pg_event_trigger_ddl_commands() WHERE object_type = 'foreign table' LOOP
    PERFORM @extschema@.gv_fdw_check_table(cmd.objid);  -- qualified: pg_dump restores with search_path = ''
  END LOOP;
END $$;

-- pg_dump and pg_restore (src/pg/dump_am.c) ----------------------------------------------------------------
-- gv_dump holds no rows of its own: a scan reads the database's collections from the engine (one definition
-- row per collection, then its points), an insert creates collections and upserts points. As a configuration
-- table its rows are in every pg_dump, so a restore brings the collections and their points back.
CREATE FUNCTION gv_dump_am_handler(internal) RETURNS table_am_handler
AS 'MODULE_PATHNAME', 'gv_dump_am_handler' LANGUAGE C STRICT;
CREATE ACCESS METHOD govector_dump TYPE TABLE HANDLER gv_dump_am_handler;
COMMENT ON ACCESS METHOD govector_dump IS 'the storage of gv_dump: the govector engine';
CREATE TABLE gv_dump (
  collection text NOT NULL,
  definition jsonb,   -- on a collection's first row: its settings and payload indexes
  id text,            -- on the rows after it: one point each
  vector real[],
  payload jsonb
) USING govector_dump;
COMMENT ON TABLE gv_dump IS
  'collections and points as pg_dump carries them: read it to export, insert into it to import';
SELECT pg_catalog.pg_extension_config_dump('gv_dump', '');
GRANT SELECT ON gv_dump TO PUBLIC;

-- Disk: pg_database_size() does not count the engine's files (they are under $PGDATA/govector, shared by all
-- databases). gv_collection_info(name)->'disk_bytes' is one collection's; this is the database's.
CREATE FUNCTION gv_total_size() RETURNS bigint LANGUAGE sql VOLATILE PARALLEL UNSAFE AS $$
  SELECT coalesce(sum((@extschema@.gv_collection_info(c.name)->>'disk_bytes')::bigint), 0)::bigint
  FROM @extschema@.gv_collections() c
$$;
COMMENT ON FUNCTION gv_total_size() IS
  'bytes on disk of this database''s collections (points and index files), for monitoring';
