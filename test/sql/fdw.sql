-- Collections as foreign tables: pushdown (shown by EXPLAIN), nearest-neighbour ORDER BY, writes, import.
SELECT gv_create_collection('shop', 3, 'euclid', 'flat');
SELECT gv_upsert_batch('shop',
  ARRAY['1','2','3','4','5','6','7','8'],
  ARRAY[[1,0,0],[2,0,0],[3,0,0],[4,0,0],[0,1,0],[0,2,0],[0,0,1],[5,5,5]]::real[],
  ARRAY['{"category": "shoes", "price": 40, "stock": true, "tags": ["a"]}',
        '{"category": "shoes", "price": 95.5, "stock": false}',
        '{"category": "hats", "price": 15, "stock": true}',
        '{"category": "hats", "price": "cheap"}',
        '{"category": "coats", "price": 120, "stock": true}',
        '{"category": "Shoes", "price": 40}',
        '{"price": null, "stock": null}',
        '{"category": 7, "price": 1e2}']::jsonb[]) > 0 AS loaded;

CREATE FOREIGN TABLE shop (
  id text, vector real[], payload jsonb, version bigint,
  category text OPTIONS (payload_key 'category'),
  price numeric OPTIONS (payload_key 'price'),
  stock boolean OPTIONS (payload_key 'stock')
) SERVER govector OPTIONS (collection 'shop');

-- Every column, as the engine converts it (a payload value of the wrong type reads as NULL).
SELECT id, vector, category, price, stock, payload->'tags' AS tags, version > 0 AS versioned FROM shop ORDER BY id;

-- Pushdown: each condition becomes an engine filter; the results are what Postgres alone would give.
\set explain 'EXPLAIN (VERBOSE, COSTS OFF)'
:explain SELECT id FROM shop WHERE id = '3';
SELECT id FROM shop WHERE id = '3';
:explain SELECT id FROM shop WHERE id = ANY(ARRAY['2', '5', '99']);
SELECT id FROM shop WHERE id = ANY(ARRAY['2', '5', '99']) ORDER BY id;
:explain SELECT id FROM shop WHERE payload @> '{"category": "hats"}';
SELECT id FROM shop WHERE payload @> '{"category": "hats"}' ORDER BY id;
:explain SELECT id FROM shop WHERE payload ->> 'category' = 'shoes';
SELECT id FROM shop WHERE payload ->> 'category' = 'shoes' ORDER BY id;
SELECT id FROM shop WHERE payload ->> 'price' = '100' ORDER BY id;
:explain SELECT id FROM shop WHERE category = 'shoes' AND price < 50;
SELECT id FROM shop WHERE category = 'shoes' AND price < 50 ORDER BY id;
:explain SELECT id FROM shop WHERE category <> 'shoes';
SELECT id FROM shop WHERE category <> 'shoes' ORDER BY id;
:explain SELECT id FROM shop WHERE price <= 40 OR price > 100;
SELECT id FROM shop WHERE price <= 40 OR price > 100 ORDER BY id;
:explain SELECT id FROM shop WHERE price >= 40;
SELECT id FROM shop WHERE price >= 40 ORDER BY id;
:explain SELECT id FROM shop WHERE category IN ('hats', 'coats');
SELECT id FROM shop WHERE category IN ('hats', 'coats') ORDER BY id;
:explain SELECT id FROM shop WHERE category NOT IN ('hats', 'coats');
SELECT id FROM shop WHERE category NOT IN ('hats', 'coats') ORDER BY id;
:explain SELECT id FROM shop WHERE price BETWEEN 15 AND 95.5;
SELECT id FROM shop WHERE price BETWEEN 15 AND 95.5 ORDER BY id;
:explain SELECT id FROM shop WHERE price IS NULL;
SELECT id FROM shop WHERE price IS NULL ORDER BY id;
:explain SELECT id FROM shop WHERE category IS NOT NULL AND stock;
SELECT id FROM shop WHERE category IS NOT NULL AND stock ORDER BY id;
:explain SELECT id FROM shop WHERE NOT stock;
SELECT id FROM shop WHERE NOT stock ORDER BY id;
:explain SELECT id FROM shop WHERE category LIKE 'sh%';
SELECT id FROM shop WHERE category LIKE 'sh%' ORDER BY id;
:explain SELECT id FROM shop WHERE NOT (price < 50 AND category = 'shoes');
SELECT id FROM shop WHERE NOT (price < 50 AND category = 'shoes') ORDER BY id;
-- Not pushed (evaluated by Postgres, still right): patterns with inner wildcards, case-insensitive matches.
:explain SELECT id FROM shop WHERE category LIKE '%oe%' AND price > 10;
SELECT id FROM shop WHERE category LIKE '%oe%' AND price > 10 ORDER BY id;
:explain SELECT id FROM shop WHERE lower(category) = 'shoes';
SELECT id FROM shop WHERE lower(category) = 'shoes' ORDER BY id;

