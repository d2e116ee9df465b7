-- govector 0.2.0: the gv_* functions. Collections live in the govector engine (govectord), namespaced by
-- database; these functions are thin clients. See README.md for semantics (transactions, visibility, durability).

\echo Use "CREATE EXTENSION govector" to load this file. \quit

-- Collections --------------------------------------------------------------------------------------------

CREATE FUNCTION gv_create_collection(name text, dimension int, distance text DEFAULT 'cosine',
                                     index text DEFAULT 'hnsw', m int DEFAULT 16, ef_construct int DEFAULT 100,
                                     quantization text DEFAULT 'none')
RETURNS void AS 'MODULE_PATHNAME', 'gv_create_collection' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION gv_create_collection(text, int, text, text, int, int, text) IS
  'creates a collection: distance cosine|euclid|dot|manhattan, index hnsw|flat, quantization none|sq8';

-- A collection that foreign tables use is dropped only with cascade => true, which drops them too.
CREATE FUNCTION gv_drop_collection(name text, if_exists boolean DEFAULT false, "cascade" boolean DEFAULT false)
RETURNS boolean AS 'MODULE_PATHNAME', 'gv_drop_collection' LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION gv_collections()
RETURNS TABLE(name text, dimension int, distance text, index text, points bigint)
AS 'MODULE_PATHNAME', 'gv_collections' LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION gv_collection_info(name text)
RETURNS jsonb AS 'MODULE_PATHNAME', 'gv_collection_info' LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION gv_create_payload_index(collection text, field text, type text)
RETURNS void AS 'MODULE_PATHNAME', 'gv_create_payload_index' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION gv_create_payload_index(text, text, text) IS
  'indexes a payload field (keyword, integer, float, bool, datetime) to speed up filters on it';

CREATE FUNCTION gv_engine_status()
RETURNS jsonb AS 'MODULE_PATHNAME', 'gv_engine_status' LANGUAGE C VOLATILE PARALLEL UNSAFE;

-- Points -------------------------------------------------------------------------------------------------

CREATE FUNCTION gv_upsert(collection text, id text, vector real[], payload jsonb DEFAULT '{}')
RETURNS bigint AS 'MODULE_PATHNAME', 'gv_upsert' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION gv_upsert(text, text, real[], jsonb) IS
  'inserts or replaces a point; returns its version';

CREATE FUNCTION gv_upsert_batch(collection text, ids text[], vectors real[], payloads jsonb[] DEFAULT NULL)
RETURNS bigint AS 'MODULE_PATHNAME', 'gv_upsert_batch' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION gv_upsert_batch(text, text[], real[], jsonb[]) IS
  'inserts or replaces many points at once (vectors: a 2-D array, one row per id); returns their version';

CREATE FUNCTION gv_get(collection text, ids text[])
RETURNS TABLE(id text, vector real[], payload jsonb, version bigint)
AS 'MODULE_PATHNAME', 'gv_get' LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION gv_delete(collection text, ids text[])
RETURNS bigint AS 'MODULE_PATHNAME', 'gv_delete' LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION gv_delete_where(collection text, filter jsonb)
RETURNS bigint AS 'MODULE_PATHNAME', 'gv_delete_where' LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION gv_count(collection text, filter jsonb DEFAULT NULL)
RETURNS bigint AS 'MODULE_PATHNAME', 'gv_count' LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION gv_search(collection text, query real[], k int DEFAULT 10, filter jsonb DEFAULT NULL,
                          ef int DEFAULT NULL, exact boolean DEFAULT false)
RETURNS TABLE(id text, score real, payload jsonb, version bigint)
AS 'MODULE_PATHNAME', 'gv_search' LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 10;
COMMENT ON FUNCTION gv_search(text, real[], int, jsonb, int, boolean) IS
  'the k nearest points to query, best first (cosine/dot: similarity; euclid/manhattan: distance)';

CREATE FUNCTION gv_search_by_id(collection text, id text, k int DEFAULT 10, filter jsonb DEFAULT NULL,
                                ef int DEFAULT NULL, exact boolean DEFAULT false)
RETURNS TABLE(id text, score real, payload jsonb, version bigint)
AS 'MODULE_PATHNAME', 'gv_search_by_id' LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 10;
COMMENT ON FUNCTION gv_search_by_id(text, text, int, jsonb, int, boolean) IS
  'the k nearest points to the stored vector of point id (which is not returned itself), best first';

CREATE FUNCTION gv_scroll(collection text, filter jsonb DEFAULT NULL, lim int DEFAULT 100, after text DEFAULT NULL)
RETURNS TABLE(id text, vector real[], payload jsonb, version bigint)
AS 'MODULE_PATHNAME', 'gv_scroll' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION gv_scroll(text, jsonb, int, text) IS
  'points in id order, lim at a time, starting after the given id';

