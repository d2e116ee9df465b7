-- Vectors of the types drivers, ORMs and pgvector users bring: real[], double precision[], numeric[],
-- integer[], text in Postgres's form '{1,2,3}' and pgvector's '[1,2,3]'; foreign-table vector columns of
-- those types; and operators that stay out of other types' queries.
SELECT gv_create_collection('ty', 3, 'euclid', 'flat');

-- One point per form; every one reads back the same vector.
SELECT gv_upsert('ty', 'lit', '{1,2,3}') > 0 AS ok;
SELECT gv_upsert('ty', 'brk', '[1,2,3.5]') > 0 AS ok;
SELECT gv_upsert('ty', 'brk_space', '  [ 1 , 2 , 4 ] ') > 0 AS ok;
SELECT gv_upsert('ty', 'r4', '{0.1,0.2,0.3}'::real[]) > 0 AS ok;
SELECT gv_upsert('ty', 'f8', '{0.1,0.2,0.3}'::float8[]) > 0 AS ok;
SELECT gv_upsert('ty', 'num', ARRAY[0.1, 0.2, 0.3]) > 0 AS ok;
SELECT gv_upsert('ty', 'int', ARRAY[1, 2, 5]) > 0 AS ok;
SELECT gv_upsert('ty', 'txt', '[7,8,9]'::text) > 0 AS ok;
SELECT gv_upsert('ty', 'vc', '{7,8,10}'::varchar) > 0 AS ok;
SELECT id, vector FROM gv_get('ty', ARRAY['lit', 'brk', 'brk_space', 'r4', 'f8', 'num', 'int', 'txt', 'vc'])
  ORDER BY id;

-- Bad vectors are refused whatever their form, and write nothing.
SELECT gv_upsert('ty', 'bad', '[1,[2],3]');
SELECT gv_upsert('ty', 'bad', '[1,2,3');
SELECT gv_upsert('ty', 'bad', '{1e300,1,1}'::float8[]);
SELECT gv_upsert('ty', 'bad', '{1e-300,1,1}'::float8[]);
SELECT gv_upsert('ty', 'bad', ARRAY[1e39, 1, 1]);
SELECT gv_upsert('ty', 'bad', ARRAY[1, NULL, 3]::float8[]);
SELECT gv_upsert('ty', 'bad', ARRAY[[1, 2], [3, 4]]::float8[]);
SELECT gv_upsert('ty', 'bad', '[1,2]');
SELECT gv_upsert('ty', 'bad', NULL::text);
SELECT gv_upsert('ty', 'bad', ARRAY['1', '2', '3']);
SELECT count(*) FROM gv_get('ty', ARRAY['bad']);
-- Explicit bounds are Postgres's array syntax, not pgvector's brackets.
SELECT gv_upsert('ty', 'bounds', '[1:3]={4,5,6}') > 0 AS ok;
SELECT vector FROM gv_get('ty', ARRAY['bounds']);

-- Batches: a 2-D array of any of the number types, or text in either form.
SELECT gv_upsert_batch('ty', ARRAY['b1', 'b2'], ARRAY[[1, 1, 1], [2, 2, 2]]) > 0 AS ok;
SELECT gv_upsert_batch('ty', ARRAY['b3', 'b4'], '[[3,3,3],[4,4,4]]') > 0 AS ok;
SELECT gv_upsert_batch('ty', ARRAY['b5', 'b6'], '{{5,5,5},{6,6,6}}'::float8[],
                       ARRAY['{"n": 5}', '{"n": 6}']::jsonb[]) > 0 AS ok;
SELECT gv_upsert_batch('ty', ARRAY['b7', 'b8'], ARRAY[[7.5, 7, 7], [8, 8, 8]]) > 0 AS ok;
SELECT id, vector, payload FROM gv_get('ty', ARRAY['b1', 'b2', 'b3', 'b4', 'b5', 'b6', 'b7', 'b8']) ORDER BY id;
-- Payloads as jsonb[] or as text[] of JSON (what a driver sends for a list of strings); NULL is no payload.
SELECT gv_upsert_batch('ty', ARRAY['p1', 'p2', 'p3'], ARRAY[[1, 1, 1], [2, 2, 2], [3, 3, 3]],
                       ARRAY['{"a": 1}', NULL, '{"b": [true, null]}']) > 0 AS ok;
SELECT id, payload FROM gv_get('ty', ARRAY['p1', 'p2', 'p3']) ORDER BY id;
SELECT gv_upsert_batch('ty', ARRAY['p4', 'p5'], ARRAY[[1, 1, 1], [2, 2, 2]], ARRAY['{"a": 1}', 'not json']);
SELECT gv_upsert_batch('ty', ARRAY['p4'], ARRAY[[1, 1, 1]], ARRAY['{"a": 1}', '{}']);
-- Beside number arrays, an untyped NULL fits both payload forms: leave the argument out, or type it.
SELECT gv_upsert_batch('ty', ARRAY['p4'], ARRAY[[4, 4, 4]], NULL);
SELECT gv_upsert_batch('ty', ARRAY['p4'], ARRAY[[4, 4, 4]], NULL::jsonb[]) > 0 AS ok;
SELECT gv_upsert_batch('ty', ARRAY['p4'], ARRAY[[4, 4, 4]]::real[], NULL) > 0 AS ok;
SELECT gv_upsert_batch('ty', ARRAY['p4'], '[[4,4,4]]', NULL) > 0 AS ok;
SELECT count(*) FROM gv_get('ty', ARRAY['p4', 'p5']);
SELECT gv_upsert_batch('ty', ARRAY['b9'], '[1,2,3]');
SELECT gv_upsert_batch('ty', ARRAY['b9', 'b10'], ARRAY[[1, 2, 3]]::float8[]);