-- Nearest neighbours: ORDER BY vector <-> v LIMIT n is one engine search, with the filter inside it.
:explain SELECT id FROM shop WHERE category = 'shoes' ORDER BY vector <-> '{2.2,0,0}' LIMIT 2;
SELECT id, round((vector <-> '{2.2,0,0}')::numeric, 3) AS distance FROM shop
  WHERE category = 'shoes' ORDER BY vector <-> '{2.2,0,0}' LIMIT 2;
SELECT id, round(score::numeric, 3) AS distance FROM gv_search('shop', '{2.2,0,0}', 2, '{"category": "shoes"}');
-- A condition Postgres must check itself: the engine keeps producing neighbours until the LIMIT is met.
SELECT id FROM shop WHERE lower(category) IN ('hats', 'shoes') ORDER BY vector <-> '{0,0,0}' LIMIT 4;
-- An operator that does not match the collection's distance runs unaccelerated (EXPLAIN shows the Sort).
:explain SELECT id FROM shop ORDER BY vector <=> '{1,1,0}' LIMIT 2;
SELECT id FROM shop ORDER BY vector <=> '{1,1,0}', id LIMIT 2;

-- As an ORM sends it: a prepared statement with the vector and the filter value bound as parameters.
PREPARE nearest(real[], text, int) AS
  SELECT id, category FROM shop WHERE category = $2 ORDER BY vector <-> $1 LIMIT $3;
:explain EXECUTE nearest('{0,0,0}', 'hats', 1);
EXECUTE nearest('{0,0,0}', 'hats', 1);
EXECUTE nearest('{4,0,0}', 'hats', 5);
EXECUTE nearest('{4,0,0}', 'shoes', 5);
SET plan_cache_mode = force_generic_plan;
:explain EXECUTE nearest('{0,0,0}', 'hats', 1);
EXECUTE nearest('{0,0,0}', 'hats', 1);
EXECUTE nearest('{0,0,0}', NULL, 1);
RESET plan_cache_mode;
DEALLOCATE nearest;

-- Writes. INSERT is an upsert by id; mapped columns land in the payload.
INSERT INTO shop (id, vector, payload, category, price) VALUES ('9', '{9,9,9}', '{"note": "new"}', 'bags', 12.5)
  RETURNING id, category, price, version > 0 AS versioned;
SELECT payload FROM gv_get('shop', ARRAY['9']);
INSERT INTO shop (id, vector, category) VALUES ('9', '{9,9,8}', 'bags');
SELECT vector, payload FROM gv_get('shop', ARRAY['9']);
-- The version is the engine's to give, on INSERT as on UPDATE.
INSERT INTO shop (id, vector, version) VALUES ('9v', '{9,9,7}', 42);
INSERT INTO shop (id, vector, version) VALUES ('9v', '{9,9,7}', NULL) RETURNING id, version > 0 AS versioned;
-- As a restore runs (check_function_bodies off), inserts into a foreign table are refused: a dump carries
-- points in gv_dump, and one made with --include-foreign-data would write them again. Nothing is written.
SET check_function_bodies = false;
INSERT INTO shop (id, vector) VALUES ('9w', '{9,9,6}');
COPY shop (id, vector) FROM STDIN;
9w	{9,9,6}
\.
UPDATE shop SET category = 'kept' WHERE id = '9v';
RESET check_function_bodies;
SELECT id, payload FROM gv_get('shop', ARRAY['9v', '9w']);
SELECT gv_delete('shop', ARRAY['9v']);
-- INSERT ... SELECT sends batches, not one call per row.
CREATE TABLE incoming AS SELECT (100 + g)::text AS id, ARRAY[g, 0, 0]::real[] AS vector,
  jsonb_build_object('batch', true, 'n', g) AS payload FROM generate_series(1, 2500) g;
