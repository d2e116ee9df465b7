-- Every filter condition type, evaluated by the engine, through gv_count and gv_scroll.
SELECT gv_create_collection('f', 2, 'euclid');
SELECT gv_upsert_batch('f', ARRAY['1','2','3','4','5'], ARRAY[[1,0],[2,0],[3,0],[4,0],[5,0]]::real[], ARRAY[
  '{"city": "Berlin", "pop": 3.6, "tags": ["a", "b"], "founded": "1237-01-01T00:00:00Z", "meta": {"ok": true}, "stops": [{"name": "Zoo", "line": 1}, {"name": "Mitte", "line": 2}]}',
  '{"city": "Bern", "pop": 0.13, "tags": ["b"], "founded": "1191-06-01", "meta": {"ok": false}, "note": null}',
  '{"city": "Boston", "pop": 0.65, "tags": [], "founded": "1630-09-17T00:00:00-05:00", "rank": 3, "stops": [{"name": "Zoo", "line": 2}]}',
  '{"city": "Bergen", "pop": 0.28, "tags": ["c", null], "rank": 3.0}',
  '{}'
]::jsonb[]) > 0 AS loaded;

CREATE FUNCTION ids(filter jsonb) RETURNS text AS
$$ SELECT coalesce(string_agg(id, ',' ORDER BY id), '-') FROM gv_scroll('f', filter) $$ LANGUAGE sql;

SELECT 'match value'      AS cond, ids('{"must": [{"key": "city", "match": {"value": "Bern"}}]}');
SELECT 'match any'        AS cond, ids('{"must": [{"key": "city", "match": {"any": ["Bern", "Boston"]}}]}');
SELECT 'match except'     AS cond, ids('{"must": [{"key": "city", "match": {"except": ["Bern", "Boston"]}}]}');
SELECT 'match text'       AS cond, ids('{"must": [{"key": "city", "match": {"text": "er"}}]}');
SELECT 'match prefix'     AS cond, ids('{"must": [{"key": "city", "match": {"prefix": "Ber"}}]}');
SELECT 'match contains'   AS cond, ids('{"must": [{"key": "city", "match": {"contains": "ost"}}]}');
SELECT 'match regex'      AS cond, ids('{"must": [{"key": "city", "match": {"regex": "^B.r(n|gen)$"}}]}');
SELECT 'array element'    AS cond, ids('{"must": [{"key": "tags", "match": {"value": "b"}}]}');
SELECT 'integer not float' AS cond, ids('{"must": [{"key": "rank", "match": {"value": 3}}]}');
SELECT 'range'            AS cond, ids('{"must": [{"key": "pop", "range": {"gt": 0.2, "lte": 3.6}}]}');
SELECT 'datetime range'   AS cond, ids('{"must": [{"key": "founded", "range": {"gte": "1200-01-01", "lt": "1630-09-17T06:00:00Z"}}]}');
SELECT 'values_count'     AS cond, ids('{"must": [{"key": "tags", "values_count": {"gte": 2}}]}');
SELECT 'is_empty'         AS cond, ids('{"must": [{"is_empty": {"key": "tags"}}]}');
SELECT 'is_null'          AS cond, ids('{"must": [{"is_null": {"key": "note"}}]}');
SELECT 'has_id'           AS cond, ids('{"must": [{"has_id": [2, 4, 99]}]}');
SELECT 'dotted path'      AS cond, ids('{"must": [{"key": "meta.ok", "match": {"value": true}}]}');
SELECT 'flattened path'   AS cond, ids('{"must": [{"key": "stops[].name", "match": {"value": "Zoo"}}]}');
SELECT 'nested'           AS cond, ids('{"must": [{"nested": {"key": "stops", "filter": {"must": [{"key": "name", "match": {"value": "Zoo"}}, {"key": "line", "match": {"value": 2}}]}}}]}');
SELECT 'must_not'         AS cond, ids('{"must_not": [{"key": "city", "match": {"prefix": "Be"}}]}');
SELECT 'should'           AS cond, ids('{"should": [{"key": "city", "match": {"value": "Bern"}}, {"has_id": [5]}]}');
SELECT 'should empty'     AS cond, ids('{"should": []}');
SELECT 'min_should'       AS cond, ids('{"min_should": {"conditions": [{"key": "city", "match": {"prefix": "B"}}, {"key": "pop", "range": {"lt": 1}}, {"key": "rank", "range": {"gte": 3}}], "min_count": 3}}');
SELECT 'nested filter'    AS cond, ids('{"must": [{"should": [{"has_id": [1]}, {"has_id": [2]}]}], "must_not": [{"has_id": [2]}]}');
SELECT 'contains object'  AS cond, ids('{"meta": {"ok": false}}');
SELECT 'contains array'   AS cond, ids('{"tags": ["a"]}');

-- Malformed filters name the offending part; nothing is deleted by a bad delete.
SELECT ids('{"must": [{"key": "city", "match": {"value": 1.5}}]}');
SELECT ids('{"must": [{"key": "city", "match": {"any": ["a", 1]}}]}');
SELECT ids('{"must": [{"key": "", "match": {"value": "x"}}]}');
SELECT ids('{"must": [{"key": "a..b", "match": {"value": "x"}}]}');
SELECT ids('{"must": [{"key": "pop", "range": {"gt": 1, "lt": "2020-01-01"}}]}');
SELECT ids('{"must": [{"key": "pop", "range": {"near": 1}}]}');
SELECT ids('{"must": [{"key": "pop", "geo_radius": {}}]}');
SELECT ids('{"min_should": {"conditions": []}}');
SELECT ids('{"must": [{"nested": {"key": "stops", "filter": {"must": [{"has_id": [1]}]}}}]}');
SELECT ids('{"must": 5}');
SELECT ids('{"must": [], "mustnt": []}');
SELECT gv_delete_where('f', '{"must": [{"key": "city", "match": {"bogus": 1}}]}');
SELECT gv_count('f');

DROP FUNCTION ids(jsonb);
SELECT gv_drop_collection('f');
