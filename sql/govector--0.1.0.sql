-- govector 0.1.0: the gv_* functions. Collections live in the govector engine (govectord), namespaced by
-- database; these functions are thin clients. See README.md for semantics (visibility, durability, rollback).

\echo Use "CREATE EXTENSION govector" to load this file. \quit

-- Collections --------------------------------------------------------------------------------------------

CREATE FUNCTION gv_create_collection(name text, dimension int, distance text DEFAULT 'cosine',
                                     index text DEFAULT 'hnsw', m int DEFAULT 16, ef_construct int DEFAULT 100,
                                     quantization text DEFAULT 'none')
RETURNS void AS 'MODULE_PATHNAME', 'gv_create_collection' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION gv_create_collection(text, int, text, text, int, int, text) IS
  'creates a collection: distance cosine|euclid|dot|manhattan, index hnsw|flat, quantization none|sq8';

CREATE FUNCTION gv_drop_collection(name text, if_exists boolean DEFAULT false)
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

-- Privileges: writing and administering need a GRANT; reading stays open to every role of the database.
REVOKE EXECUTE ON FUNCTION
  gv_create_collection(text, int, text, text, int, int, text),
  gv_drop_collection(text, boolean),
  gv_create_payload_index(text, text, text),
  gv_upsert(text, text, real[], jsonb),
  gv_upsert_batch(text, text[], real[], jsonb[]),
  gv_delete(text, text[]),
  gv_delete_where(text, jsonb),
  gv_set_payload(text, text[], jsonb, boolean),
  gv_delete_payload(text, text[], text[]),
  gv_clear_payload(text, text[])
FROM PUBLIC;