INSERT INTO shop (id, vector, payload) SELECT id, vector, payload FROM incoming;
SELECT count(*) FROM shop WHERE payload @> '{"batch": true}';
-- COPY goes through the same batching.
COPY shop (id, vector, category) FROM stdin;
c1	{1,2,3}	copied
c2	{3,2,1}	copied
\.
SELECT id, vector FROM shop WHERE category = 'copied' ORDER BY id;
-- UPDATE of the vector, the payload, a mapped column.
UPDATE shop SET price = 41 WHERE id = '1' RETURNING id, price, category;
UPDATE shop SET vector = '{7,7,7}' WHERE id = '1';
SELECT vector, payload FROM gv_get('shop', ARRAY['1']);
UPDATE shop SET payload = '{"category": "boots"}' WHERE id = '2';
SELECT category, price, payload FROM shop WHERE id = '2';
UPDATE shop SET stock = NOT coalesce(stock, false) WHERE category = 'hats';
SELECT id, stock FROM shop WHERE category = 'hats' ORDER BY id;
-- DELETE: one engine call for a pushed-down filter; row by row with RETURNING.
:explain DELETE FROM shop WHERE payload @> '{"batch": true}' AND price IS NULL;
DELETE FROM shop WHERE payload @> '{"batch": true}' AND price IS NULL;
SELECT count(*) FROM shop;
DELETE FROM shop WHERE id = 'c1' RETURNING id, category;
DELETE FROM shop WHERE lower(category) = 'copied';
SELECT id FROM shop WHERE category = 'copied';
-- Bad rows fail the statement with the engine's error and SQLSTATE.
INSERT INTO shop (id, vector) VALUES ('bad', '{1,2}');
INSERT INTO shop (id, vector) VALUES (NULL, '{1,2,3}');
INSERT INTO shop (id, vector) VALUES ('novector', NULL);
UPDATE shop SET id = 'other' WHERE id = '3';
UPDATE shop SET vector = '{1,NaN,0}' WHERE id = '3';
SELECT count(*) FROM shop WHERE id IN ('bad', 'novector', 'other');
-- An ORM saving a model sets every column, id and version included, to what it read: accepted, as long as
-- they are the point's own (Django's save()); another id or version is refused, and nothing changes.
SELECT version AS v3 FROM shop WHERE id = '3' \gset
UPDATE shop SET id = '3', version = :v3, category = 'saved', vector = '{3,3,3}' WHERE id = '3';
SELECT id, category, vector, version > :v3 AS new_version FROM shop WHERE id = '3';
\set VERBOSITY terse
UPDATE shop SET version = :v3, category = 'stale' WHERE id = '3';
UPDATE shop SET version = NULL WHERE id = '3';
\set VERBOSITY default
SELECT category FROM shop WHERE id = '3';

-- IMPORT FOREIGN SCHEMA: one table per collection of this database.
SELECT gv_create_collection('imp-one', 2);
SELECT gv_create_collection('imp.two', 2);
CREATE SCHEMA imported;
IMPORT FOREIGN SCHEMA govector LIMIT TO ("imp-one", "imp.two") FROM SERVER govector INTO imported;
SELECT foreign_table_name FROM information_schema.foreign_tables WHERE foreign_table_schema = 'imported' ORDER BY 1;
INSERT INTO imported."imp-one" (id, vector) VALUES ('1', '{1,2}');
SELECT id, vector FROM imported."imp-one";
CREATE SCHEMA imported_except;
IMPORT FOREIGN SCHEMA govector EXCEPT (shop, "imp.two") FROM SERVER govector INTO imported_except;
SELECT foreign_table_name FROM information_schema.foreign_tables WHERE foreign_table_schema = 'imported_except' ORDER BY 1;
IMPORT FOREIGN SCHEMA public FROM SERVER govector INTO imported;

-- Options and definitions are checked when the table is created.
CREATE FOREIGN TABLE t_nocoll (id text) SERVER govector;
CREATE FOREIGN TABLE t_unknown (id text) SERVER govector OPTIONS (collection 'nope');
CREATE FOREIGN TABLE t_badopt (id text) SERVER govector OPTIONS (collection 'shop', colour 'red');
CREATE FOREIGN TABLE t_badbatch (id text) SERVER govector OPTIONS (collection 'shop', batch_size '0');
CREATE FOREIGN TABLE t_idtype (id int) SERVER govector OPTIONS (collection 'shop');
CREATE FOREIGN TABLE t_vectype (vector text[]) SERVER govector OPTIONS (collection 'shop');
CREATE FOREIGN TABLE t_unmapped (id text, colour text) SERVER govector OPTIONS (collection 'shop');
CREATE FOREIGN TABLE t_maptype (id text, seen date OPTIONS (payload_key 'seen')) SERVER govector OPTIONS (collection 'shop');
CREATE FOREIGN TABLE t_colopt (id text OPTIONS (colour 'red')) SERVER govector OPTIONS (collection 'shop');
ALTER SERVER govector OPTIONS (host 'elsewhere');
CREATE FOREIGN TABLE t_ok (id text, n numeric OPTIONS (payload_key 'price')) SERVER govector OPTIONS (collection 'shop');
ALTER FOREIGN TABLE t_ok ADD COLUMN colour text;
DROP FOREIGN TABLE t_ok;

-- A mapped integer column refuses a value it cannot hold, and says where it came from.
UPDATE shop SET price = 15.5 WHERE id = '3';
CREATE FOREIGN TABLE shop_int (id text, price int OPTIONS (payload_key 'price')) SERVER govector OPTIONS (collection 'shop');
SELECT id, price FROM shop_int WHERE id = '5';
SELECT id, price FROM shop_int WHERE id = '3';

-- A scan longer than one engine page (1,000 points) asks for each page after the last id of the one
-- before, which must outlive that page's memory.
SELECT gv_create_collection('pages', 2, 'euclid', 'flat');
SELECT gv_upsert_batch('pages', array_agg(g::text), array_agg(ARRAY[g, 1]::real[])::real[],
  array_agg(jsonb_build_object('n', g))) > 0 AS loaded FROM generate_series(1, 3500) g;