-- Searches take the query in every form, with the same answer.
SELECT id, score FROM gv_search('ty', '{1,2,3}', 2);
SELECT id, score FROM gv_search('ty', '[1,2,3]', 2);
SELECT id, score FROM gv_search('ty', '{1,2,3}'::float8[], 2);
SELECT id, score FROM gv_search('ty', ARRAY[1, 2, 3], 2);
SELECT id, score FROM gv_search('ty', ARRAY[1.0, 2, 3], 2);

-- The distance operators on every pair of number arrays give the same value.
SELECT '{1,2,3}'::real[] <-> '{2,2,2}'::real[] AS r_r, '{1,2,3}'::real[] <-> '{2,2,2}'::float8[] AS r_d,
       '{1,2,3}'::float8[] <-> ARRAY[2, 2, 2] AS d_i, ARRAY[1.0, 2, 3] <-> ARRAY[2, 2, 2] AS n_i,
       ARRAY[1, 2, 3] <=> '{2,2,2}'::numeric[] AS cos, '{1,2,3}'::float8[] <#> '{2,2,2}' AS neg_ip,
       '{1,2,3}'::numeric[] <+> '{2,2,2}'::real[] AS l1, '{1,2,3}'::gv_vector <-> '{2,2,2}'::float8[] AS dom;