CREATE FUNCTION gv_set_payload(collection text, ids text[], payload jsonb, overwrite boolean DEFAULT false)
RETURNS bigint AS 'MODULE_PATHNAME', 'gv_set_payload' LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION gv_delete_payload(collection text, ids text[], keys text[])
RETURNS bigint AS 'MODULE_PATHNAME', 'gv_delete_payload' LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION gv_clear_payload(collection text, ids text[])
RETURNS bigint AS 'MODULE_PATHNAME', 'gv_clear_payload' LANGUAGE C VOLATILE PARALLEL UNSAFE;

-- Distance operators on real[] (pgvector's meanings) ---------------------------------------------------

CREATE FUNCTION gv_l2_distance(real[], real[]) RETURNS float8
AS 'MODULE_PATHNAME', 'gv_l2_distance' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION gv_cosine_distance(real[], real[]) RETURNS float8
AS 'MODULE_PATHNAME', 'gv_cosine_distance' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION gv_negative_inner_product(real[], real[]) RETURNS float8
AS 'MODULE_PATHNAME', 'gv_negative_inner_product' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION gv_l1_distance(real[], real[]) RETURNS float8
AS 'MODULE_PATHNAME', 'gv_l1_distance' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OPERATOR <-> (LEFTARG = real[], RIGHTARG = real[], FUNCTION = gv_l2_distance, COMMUTATOR = '<->');
CREATE OPERATOR <=> (LEFTARG = real[], RIGHTARG = real[], FUNCTION = gv_cosine_distance, COMMUTATOR = '<=>');
CREATE OPERATOR <#> (LEFTARG = real[], RIGHTARG = real[], FUNCTION = gv_negative_inner_product, COMMUTATOR = '<#>');
CREATE OPERATOR <+> (LEFTARG = real[], RIGHTARG = real[], FUNCTION = gv_l1_distance, COMMUTATOR = '<+>');
COMMENT ON OPERATOR <->(real[], real[]) IS 'Euclidean distance';
COMMENT ON OPERATOR <=>(real[], real[]) IS 'cosine distance (1 - cosine similarity)';
COMMENT ON OPERATOR <#>(real[], real[]) IS 'negative inner product';
COMMENT ON OPERATOR <+>(real[], real[]) IS 'Manhattan (L1) distance';

-- Collections as foreign tables ----------------------------------------------------------------------------

CREATE FUNCTION govector_fdw_handler() RETURNS fdw_handler
AS 'MODULE_PATHNAME', 'govector_fdw_handler' LANGUAGE C STRICT;
CREATE FUNCTION govector_fdw_validator(text[], oid) RETURNS void
AS 'MODULE_PATHNAME', 'govector_fdw_validator' LANGUAGE C STRICT;
CREATE FOREIGN DATA WRAPPER govector HANDLER govector_fdw_handler VALIDATOR govector_fdw_validator;
CREATE SERVER govector FOREIGN DATA WRAPPER govector;
COMMENT ON SERVER govector IS 'this database''s govector collections';

-- Column definitions are checked when a foreign table is created or altered, not at its first query.
CREATE FUNCTION gv_fdw_check_table(oid) RETURNS void
AS 'MODULE_PATHNAME', 'gv_fdw_check_table' LANGUAGE C STRICT;
CREATE FUNCTION gv_fdw_check_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$
DECLARE
  cmd record;
BEGIN
  FOR cmd IN SELECT objid FROM pg_event_trigger_ddl_commands() WHERE object_type = 'foreign table' LOOP
    PERFORM @extschema@.gv_fdw_check_table(cmd.objid);  -- qualified: pg_dump restores with search_path = ''
  END LOOP;
END $$;
CREATE EVENT TRIGGER gv_fdw_check_ddl ON ddl_command_end
  WHEN TAG IN ('CREATE FOREIGN TABLE', 'ALTER FOREIGN TABLE', 'IMPORT FOREIGN SCHEMA')
  EXECUTE FUNCTION gv_fdw_check_ddl();

-- Privileges: writing and administering need a GRANT; reading stays open to every role of the database.
REVOKE EXECUTE ON FUNCTION
  gv_create_collection(text, int, text, text, int, int, text),
  gv_drop_collection(text, boolean, boolean),
  gv_create_payload_index(text, text, text),
  gv_upsert(text, text, real[], jsonb),
  gv_upsert_batch(text, text[], real[], jsonb[]),
  gv_delete(text, text[]),
  gv_delete_where(text, jsonb),
  gv_set_payload(text, text[], jsonb, boolean),
  gv_delete_payload(text, text[], text[]),
  gv_clear_payload(text, text[])
FROM PUBLIC;

-- The HTTP API's writes under Postgres (src/pg/http_write.c): govectord runs each as one transaction through
-- this function, so it is logged in WAL like every other write. Not for applications: superusers only.
CREATE FUNCTION gv_http_write(request bytea)
RETURNS bytea AS 'MODULE_PATHNAME', 'gv_http_write' LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
REVOKE EXECUTE ON FUNCTION gv_http_write(bytea) FROM PUBLIC;

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