CREATE FOREIGN TABLE pages (id text, vector real[], payload jsonb) SERVER govector OPTIONS (collection 'pages');
SELECT count(*) FROM pages;
SELECT count(vector) AS vectors, count(DISTINCT id) AS ids, sum((payload->>'n')::int) AS n FROM pages;
-- <#> is not the collection's distance: every page is scrolled, then sorted.
EXPLAIN (COSTS OFF) SELECT id FROM pages ORDER BY vector <#> '{1,0}' LIMIT 3;
SELECT id FROM pages ORDER BY vector <#> '{1,0}' LIMIT 3;

-- ORDER BY with the collection's distance and a LIMIT is an engine search, however few the points.
SELECT gv_create_collection('five', 2, 'euclid', 'flat');
SELECT gv_upsert_batch('five', array_agg(g::text), array_agg(ARRAY[g, 0]::real[])::real[]) > 0 AS loaded
  FROM generate_series(1, 5) g;
CREATE FOREIGN TABLE five (id text, vector real[]) SERVER govector OPTIONS (collection 'five');
SELECT gv_create_collection('ten', 2, 'euclid');
SELECT gv_upsert_batch('ten', array_agg(g::text), array_agg(ARRAY[0, g]::real[])::real[]) > 0 AS loaded
  FROM generate_series(1, 10) g;
CREATE FOREIGN TABLE ten (id text, vector real[]) SERVER govector OPTIONS (collection 'ten');
EXPLAIN (COSTS OFF) SELECT id FROM five ORDER BY vector <-> '{0,0}' LIMIT 1;
EXPLAIN (COSTS OFF) SELECT id FROM five ORDER BY vector <-> '{0,0}' LIMIT 3;
EXPLAIN (COSTS OFF) SELECT id FROM five ORDER BY vector <-> '{0,0}' LIMIT 10;
SELECT id FROM five ORDER BY vector <-> '{0,0}' LIMIT 10;
EXPLAIN (COSTS OFF) SELECT id FROM ten ORDER BY vector <-> '{0,0}' LIMIT 1;
EXPLAIN (COSTS OFF) SELECT id FROM ten ORDER BY vector <-> '{0,0}' LIMIT 3;
EXPLAIN (COSTS OFF) SELECT id FROM ten ORDER BY vector <-> '{0,0}' LIMIT 10;
SELECT id FROM ten ORDER BY vector <-> '{0,3.2}' LIMIT 3;
PREPARE near_five(real[]) AS SELECT id FROM five ORDER BY vector <-> $1 LIMIT 3;
PREPARE near_ten(real[], int) AS SELECT id FROM ten ORDER BY vector <-> $1 LIMIT $2;
SET plan_cache_mode = force_custom_plan;
EXPLAIN (COSTS OFF) EXECUTE near_five('{0,0}');
EXECUTE near_five('{0,0}');
EXPLAIN (COSTS OFF) EXECUTE near_ten('{0,0}', 1);
EXECUTE near_ten('{0,0}', 1);
SET plan_cache_mode = force_generic_plan;
EXPLAIN (COSTS OFF) EXECUTE near_five('{0,0}');
EXECUTE near_five('{4.1,0}');
EXPLAIN (COSTS OFF) EXECUTE near_ten('{0,0}', 10);
EXECUTE near_ten('{0,7}', 2);
RESET plan_cache_mode;
DEALLOCATE near_five;
DEALLOCATE near_ten;

-- Ids read back as the engine prints them: numbers, lower-case UUIDs, strings as themselves. An id
-- spelt otherwise matches no row in Postgres (while the engine would find the point), so it is not
-- pushed; a bound parameter spelt otherwise matches nothing.
SELECT gv_create_collection('ids', 2, 'euclid', 'flat');
SELECT gv_upsert_batch('ids', ARRAY['550E8400-E29B-41D4-A716-446655440000', '7', '007', 'Name'],
  ARRAY[[1,0],[2,0],[3,0],[4,0]]::real[]) > 0 AS loaded;
