// node-postgres (npm's pg) over govector, as an application writes it: gv_* functions and a foreign table
// with JavaScript arrays, Float32Array / Float64Array, pgvector's text form, rollback. test/orm/run.sh starts
// the cluster and passes GV_HOST / GV_PORT / GV_DB.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';

const client = new pg.Client({ host: process.env.GV_HOST, port: Number(process.env.GV_PORT),
  database: process.env.GV_DB, user: 'postgres' });

// node-postgres sends a typed array as raw bytes (a bytea), which no array type reads: give it the array
// (Array.from) or pgvector's text form, as pgvector-node's toSql does.
const asArray = (typed) => Array.from(typed);
const asText = (typed) => `[${Array.from(typed).join(',')}]`;

before(async () => {
  await client.connect();
  await client.query("SELECT gv_create_collection('node_docs', 3, 'euclid')");
  await client.query(`CREATE FOREIGN TABLE node_docs (id text, vector real[], payload jsonb, version bigint)
                      SERVER govector OPTIONS (collection 'node_docs')`);
  await client.query(`CREATE FOREIGN TABLE node_docs8 (id text, vector double precision[])
                      SERVER govector OPTIONS (collection 'node_docs')`);
});

after(async () => {
  await client.query('DROP FOREIGN TABLE node_docs, node_docs8');
  await client.query("SELECT gv_drop_collection('node_docs')");
  await client.end();
});

test('gv_upsert and gv_upsert_batch take JavaScript arrays, typed arrays and text, with no casts', async () => {
  await client.query('SELECT gv_upsert($1, $2, $3, $4)', ['node_docs', 'a', [1, 2, 3], { k: 'a' }]);
  await client.query('SELECT gv_upsert($1, $2, $3)', ['node_docs', 'b', asArray(new Float32Array([4, 5, 6]))]);
  await client.query('SELECT gv_upsert($1, $2, $3)', ['node_docs', 'c', asText(new Float64Array([0.5, 0.25, 2]))]);
  await client.query('SELECT gv_upsert_batch($1, $2, $3, $4)',
    ['node_docs', ['d', 'e'], [[7, 8, 9], [0.1, 0.2, 0.3]], ['{"k": "d"}', '{"k": "e"}']]);
  const { rows } = await client.query("SELECT id, vector, payload FROM gv_get('node_docs', $1) ORDER BY id",
    [['a', 'b', 'c', 'd', 'e']]);
  assert.deepEqual(rows.map((r) => [r.id, r.vector]),
    [['a', [1, 2, 3]], ['b', [4, 5, 6]], ['c', [0.5, 0.25, 2]], ['d', [7, 8, 9]], ['e', [0.1, 0.2, 0.3]]]);
  assert.deepEqual(rows[0].payload, { k: 'a' });
  assert.deepEqual(rows[3].payload, { k: 'd' });
});

test('gv_search and ORDER BY vector <-> $1 with array parameters, on real[] and double precision[] columns', async () => {
  const q = new Float32Array([1, 2, 3.5]);
  const s1 = await client.query('SELECT id FROM gv_search($1, $2, 2)', ['node_docs', asText(q)]);
  assert.deepEqual(s1.rows.map((r) => r.id), ['a', 'c']);
  for (const table of ['node_docs', 'node_docs8']) {
    const sql = `SELECT id, vector <-> $1 AS d FROM ${table} ORDER BY vector <-> $1 LIMIT 2`;
    const plan = await client.query(`EXPLAIN ${sql}`, [asArray(q)]);
    assert.match(plan.rows.map((r) => r['QUERY PLAN']).join('\n'), /Engine Search/);
    const { rows } = await client.query(sql, [asArray(q)]);
    assert.deepEqual(rows.map((r) => r.id), ['a', 'c']);
    assert.ok(Math.abs(rows[0].d - 0.5) < 1e-6, `distance ${rows[0].d}`);
  }
});

test('foreign-table writes with array parameters, and ROLLBACK leaves nothing', async () => {
  await client.query('INSERT INTO node_docs8 (id, vector) VALUES ($1, $2)', ['f', asArray(new Float64Array([0.1, 0.7, 0.9]))]);
  const { rows } = await client.query("SELECT vector FROM node_docs8 WHERE id = 'f'");
  assert.deepEqual(rows[0].vector, [0.1, 0.7, 0.9]);
  await client.query('BEGIN');
  await client.query('INSERT INTO node_docs (id, vector) VALUES ($1, $2)', ['g', [1, 1, 1]]);
  assert.equal((await client.query("SELECT count(*)::int AS n FROM node_docs WHERE id = 'g'")).rows[0].n, 1);
  await client.query('ROLLBACK');
  assert.equal((await client.query("SELECT gv_count('node_docs')::int AS n")).rows[0].n, 6);
});
