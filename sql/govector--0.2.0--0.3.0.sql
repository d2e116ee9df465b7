-- govector 0.2.0 to 0.3.0: ALTER EXTENSION govector UPDATE TO '0.3.0'
\echo Use "ALTER EXTENSION govector UPDATE TO '0.3.0'" to load this file. \quit

-- Vectors of other types (0.3.0) -------------------------------------------------------------------------------
-- Each function that takes a vector also takes it as double precision[], numeric[], integer[] (what drivers
-- send for lists of numbers) and as text, in Postgres's form '{1,2,3}' or pgvector's '[1,2,3]'; an untyped
-- literal goes to the text form. gv_upsert_batch also takes payloads as text[] of JSON (a list of strings)
-- where the vectors are double precision[], numeric[] or integer[]. pgvector's vector reaches the real[] form through its implicit cast. The
-- other forms are executable by every role and check EXECUTE on the real[] form, which alone is granted.
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['double precision[]', 'numeric[]', 'integer[]', 'text'] LOOP
    EXECUTE format($f$
      CREATE FUNCTION gv_upsert(collection text, id text, vector %1$s, payload jsonb DEFAULT '{}')
      RETURNS bigint AS 'MODULE_PATHNAME', 'gv_upsert' LANGUAGE C VOLATILE PARALLEL UNSAFE;
      CREATE FUNCTION gv_upsert_batch(collection text, ids text[], vectors %1$s, payloads jsonb[] DEFAULT NULL)
      RETURNS bigint AS 'MODULE_PATHNAME', 'gv_upsert_batch' LANGUAGE C VOLATILE PARALLEL UNSAFE;
      CREATE FUNCTION gv_search(collection text, query %1$s, k int DEFAULT 10, filter jsonb DEFAULT NULL,
                                ef int DEFAULT NULL, exact boolean DEFAULT false)
      RETURNS TABLE(id text, score real, payload jsonb, version bigint)
      AS 'MODULE_PATHNAME', 'gv_search' LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 10;
    $f$, t);
    -- Payloads as text[] of JSON, beside the number arrays a driver sends for a list of lists. Not beside
    -- real[] or text: an untyped NULL (or an untyped parameter, as node-postgres sends) for the payloads
    -- would then fit jsonb[] and text[] alike where it resolves today.
    CONTINUE WHEN t = 'text';
    EXECUTE format($f$
      CREATE FUNCTION gv_upsert_batch(collection text, ids text[], vectors %1$s, payloads text[])
      RETURNS bigint AS 'MODULE_PATHNAME', 'gv_upsert_batch' LANGUAGE C VOLATILE PARALLEL UNSAFE;
    $f$, t);
  END LOOP;
END $$;

-- The distance operators on every pair of number arrays, so that ORDER BY vector <-> $1 finds one whatever
-- array type a driver binds (and whichever of them a foreign table's vector column has). Their functions
-- are the real[] ones' C functions; the foreign data wrapper knows them by that.
--
-- gv_vector is a domain over real[] with the same operators, as their left operand. It keeps govector out of
-- other extensions' queries: a left operand that is not an array but casts to real[] implicitly (pgvector's
-- vector column, in ORDER BY embedding <-> $1::real[]) then matches govector's operator on real[] and
-- gv_vector's equally, and Postgres resolves it to neither ("operator is not unique"), as it resolved it to
-- nothing before govector was installed. On the right such an operand is cast and accelerated: ORDER BY
-- vector <-> $1 on a foreign table takes a pgvector vector as $1.
CREATE DOMAIN gv_vector AS real[];
COMMENT ON DOMAIN gv_vector IS
  'real[] for vector columns; its operators keep operands that only cast to real[] from govector''s operators';
DO $$
DECLARE
  types text[] := ARRAY['real[]', 'double precision[]', 'numeric[]', 'integer[]'];
  ops text[][] := ARRAY[['<->', 'gv_l2_distance'], ['<=>', 'gv_cosine_distance'],
                        ['<#>', 'gv_negative_inner_product'], ['<+>', 'gv_l1_distance']];
  l text;
  r text;
BEGIN
  FOR i IN 1 .. array_length(ops, 1) LOOP
    FOREACH l IN ARRAY types || ARRAY['gv_vector'] LOOP
      FOREACH r IN ARRAY types LOOP
        CONTINUE WHEN l = 'real[]' AND r = 'real[]';  -- gv_l2_distance(real[], real[]) and the others, above
        EXECUTE format('CREATE FUNCTION %s_op(%s, %s) RETURNS float8 AS ''MODULE_PATHNAME'', %L '
                       'LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE', ops[i][2], l, r, ops[i][2]);
        EXECUTE format('CREATE OPERATOR %s (LEFTARG = %s, RIGHTARG = %s, FUNCTION = %s_op%s)', ops[i][1], l, r,
                       ops[i][2], CASE WHEN l = 'gv_vector' THEN '' ELSE format(', COMMUTATOR = %s', ops[i][1]) END);
      END LOOP;
    END LOOP;
  END LOOP;
END $$;