CREATE FOREIGN TABLE ids (id text, vector real[]) SERVER govector OPTIONS (collection 'ids');
SELECT id FROM ids ORDER BY id;
:explain SELECT id FROM ids WHERE id = '550E8400-E29B-41D4-A716-446655440000';
SELECT id FROM ids WHERE id = '550E8400-E29B-41D4-A716-446655440000';
SELECT id FROM ids WHERE id || '' = '550E8400-E29B-41D4-A716-446655440000';
:explain SELECT id FROM ids WHERE id = '550e8400-e29b-41d4-a716-446655440000';
SELECT id FROM ids WHERE id = '550e8400-e29b-41d4-a716-446655440000';
:explain SELECT id FROM ids WHERE id = ANY(ARRAY['550E8400-E29B-41D4-A716-446655440000', '7']);
SELECT id FROM ids WHERE id = ANY(ARRAY['550E8400-E29B-41D4-A716-446655440000', '7']);
:explain SELECT id FROM ids WHERE id = ANY(ARRAY['550e8400-e29b-41d4-a716-446655440000', '007', 'name', NULL]);
SELECT id FROM ids WHERE id = ANY(ARRAY['550e8400-e29b-41d4-a716-446655440000', '007', 'name', NULL]) ORDER BY id;
:explain SELECT id FROM ids WHERE id = '';
SELECT id FROM ids WHERE id = '';
PREPARE by_id(text) AS SELECT id FROM ids WHERE id = $1;
PREPARE by_ids(text[]) AS SELECT id FROM ids WHERE id = ANY($1) ORDER BY id;
PREPARE not_ids(text[]) AS SELECT id FROM ids WHERE id <> ALL($1) ORDER BY id;
SET plan_cache_mode = force_generic_plan;
:explain EXECUTE by_id('7');
EXECUTE by_id('550E8400-E29B-41D4-A716-446655440000');
EXECUTE by_id('550e8400-e29b-41d4-a716-446655440000');
EXECUTE by_id('');
EXECUTE by_ids(ARRAY['550E8400-E29B-41D4-A716-446655440000', '7']);
EXECUTE not_ids(ARRAY['550E8400-E29B-41D4-A716-446655440000', '7']);
RESET plan_cache_mode;
DEALLOCATE by_id;
DEALLOCATE by_ids;
DEALLOCATE not_ids;

