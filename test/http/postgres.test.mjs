// The HTTP API inside Postgres: the same data as the SQL functions and the foreign tables, the collections of
// govector.http_database only, and the govector.http_* settings. Needs the cluster test/http/run.sh starts
// (GV_PSQL, GV_HTTP_URL, GV_API_KEY, GV_PG_LOG); standalone, the whole file is skipped.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { QdrantClient } from '@qdrant/js-client-rest';

const psqlCmd = process.env.GV_PSQL ? JSON.parse(process.env.GV_PSQL) : null;
const url = process.env.GV_HTTP_URL;
const apiKey = process.env.GV_API_KEY;

// Runs SQL through psql (-t -A: bare values, one row per line) and returns its output, trimmed.
function sql(query, { db = 'postgres', user = 'postgres' } = {}) {
  const args = psqlCmd.slice(1);
  const i = args.indexOf('-d');
  args[i + 1] = db;
  const u = args.indexOf('-U');
  args[u + 1] = user;
  return execFileSync(psqlCmd[0], [...args, '-c', query], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

// The SQL error an erroring statement reports (psql's stderr), or null when it succeeded.
function sqlError(query, opts) {
  try {
    sql(query, opts);
    return null;
  } catch (e) {
    return String(e.stderr);
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what, fn, ms = 15000) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    try {
      if (await fn()) return;
    } catch (e) {
      last = e;
    }
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
}

function enginePid() {
  return sql("SELECT gv_engine_status()->>'pid'");
}

describe('HTTP and SQL share one engine', { skip: !psqlCmd && 'needs the cluster test/http/run.sh starts' }, () => {
  const client = () => new QdrantClient({ url, apiKey, checkCompatibility: false });

  before(() => {
    sql("SELECT gv_drop_collection(c, true) FROM unnest(ARRAY['pg_http', 'pg_sql', 'pg_other_db']) c");
  });
  after(() => {
    sql("SELECT gv_drop_collection(c, true) FROM unnest(ARRAY['pg_http', 'pg_sql']) c");
  });

  test('points written over HTTP are found by gv_search, gv_get and a foreign table', async () => {
    const c = client();
    await c.createCollection('pg_http', { vectors: { size: 3, distance: 'Euclid' } });
    await c.upsert('pg_http', {
      wait: true,
      points: [
        { id: 1, vector: [0, 0, 0], payload: { color: 'red', n: 1 } },
        { id: 2, vector: [1, 0, 0], payload: { color: 'blue', n: 2 } },
        { id: '4a1f8f1e-4c9b-4b43-9f0e-3a6b1d2c5e70', vector: [5, 5, 5], payload: { color: 'red', n: 3 } },
      ],
    });
    assert.equal(sql("SELECT string_agg(id || ':' || round(score::numeric, 4), ',') FROM gv_search('pg_http', '{0.9, 0, 0}', 2)"),
      '2:0.1000,1:0.9000');
    assert.equal(sql(`SELECT string_agg(id, ',') FROM gv_search('pg_http', '{0, 0, 0}', 10, '{"color": "red"}')`),
      '1,4a1f8f1e-4c9b-4b43-9f0e-3a6b1d2c5e70');
    assert.equal(sql("SELECT payload->>'color' FROM gv_get('pg_http', ARRAY['2'])"), 'blue');
    assert.equal(sql("SELECT gv_count('pg_http')"), '3');
    sql(`CREATE FOREIGN TABLE IF NOT EXISTS pg_http_ft (id text, vector real[], payload jsonb,
           color text OPTIONS (payload_key 'color')) SERVER govector OPTIONS (collection 'pg_http')`);
    try {
      assert.equal(sql("SELECT string_agg(id, ',' ORDER BY id) FROM pg_http_ft WHERE color = 'blue'"), '2');
      assert.equal(sql("SELECT id FROM pg_http_ft ORDER BY vector <-> '{4, 4, 4}' LIMIT 1"),
        '4a1f8f1e-4c9b-4b43-9f0e-3a6b1d2c5e70');
      // A collection that a foreign table uses is not deleted from under it: 400, naming the table.
      await assert.rejects(c.deleteCollection('pg_http'), (e) => {
        assert.equal(e.status, 400, JSON.stringify(e.data));
        assert.match(e.data.status.error, /foreign tables use it.*public\.pg_http_ft/);
        return true;
      });
      assert.equal(sql("SELECT gv_count('pg_http')"), '3');
    } finally {
      sql('DROP FOREIGN TABLE pg_http_ft');
    }
  });

  test('a cosine collection keeps vectors as written for SQL, and shows them normalised over HTTP as Qdrant', async () => {
    const c = client();
    await c.createCollection('pg_cos', { vectors: { size: 2, distance: 'Cosine' } });
    try {
      await c.upsert('pg_cos', { wait: true, points: [{ id: 1, vector: [3, 4] }] });
      sql("SELECT gv_upsert('pg_cos', '2', '{0,2}')");
      assert.equal(sql("SELECT string_agg(id || '=' || vector::text, ' ' ORDER BY id) FROM gv_get('pg_cos', ARRAY['1', '2'])"),
        '1={3,4} 2={0,2}');
      const got = await c.retrieve('pg_cos', { ids: [1, 2], with_vector: true });
      const byId = Object.fromEntries(got.map((p) => [p.id, p.vector]));
      for (const [id, want] of [[1, [0.6, 0.8]], [2, [0, 1]]])
        byId[id].forEach((x, i) => assert.ok(Math.abs(x - want[i]) < 1e-6, `${id}: ${JSON.stringify(byId[id])}`));
      const { points } = await c.query('pg_cos', { query: [6, 8], limit: 1, with_vector: true });
      assert.equal(points[0].id, 1);
      assert.ok(Math.abs(points[0].score - 1) < 1e-6);
      assert.ok(Math.abs(points[0].vector[0] - 0.6) < 1e-6, JSON.stringify(points[0].vector));
    } finally {
      sql("SELECT gv_drop_collection('pg_cos')");
    }
  });

  test('HTTP writes are Postgres transactions: logged in WAL by govector\'s resource manager', async () => {
    const c = client();
    sql('CREATE EXTENSION IF NOT EXISTS pg_walinspect');
    const before = sql('SELECT pg_current_wal_lsn()');
    await c.upsert('pg_http', { wait: true, points: [{ id: 9, vector: [9, 9, 9], payload: { via: 'wal' } }] });
    await c.setPayload('pg_http', { wait: true, payload: { tagged: true }, filter: { must: [{ key: 'via', match: { value: 'wal' } }] } });
    await c.delete('pg_http', { wait: true, points: [9] });
    const kinds = sql(`SELECT string_agg(record_type, ',' ORDER BY start_lsn) FROM pg_get_wal_records_info('${before}', pg_current_wal_lsn())
                       WHERE resource_manager = 'govector'`);
    assert.equal(kinds, 'WRITE,WRITE,WRITE');
    assert.ok(Number(sql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'govector HTTP writes'")) >= 1);
    assert.equal(sql("SELECT count(*) FROM gv_get('pg_http', ARRAY['9'])"), '0');
    // The engine refuses a bad write with its own error, worded as Qdrant does; nothing reaches WAL.
    const mark = sql('SELECT pg_current_wal_lsn()');
    await assert.rejects(c.upsert('pg_http', { wait: true, points: [{ id: 10, vector: [1, 2] }] }),
      (e) => e.status === 400 && /Vector dimension error: expected dim: 3, got 2/.test(JSON.stringify(e.data)));
    assert.equal(sql(`SELECT CASE WHEN pg_current_wal_lsn() = '${mark}' THEN 0 ELSE (SELECT count(*)
                        FROM pg_get_wal_records_info('${mark}', pg_current_wal_lsn()) WHERE resource_manager = 'govector') END`), '0');
  });

  test('points written in SQL are found over HTTP, with the same ids, payloads and versions', async () => {
    const c = client();
    sql("SELECT gv_create_collection('pg_sql', 2, 'cosine')");
    const version = sql(`SELECT gv_upsert_batch('pg_sql', ARRAY['10', '11', 'a-string-id'],
                           ARRAY[[1, 0], [0, 1], [1, 1]]::real[],
                           ARRAY['{"k": "x"}', '{"k": "y"}', '{"k": "x", "deep": {"v": 7}}']::jsonb[])`);
    const res = await c.query('pg_sql', { query: [1, 0.1], limit: 3, with_payload: true });
    assert.deepEqual(res.points.map((p) => p.id), [10, 'a-string-id', 11]);
    assert.equal(res.points[0].version, Number(version));
    assert.deepEqual(res.points[1].payload, { k: 'x', deep: { v: 7 } });
    const filtered = await c.query('pg_sql', {
      query: [0, 1],
      filter: { must: [{ key: 'k', match: { value: 'x' } }] },
      limit: 10,
    });
    assert.deepEqual(filtered.points.map((p) => p.id), ['a-string-id', 10]);
    const info = await c.getCollection('pg_sql');
    assert.equal(info.points_count, 3);
    assert.equal(info.config.params.vectors.size, 2);
    assert.equal(info.config.params.vectors.distance, 'Cosine');
    // A delete over HTTP is seen by SQL at once.
    await c.delete('pg_sql', { wait: true, points: [11] });
    assert.equal(sql("SELECT gv_count('pg_sql')"), '2');
    assert.equal(sql("SELECT count(*) FROM gv_get('pg_sql', ARRAY['11'])"), '0');
  });

  test("the README's search done three ways gives the same answer", async () => {
    sql("SELECT gv_drop_collection('pg_readme', true)");
    sql("SELECT gv_create_collection('pg_readme', 3, 'cosine')");
    try {
      sql(`SELECT gv_upsert_batch('pg_readme', ARRAY['1', '2', '3', '4'],
             ARRAY[[0.1, 0.9, 0.2], [0.8, 0.1, 0.1], [0.2, 0.8, 0.3], [0.3, 0.3, 0.3]]::real[],
             ARRAY['{"category": "shoes", "price": 40}', '{"category": "hats"}', '{"category": "shoes", "price": 90}',
                   '{"category": "scarves"}']::jsonb[])`);
      const viaFunction = sql(`SELECT string_agg(id, ',') FROM gv_search('pg_readme', '{0.1, 0.9, 0.25}', 3,
                                 '{"category": "shoes"}')`);
      sql(`CREATE FOREIGN TABLE pg_readme_ft (id text, vector real[], payload jsonb,
             category text OPTIONS (payload_key 'category')) SERVER govector OPTIONS (collection 'pg_readme')`);
      let viaTable;
      try {
        viaTable = sql(`SELECT string_agg(id, ',') FROM (SELECT id FROM pg_readme_ft WHERE category = 'shoes'
                          ORDER BY vector <=> '{0.1, 0.9, 0.25}' LIMIT 3) s`);
      } finally {
        sql('DROP FOREIGN TABLE pg_readme_ft');
      }
      const { points } = await client().query('pg_readme', {
        query: [0.1, 0.9, 0.25],
        limit: 3,
        filter: { must: [{ key: 'category', match: { value: 'shoes' } }] },
      });
      assert.equal(viaFunction, '1,3');
      assert.equal(viaTable, viaFunction);
      assert.equal(points.map((p) => p.id).join(','), viaFunction);
    } finally {
      sql("SELECT gv_drop_collection('pg_readme', true)");
    }
  });

  test('the API serves govector.http_database only', async () => {
    const c = client();
    if (sql("SELECT count(*) FROM pg_database WHERE datname = 'gv_http_other'") === '0')
      sql('CREATE DATABASE gv_http_other');
    sql('CREATE EXTENSION IF NOT EXISTS govector', { db: 'gv_http_other' });
    sql("SELECT gv_drop_collection('pg_other_db', true)", { db: 'gv_http_other' });
    sql("SELECT gv_create_collection('pg_other_db', 2)", { db: 'gv_http_other' });
    try {
      const names = (await c.getCollections()).collections.map((x) => x.name);
      assert.ok(!names.includes('pg_other_db'), `another database's collection is listed: ${names}`);
      assert.deepEqual(await c.collectionExists('pg_other_db'), { exists: false });
      await assert.rejects(c.getCollection('pg_other_db'), (e) => e.status === 404);
      // The same name over HTTP is a different collection, in the served database.
      await c.createCollection('pg_other_db', { vectors: { size: 4, distance: 'Dot' } });
      assert.equal(sql("SELECT dimension FROM gv_collections() WHERE name = 'pg_other_db'"), '4');
      assert.equal(sql("SELECT dimension FROM gv_collections() WHERE name = 'pg_other_db'", { db: 'gv_http_other' }), '2');
      await c.deleteCollection('pg_other_db');
    } finally {
      sql("SELECT gv_drop_collection('pg_other_db', true)", { db: 'gv_http_other' });
    }
  });

  test('gv_engine_status reports the HTTP endpoint', () => {
    const http = JSON.parse(sql("SELECT gv_engine_status()->'http'"));
    assert.equal(http.port, Number(new URL(url).port));
    assert.equal(http.serving, true);
    assert.equal(http.api_key_required, true);
    assert.equal(String(http.namespace), sql("SELECT oid FROM pg_database WHERE datname = 'postgres'"));
  });

  test('the API key is hidden from other roles, and settable only in the server configuration', () => {
    sql("DO $$ BEGIN CREATE ROLE gv_http_reader LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$");
    assert.equal(sql('SHOW govector.http_api_key'), apiKey);
    const err = sqlError('SHOW govector.http_api_key', { user: 'gv_http_reader' });
    assert.match(err, /permission denied|must be superuser|pg_read_all_settings/);
    assert.match(sqlError("SET govector.http_api_key = 'x'"), /cannot be changed now/);
    assert.match(sqlError("SET govector.http_port = 1234"), /cannot be changed now/);
    assert.match(sqlError("ALTER SYSTEM SET govector.http_listen_addresses = 'a, b'"), /one address/);
  });

  test('a reload with a new API key restarts the engine, which then wants the new key', async () => {
    const before = enginePid();
    const newKey = `${apiKey}-rotated`;
    try {
      sql(`ALTER SYSTEM SET govector.http_api_key = '${newKey}'`);
      sql('SELECT pg_reload_conf()');
      await waitFor('a restarted engine', () => {
        const now = enginePid();
        return now !== before;
      });
      const fresh = new QdrantClient({ url, apiKey: newKey, checkCompatibility: false });
      await waitFor('HTTP with the new key', async () => (await fresh.getCollections()) !== undefined);
      await assert.rejects(client().getCollections(), (e) => e.status === 401);
      assert.match(readFileSync(process.env.GV_PG_LOG, 'utf8'), /govector: engine settings changed; restarting the engine/);
    } finally {
      sql('ALTER SYSTEM RESET govector.http_api_key');
      sql('SELECT pg_reload_conf()');
    }
    await waitFor('HTTP with the original key', async () => (await client().getCollections()) !== undefined);
  });

  test('govector.http_database naming a missing database: SQL still works, HTTP is off, a warning says why', async () => {
    const before = enginePid();
    try {
      sql("ALTER SYSTEM SET govector.http_database = 'gv_no_such_db'");
      sql('SELECT pg_reload_conf()');
      await waitFor('a restarted engine', () => enginePid() !== before);
      assert.equal(sql("SELECT gv_engine_status()->'http'"), 'null');
      await assert.rejects(fetch(`${url}/collections`, { headers: { 'api-key': apiKey } }));
      await waitFor('the warning', () =>
        /not serving HTTP: database "gv_no_such_db" \(govector.http_database\) does not exist/.test(
          readFileSync(process.env.GV_PG_LOG, 'utf8')));
    } finally {
      sql('ALTER SYSTEM RESET govector.http_database');
      sql('SELECT pg_reload_conf()');
    }
    await waitFor('HTTP back', async () => (await client().getCollections()) !== undefined);
  });
});
