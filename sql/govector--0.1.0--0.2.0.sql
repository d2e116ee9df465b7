-- govector 0.1.0 to 0.2.0: ALTER EXTENSION govector UPDATE TO '0.2.0'
\echo Use "ALTER EXTENSION govector UPDATE TO '0.2.0'" to load this file. \quit

-- The HTTP API's writes under Postgres (src/pg/http_write.c): govectord runs each as one transaction through
-- this function, so it is logged in WAL like every other write. Not for applications: superusers only.
CREATE FUNCTION gv_http_write(request bytea)
RETURNS bytea AS 'MODULE_PATHNAME', 'gv_http_write' LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
REVOKE EXECUTE ON FUNCTION gv_http_write(bytea) FROM PUBLIC;