-- Numbers compare as Postgres compares the column's type: a real column rounds to float4 (not pushed),
-- bigint and numeric columns compare integers exactly (beyond a double's 2^53), double precision
-- columns compare as doubles.
SELECT gv_create_collection('nums', 2, 'euclid', 'flat');
SELECT gv_upsert_batch('nums', ARRAY['1', '2'], ARRAY[[1,0],[2,0]]::real[],
  ARRAY['{"p": 0.1, "big": 9007199254740993}', '{"p": 1, "big": 9007199254740992}']::jsonb[]) > 0 AS loaded;
CREATE FOREIGN TABLE nums (
  id text, vector real[],
  f real OPTIONS (payload_key 'p'),
  big numeric OPTIONS (payload_key 'big'),
  b8 bigint OPTIONS (payload_key 'big'),
  d float8 OPTIONS (payload_key 'big')
) SERVER govector OPTIONS (collection 'nums');
-- What Postgres says (evaluated locally, in the target list):
SELECT id, f = 0.1 AS f_eq, f < 0.5 AS f_lt, big = 9007199254740992 AS big_eq, b8 = 9007199254740993 AS b8_eq,
  d = 9007199254740993 AS d_eq FROM nums ORDER BY id;
:explain SELECT id FROM nums WHERE f = 0.1;
SELECT id FROM nums WHERE f = 0.1;
SELECT id FROM nums WHERE f < 0.5;
:explain SELECT id FROM nums WHERE big = 9007199254740992;
SELECT id FROM nums WHERE big = 9007199254740992;
:explain SELECT id FROM nums WHERE big = 9007199254740992.000;
SELECT id FROM nums WHERE big = 9007199254740992.000;
SELECT id FROM nums WHERE big > 9007199254740992;
-- A constant a double does not hold (9007199254740992.5 reads as 9007199254740992) stays in Postgres.
:explain SELECT id FROM nums WHERE big BETWEEN 9007199254740992.5 AND 9007199254740994;
SELECT id FROM nums WHERE big BETWEEN 9007199254740992.5 AND 9007199254740994;
SELECT id FROM nums WHERE big IN (9007199254740992.5, 9007199254740993);
SELECT id FROM nums WHERE big < 1e30;
:explain SELECT id FROM nums WHERE b8 = 9007199254740993;
SELECT id FROM nums WHERE b8 = 9007199254740993;
SELECT id FROM nums WHERE b8 IN (9007199254740992, 5);
SELECT id FROM nums WHERE b8 NOT IN (9007199254740992, 5);
SELECT id FROM nums WHERE b8 <> 9007199254740992;
:explain SELECT id FROM nums WHERE d = 9007199254740993;
SELECT id FROM nums WHERE d = 9007199254740993 ORDER BY id;
PREPARE big_is(bigint) AS SELECT id FROM nums WHERE b8 = $1;
SET plan_cache_mode = force_generic_plan;
EXECUTE big_is(9007199254740992);
RESET plan_cache_mode;
DEALLOCATE big_is;

-- An UPDATE the engine refuses changes nothing; one that changes the vector and the payload (or mapped
-- columns) changes both.
SELECT gv_create_collection('upd', 3, 'euclid', 'flat');
CREATE FOREIGN TABLE upd (id text, vector real[], payload jsonb, category text OPTIONS (payload_key 'category'))
  SERVER govector OPTIONS (collection 'upd');
INSERT INTO upd (id, vector, payload) VALUES ('1', '{1,0,0}', '{"category": "a", "keep": true}');
UPDATE upd SET payload = '{"zz": 2}', vector = '{1,2}' WHERE id = '1';
\echo :LAST_ERROR_SQLSTATE
UPDATE upd SET category = 'zz', vector = '{1,2}' WHERE id = '1';
UPDATE upd SET payload = '[1]', vector = '{0,1,0}' WHERE id = '1';
UPDATE upd SET payload = NULL, vector = '{0,1,0}' WHERE id = '1';
SELECT vector, payload FROM gv_get('upd', ARRAY['1']);
UPDATE upd SET category = 'b', vector = '{0,1,0}' WHERE id = '1' RETURNING id, vector, payload, category;
UPDATE upd SET payload = '{"new": 1}', category = 'c', vector = '{0,0,1}' WHERE id = '1'
  RETURNING id, vector, payload, category;
UPDATE upd SET vector = '{2,0,0}' WHERE id = '1' RETURNING id, vector, payload;
SELECT vector, payload FROM gv_get('upd', ARRAY['1']);

-- INSERT ... RETURNING returns the point as stored: the payload with mapped columns in it ({} for NULL),
-- mapped columns read from it, the id as the engine prints it, a cosine vector as written.
SELECT gv_create_collection('ret', 3, 'cosine', 'flat');
CREATE FOREIGN TABLE ret (
  id text, vector real[], payload jsonb, version bigint,
  category text OPTIONS (payload_key 'category'),
  x numeric OPTIONS (payload_key 'x')
) SERVER govector OPTIONS (collection 'ret');
INSERT INTO ret (id, vector, payload) VALUES ('1', '{1,0,0}', '{"category": "a", "x": 1}')
  RETURNING id, version > 0 AS versioned, category, x;
INSERT INTO ret (id, vector, category) VALUES ('2', '{3,4,0}', 'b') RETURNING id, vector, payload, category, x;
INSERT INTO ret (id, vector, payload, x) VALUES ('3', '{0,0,2}', NULL, 2.50) RETURNING id, vector, payload, x;
INSERT INTO ret (id, vector) VALUES ('550E8400-E29B-41D4-A716-446655440000', '{0,0,5}') RETURNING id, payload;
INSERT INTO ret (id, vector, category) SELECT g::text, ARRAY[0, g, 0]::real[], 'many' FROM generate_series(10, 12) g
  RETURNING id, vector, payload, version > 0 AS versioned;
SELECT id, vector, payload, category, x FROM ret ORDER BY id;

-- The distance of an ordered engine search is the engine's score: the L2 distance (euclid), 1 - the cosine
-- similarity (cosine), minus the dot product (dot), the L1 distance (manhattan). The scan returns it as
-- the ORDER BY expression's value (EXPLAIN shows the expression in double parentheses), so Postgres does
-- not compute it again, and the engine sends the stored vectors only when the query reads them. The
-- values are the operators' (the engine computes in float32, the operators in double): each is checked
-- against the operator computed by Postgres on a scan that is not a search.
SELECT gv_create_collection('dist_' || d, 3, d, 'flat') FROM unnest(ARRAY['euclid', 'cosine', 'dot', 'manhattan']) d;
SELECT gv_upsert_batch('dist_' || d, ARRAY['1', '2', '3', '4', '5', '6'],
  ARRAY[[1, 0.5, -0.25], [0.3, 0.9, 0.1], [-0.7, 0.2, 0.6], [2, -1, 0.5], [0.2, 0.1, 0.05], [-1.5, -0.5, 2]]::real[],
  ARRAY['{"n": 1}', '{"n": 2}', '{"n": 3}', '{"n": 4}', '{"n": 5}', '{"n": 6}']::jsonb[]) > 0 AS loaded
  FROM unnest(ARRAY['euclid', 'cosine', 'dot', 'manhattan']) d;
CREATE FOREIGN TABLE dist_euclid (id text, vector real[], n int OPTIONS (payload_key 'n'))
  SERVER govector OPTIONS (collection 'dist_euclid');
CREATE FOREIGN TABLE dist_cosine (id text, vector real[], n int OPTIONS (payload_key 'n'))
  SERVER govector OPTIONS (collection 'dist_cosine');
CREATE FOREIGN TABLE dist_dot (id text, vector real[], n int OPTIONS (payload_key 'n'))
  SERVER govector OPTIONS (collection 'dist_dot');
CREATE FOREIGN TABLE dist_manhattan (id text, vector real[], n int OPTIONS (payload_key 'n'))
  SERVER govector OPTIONS (collection 'dist_manhattan');
\set q '{0.5, 0.4, 0.3}'
:explain SELECT id FROM dist_euclid ORDER BY vector <-> :'q' LIMIT 3;
:explain SELECT id, vector <=> :'q' AS distance FROM dist_cosine ORDER BY vector <=> :'q' LIMIT 3;
-- Each operator on a collection of its distance: the engine's value beside Postgres's.
:explain WITH engine AS (SELECT id, vector <-> :'q' AS d FROM dist_euclid ORDER BY vector <-> :'q' LIMIT 4),
  local AS MATERIALIZED (SELECT id, vector <-> :'q' AS d FROM dist_euclid)
SELECT e.id, e.d, l.d FROM engine e JOIN local l USING (id);
WITH engine AS (SELECT id, vector <-> :'q' AS d FROM dist_euclid ORDER BY vector <-> :'q' LIMIT 4),
  local AS MATERIALIZED (SELECT id, vector <-> :'q' AS d FROM dist_euclid)
SELECT e.id, round(e.d::numeric, 4) AS engine, round(l.d::numeric, 4) AS postgres, abs(e.d - l.d) < 1e-5 AS agree
  FROM engine e JOIN local l USING (id) ORDER BY e.d;
WITH engine AS (SELECT id, vector <=> :'q' AS d FROM dist_cosine ORDER BY vector <=> :'q' LIMIT 4),
  local AS MATERIALIZED (SELECT id, vector <=> :'q' AS d FROM dist_cosine)
SELECT e.id, round(e.d::numeric, 4) AS engine, round(l.d::numeric, 4) AS postgres, abs(e.d - l.d) < 1e-5 AS agree
  FROM engine e JOIN local l USING (id) ORDER BY e.d;
WITH engine AS (SELECT id, vector <#> :'q' AS d FROM dist_dot ORDER BY vector <#> :'q' LIMIT 4),
  local AS MATERIALIZED (SELECT id, vector <#> :'q' AS d FROM dist_dot)
SELECT e.id, round(e.d::numeric, 4) AS engine, round(l.d::numeric, 4) AS postgres, abs(e.d - l.d) < 1e-5 AS agree
  FROM engine e JOIN local l USING (id) ORDER BY e.d;
WITH engine AS (SELECT id, vector <+> :'q' AS d FROM dist_manhattan ORDER BY vector <+> :'q' LIMIT 4),
  local AS MATERIALIZED (SELECT id, vector <+> :'q' AS d FROM dist_manhattan)
SELECT e.id, round(e.d::numeric, 4) AS engine, round(l.d::numeric, 4) AS postgres, abs(e.d - l.d) < 1e-5 AS agree
  FROM engine e JOIN local l USING (id) ORDER BY e.d;
-- The vector itself, when selected, is the stored one.
:explain SELECT id, vector FROM dist_euclid ORDER BY vector <-> :'q' LIMIT 3;
SELECT id, vector, round((vector <-> :'q')::numeric, 4) AS distance FROM dist_euclid ORDER BY vector <-> :'q' LIMIT 3;
-- Conditions Postgres evaluates itself read the columns they need, and the distance from the engine; the
-- scan asks for more neighbours until the LIMIT is met.
:explain SELECT id, n FROM dist_dot WHERE n % 2 = 0 ORDER BY vector <#> :'q' LIMIT 2;
SELECT id, n, round((vector <#> :'q')::numeric, 4) AS distance FROM dist_dot WHERE n % 2 = 0
  ORDER BY vector <#> :'q' LIMIT 2;
:explain SELECT id FROM dist_euclid WHERE vector <-> :'q' > 1 ORDER BY vector <-> :'q' LIMIT 2;
SELECT id, round((vector <-> :'q')::numeric, 4) AS distance FROM dist_euclid WHERE vector <-> :'q' > 1
  ORDER BY vector <-> :'q' LIMIT 2;
-- A generic plan with the vector bound, as ORMs send it.
PREPARE near_cosine(real[], int) AS
  SELECT id, round((vector <=> $1)::numeric, 4) AS distance FROM dist_cosine ORDER BY vector <=> $1 LIMIT $2;
SET plan_cache_mode = force_generic_plan;
:explain EXECUTE near_cosine('{0.5, 0.4, 0.3}', 2);
EXECUTE near_cosine('{0.5, 0.4, 0.3}', 2);
EXECUTE near_cosine('{-1, 0, 1}', 3);
SELECT id, round((vector <=> '{-1, 0, 1}')::numeric, 4) AS distance FROM dist_cosine
  ORDER BY vector <=> '{-1, 0, 1}', id LIMIT 3;
RESET plan_cache_mode;
DEALLOCATE near_cosine;
-- Rescans: one search per outer row of a nested loop, each with its own distances.
CREATE TABLE dist_queries (q int, v real[]);
INSERT INTO dist_queries VALUES (1, '{0.5, 0.4, 0.3}'), (2, '{-1, 0, 1}'), (3, '{2, -1, 0}');
:explain SELECT q.q, s.id, s.d FROM dist_queries q,
  LATERAL (SELECT id, vector <+> q.v AS d FROM dist_manhattan ORDER BY vector <+> q.v LIMIT 2) s;
SELECT q.q, s.id, round(s.d::numeric, 4) AS distance FROM dist_queries q,
  LATERAL (SELECT id, vector <+> q.v AS d FROM dist_manhattan ORDER BY vector <+> q.v LIMIT 2) s ORDER BY q.q, s.d;
-- The same, sorted and computed by Postgres (a second sort key: no engine search).
SELECT q.q, s.id, round(s.d::numeric, 4) AS distance FROM dist_queries q,
  LATERAL (SELECT id, vector <+> q.v AS d FROM dist_manhattan ORDER BY vector <+> q.v, id LIMIT 2) s ORDER BY q.q, s.d;
DROP TABLE dist_queries;
DROP FOREIGN TABLE dist_euclid, dist_cosine, dist_dot, dist_manhattan;
SELECT gv_drop_collection('dist_' || d) FROM unnest(ARRAY['euclid', 'cosine', 'dot', 'manhattan']) d;

DROP FOREIGN TABLE pages, five, ten, ids, nums, upd, ret;
SELECT gv_drop_collection(c) FROM unnest(ARRAY['pages', 'five', 'ten', 'ids', 'nums', 'upd', 'ret']) c;

DROP SCHEMA imported CASCADE;
DROP SCHEMA imported_except CASCADE;
DROP FOREIGN TABLE shop, shop_int;
DROP TABLE incoming;
SELECT gv_drop_collection(c) FROM unnest(ARRAY['shop', 'imp-one', 'imp.two']) c;

-- Pushed-down comparisons answer as Postgres does, also with NaN, the infinities and integers a double does
-- not hold (each predicate: the rows the pushed-down scan returns, and those Postgres keeps from a scan that
-- pushes nothing, through OFFSET 0).
SELECT gv_create_collection('nums', 1, 'dot');
SELECT gv_upsert('nums', v.id, '{1}', v.p::jsonb) > 0 AS written FROM (VALUES
  ('1', '{"n": 1}'), ('2', '{"n": 1e19}'), ('3', '{"n": 10000000000000000000}'), ('4', '{"n": 2.5}'),
  ('5', '{"n": -1e300}'), ('6', '{"n": "text"}'), ('7', '{}'), ('8', '{"n": 9223372036854775807}')) v(id, p);
CREATE FOREIGN TABLE nums (id text, n numeric OPTIONS (payload_key 'n'), f float8 OPTIONS (payload_key 'n'))
  SERVER govector OPTIONS (collection 'nums');
CREATE FUNCTION nums_agree(pred text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE pushed text; kept text; line text; engine boolean := false;
BEGIN
  EXECUTE format('SELECT string_agg(id, '','' ORDER BY id) FROM nums WHERE %s', pred) INTO pushed;
  EXECUTE format('SELECT string_agg(id, '','' ORDER BY id) FROM (SELECT * FROM nums OFFSET 0) s WHERE %s', pred) INTO kept;
  FOR line IN EXECUTE format('EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM nums WHERE %s', pred) LOOP
    engine := engine OR line LIKE '%Engine Filter%';
  END LOOP;
  RETURN format('%-40s %s %s %s', pred, CASE WHEN engine THEN 'pushed' ELSE 'local' END,
                CASE WHEN pushed IS NOT DISTINCT FROM kept THEN 'same' ELSE 'DIFFERENT' END, coalesce(kept, '-'));
END $$;
SELECT nums_agree(p) FROM unnest(ARRAY[
  'n < ''Infinity''', 'n <= ''Infinity''', 'n > ''Infinity''', 'n = ''Infinity''', 'n <> ''Infinity''',
  'n > ''-Infinity''', 'n < ''-Infinity''', 'n <> ''-Infinity''', 'n = ''-Infinity''',
  'n > ''NaN''', 'n < ''NaN''', 'n <> ''NaN''', 'n = ''NaN''', 'n >= ''NaN''',
  'f < ''Infinity''', 'f > ''-Infinity''', 'f = ''NaN''', 'f <> ''NaN''',
  'n IN (1, ''NaN'')', 'n NOT IN (1, ''Infinity'')', 'n IN (''NaN'', ''Infinity'')', 'n NOT IN (''NaN'')',
  'n = 10000000000000000001', 'n = 10000000000000000000', 'n > 9999999999999999999', 'n < 10000000000000000001',
  'n = 9223372036854775807', 'n > 9223372036854775806', 'n IN (10000000000000000001, 1)']) p;
-- A value known when the scan starts (a parameter of a generic plan) answers the same.
SET plan_cache_mode = force_generic_plan;
PREPARE nums_lt(numeric) AS SELECT string_agg(id, ',' ORDER BY id) FROM nums WHERE n < $1;
EXECUTE nums_lt('Infinity');
EXECUTE nums_lt('NaN');
EXECUTE nums_lt('-Infinity');
DEALLOCATE nums_lt;
RESET plan_cache_mode;
-- And they are pushed down: the engine filter in the plan.
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM nums WHERE n < 'Infinity' AND f <> 'NaN';
DROP FUNCTION nums_agree(text);
DROP FOREIGN TABLE nums;
SELECT gv_drop_collection('nums');
