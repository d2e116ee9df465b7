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
CREATE FOREIGN TABLE t_vectype (vector float8[]) SERVER govector OPTIONS (collection 'shop');
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

DROP SCHEMA imported CASCADE;
DROP SCHEMA imported_except CASCADE;
DROP FOREIGN TABLE shop, shop_int;
DROP TABLE incoming;
SELECT gv_drop_collection(c) FROM unnest(ARRAY['shop', 'imp-one', 'imp.two']) c;
