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