-- A type that is not an array but casts to real[] implicitly (as pgvector's vector does) meets govector's
-- operators on real[] and on gv_vector equally as a left operand, so Postgres picks neither: what was an
-- error before govector stays one (test/system/pgvector.sh shows it with pgvector itself).
CREATE TYPE castvec AS (v real[]);
CREATE FUNCTION castvec_reals(castvec) RETURNS real[] LANGUAGE sql IMMUTABLE AS 'SELECT $1.v';
CREATE CAST (castvec AS real[]) WITH FUNCTION castvec_reals(castvec) AS IMPLICIT;
SELECT ROW('{1,2,3}')::castvec <-> '{1,2,3}'::real[];
SELECT ROW('{1,2,3}')::castvec <-> '{1,2,3}'::float8[];
SELECT ROW('{1,2,3}')::castvec <=> ARRAY[1, 2, 3];
-- On the right (a foreign table's vector <-> a pgvector vector) it is cast, and means its real[].
SELECT '{1,2,2}'::real[] <-> ROW('{1,2,3}')::castvec AS right_operand;
SELECT '{1,2,2}'::float8[] <-> ROW('{1,2,3}')::castvec AS right_operand;
-- Calling the functions by name is unchanged.
SELECT gv_l2_distance('{1,2,3}', '{1,2,2}');

-- Foreign tables: the vector column may be real[], double precision[], numeric[] or a domain over one
-- (gv_vector); it reads back in its type, the shortest decimal of the stored float.
CREATE FOREIGN TABLE ty_r (id text, vector real[]) SERVER govector OPTIONS (collection 'ty');
CREATE FOREIGN TABLE ty_d (id text, vector double precision[]) SERVER govector OPTIONS (collection 'ty');
CREATE FOREIGN TABLE ty_n (id text, vector numeric[]) SERVER govector OPTIONS (collection 'ty');
CREATE FOREIGN TABLE ty_g (id text, vector gv_vector) SERVER govector OPTIONS (collection 'ty');
SELECT r.vector AS r, d.vector AS d, n.vector AS n, g.vector AS g, pg_typeof(d.vector) AS d_type,
       pg_typeof(n.vector) AS n_type
  FROM ty_r r JOIN ty_d d USING (id) JOIN ty_n n USING (id) JOIN ty_g g USING (id) WHERE id IN ('f8', 'brk');
CREATE FOREIGN TABLE ty_bad (id text, vector text[]) SERVER govector OPTIONS (collection 'ty');
CREATE FOREIGN TABLE ty_bad (id text, vector int[]) SERVER govector OPTIONS (collection 'ty');

-- ORDER BY vector <op> q is one engine search whatever types the column and q have.
\set explain 'EXPLAIN (COSTS OFF)'
:explain SELECT id FROM ty_r ORDER BY vector <-> '{1,2,3}'::float8[] LIMIT 2;
:explain SELECT id FROM ty_r ORDER BY vector <-> ARRAY[1, 2, 3] LIMIT 2;
:explain SELECT id FROM ty_d ORDER BY vector <-> '{1,2,3}' LIMIT 2;
:explain SELECT id FROM ty_n ORDER BY vector <-> '{1,2,3}'::real[] LIMIT 2;
:explain SELECT id FROM ty_g ORDER BY vector <-> '{1,2,3}' LIMIT 2;
:explain SELECT id FROM ty_g ORDER BY vector <-> '{1,2,3}'::float8[] LIMIT 2;
-- A query vector of a type that casts to real[] (pgvector's vector does) on the right is cast and searched.
:explain SELECT id FROM ty_r ORDER BY vector <-> ROW('{1,2,3}')::castvec LIMIT 2;
SELECT id FROM ty_r ORDER BY vector <-> ROW('{1,2,3}')::castvec LIMIT 2;
SELECT id, vector <-> '{1,2,3}'::float8[] AS d FROM ty_d ORDER BY vector <-> '{1,2,3}'::float8[] LIMIT 3;
SELECT id, vector <-> ARRAY[1.0, 2, 3] AS d FROM ty_n ORDER BY vector <-> ARRAY[1.0, 2, 3] LIMIT 3;
PREPARE q(float8[]) AS SELECT id FROM ty_d ORDER BY vector <-> $1 LIMIT 2;
EXECUTE q('{7,8,9}');

-- Writes through each: the value is stored as real, and reads back as written where real holds it.
INSERT INTO ty_d VALUES ('w_d', '{0.25,0.5,0.1}');
INSERT INTO ty_n VALUES ('w_n', '{0.1,0.2,0.7}');
INSERT INTO ty_g VALUES ('w_g', '{1,1,2}');
UPDATE ty_d SET vector = '{0.3,0.6,0.9}' WHERE id = 'w_d';
SELECT id, vector FROM ty_d WHERE id IN ('w_d', 'w_n', 'w_g') ORDER BY id;
SELECT id, vector FROM ty_n WHERE id IN ('w_d', 'w_n', 'w_g') ORDER BY id;
INSERT INTO ty_d VALUES ('w_bad', '{1e300,1,1}');
-- A migration from a double precision[] table reads back identical vectors.
CREATE TABLE ty_src (id text, embedding double precision[]);
INSERT INTO ty_src VALUES ('m1', '{0.123,-4.5,1e-3}'), ('m2', '{100,0.5,-0.25}');
INSERT INTO ty_d SELECT id, embedding FROM ty_src;
SELECT s.id, s.embedding = d.vector AS identical FROM ty_src s JOIN ty_d d USING (id) ORDER BY s.id;
-- Also into a cosine collection: it keeps the vectors as written, and orders by their direction.
SELECT gv_create_collection('ty_cos', 3, 'cosine');
CREATE FOREIGN TABLE ty_cos (id text, vector double precision[]) SERVER govector OPTIONS (collection 'ty_cos');
INSERT INTO ty_cos SELECT id, embedding FROM ty_src;
SELECT s.id, s.embedding = c.vector AS identical FROM ty_src s JOIN ty_cos c USING (id) ORDER BY s.id;
:explain SELECT id FROM ty_cos ORDER BY vector <=> '{200,1,-0.5}' LIMIT 1;
SELECT id, round((vector <=> '{200,1,-0.5}')::numeric, 6) AS d FROM ty_cos ORDER BY vector <=> '{200,1,-0.5}' LIMIT 2;
SELECT id, round(score::numeric, 6) AS score FROM gv_search('ty_cos', '{200,1,-0.5}', 2);
DROP FOREIGN TABLE ty_cos;
SELECT gv_drop_collection('ty_cos');

-- The forms other than real[] are executable by every role, and need what the real[] form needs.
CREATE ROLE ty_role;
GRANT USAGE ON SCHEMA public TO ty_role;
SET ROLE ty_role;
SELECT gv_upsert('ty', 'priv', '[1,2,3]');
SELECT gv_upsert('ty', 'priv', '{1,2,3}'::float8[]);
SELECT gv_upsert_batch('ty', ARRAY['priv'], '[[1,2,3]]');
SELECT gv_upsert_batch('ty', ARRAY['priv'], ARRAY[[1.5, 2, 3]], ARRAY['{}']);
SELECT count(*) FROM gv_search('ty', '[1,2,3]', 1);
RESET ROLE;
GRANT EXECUTE ON FUNCTION gv_upsert(text, text, real[], jsonb) TO ty_role;
SET ROLE ty_role;
SELECT gv_upsert('ty', 'priv', '[1,2,3]') > 0 AS ok;
SELECT gv_upsert('ty', 'priv', ARRAY[1, 2, 3]) > 0 AS ok;
SELECT gv_upsert_batch('ty', ARRAY['priv'], '[[1,2,3]]');
RESET ROLE;

DROP FOREIGN TABLE ty_r, ty_d, ty_n, ty_g;
DROP TABLE ty_src;
DROP CAST (castvec AS real[]);
DROP FUNCTION castvec_reals(castvec);
DROP TYPE castvec;
REVOKE ALL ON SCHEMA public FROM ty_role;
REVOKE EXECUTE ON FUNCTION gv_upsert(text, text, real[], jsonb) FROM ty_role;
DROP ROLE ty_role;
SELECT gv_drop_collection('ty');
