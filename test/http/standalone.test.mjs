// Standalone mode: govectord --data-dir DIR --http-port PORT [--api-key KEY] with no Postgres. Writes survive
// SIGTERM (exit code 0) and a restart on the same directory: points, payloads, vectors, collection settings,
// payload indexes, deletions. SIGINT shuts down cleanly too, idle client connections do not hold the shutdown
// up, and without --api-key no key is needed. Always spawns its own servers, even when GV_HTTP_URL is set.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, describe, test } from 'node:test';

import { QdrantClient } from '@qdrant/js-client-rest';

import { freshDataDir, makeClient, raw, startGovectord } from './lib/server.mjs';
import { rng } from './lib/util.mjs';

const dirs = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function dataDir(tag) {
  const d = freshDataDir(`standalone-${tag}`);
  dirs.push(d);
  return d;
}

async function stopCleanly(server, signal = 'SIGTERM') {
  const started = Date.now();
  server.proc.kill(signal);
  const { code, signal: sig } = await server.exited;
  assert.equal(sig, null, `govectord was killed by ${sig}:\n${server.output()}`);
  assert.equal(code, 0, `govectord exited with ${code}:\n${server.output()}`);
  assert.match(server.output(), /shut down cleanly/);
  return Date.now() - started;
}

describe('standalone govectord', () => {
  test('points written before SIGTERM are all there after a restart on the same directory', async () => {
    const dir = dataDir('restart');
    const apiKey = 'standalone-key';
    let server = await startGovectord({ dataDir: dir, apiKey });
    let client = makeClient(server);
    const rand = rng(11);
    const vectors = Array.from({ length: 3000 }, () => Array.from({ length: 8 }, () => rand() - 0.5));
    const ids = vectors.map((_, i) => i + 1);
    await client.createCollection('hnsw', { vectors: { size: 8, distance: 'Cosine' }, hnsw_config: { m: 12, ef_construct: 50 } });
    await client.createCollection('flat_sq8', {
      vectors: { size: 8, distance: 'Euclid' },
      hnsw_config: { m: 0 },
      quantization_config: { scalar: { type: 'int8' } },
    });
    for (const c of ['hnsw', 'flat_sq8']) {
      // Acknowledged writes (no wait) as well as completed ones must survive a clean shutdown.
      for (let start = 0; start < ids.length; start += 1000) {
        await client.upsert(c, {
          wait: start === 0,
          batch: {
            ids: ids.slice(start, start + 1000),
            vectors: vectors.slice(start, start + 1000),
            payloads: ids.slice(start, start + 1000).map((id) => ({ id, group: id % 3 === 0 ? 'fizz' : 'other' })),
          },
        });
      }
      await client.delete(c, { wait: false, points: [1, 2, 3] });
      await client.setPayload(c, { wait: false, payload: { marked: true }, points: [10, 11] });
      await client.createPayloadIndex(c, { field_name: 'group', field_schema: 'keyword', wait: true });
    }
    await client.upsert('hnsw', { wait: false, points: [{ id: '6f1d2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b', vector: vectors[5], payload: { uuid: true } }] });
    const query = vectors[100];
    const before = {};
    for (const c of ['hnsw', 'flat_sq8']) {
      before[c] = {
        search: await client.query(c, { query, limit: 10, params: { exact: true }, with_payload: true }),
        count: await client.count(c),
        fizz: await client.count(c, { filter: { must: [{ key: 'group', match: { value: 'fizz' } }] } }),
        scroll: await client.scroll(c, { limit: 20, with_vector: true }),
      };
    }
    assert.equal(before.hnsw.count.count, 2998);
    assert.equal(before.flat_sq8.count.count, 2997);

    await stopCleanly(server);

    server = await startGovectord({ dataDir: dir, apiKey });
    client = makeClient(server);
    try {
      const { collections } = await client.getCollections();
      assert.deepEqual(collections.map((c) => c.name).sort(), ['flat_sq8', 'hnsw']);
      const hnswInfo = await client.getCollection('hnsw');
      assert.equal(hnswInfo.points_count, 2998);
      assert.equal(hnswInfo.config.params.vectors.distance, 'Cosine');
      assert.equal(hnswInfo.config.hnsw_config.m, 12);
      assert.equal(hnswInfo.config.hnsw_config.ef_construct, 50);
      assert.deepEqual(hnswInfo.payload_schema.group, { data_type: 'keyword', points: 2997 }); // not the UUID point
      const flatInfo = await client.getCollection('flat_sq8');
      assert.equal(flatInfo.config.params.vectors.distance, 'Euclid');
      assert.equal(flatInfo.config.hnsw_config.m, 0);
      assert.equal(flatInfo.config.quantization_config.scalar.type, 'int8');
      for (const c of ['hnsw', 'flat_sq8']) {
        assert.deepEqual(await client.count(c), before[c].count);
        assert.deepEqual(await client.count(c, { filter: { must: [{ key: 'group', match: { value: 'fizz' } }] } }), before[c].fizz);
        assert.deepEqual(await client.scroll(c, { limit: 20, with_vector: true }), before[c].scroll);
        const search = await client.query(c, { query, limit: 10, params: { exact: true }, with_payload: true });
        assert.deepEqual(search, before[c].search);
        assert.deepEqual(await client.retrieve(c, { ids: [1, 2, 3] }), []);
        assert.deepEqual((await client.retrieve(c, { ids: [10] }))[0].payload, { id: 10, group: 'other', marked: true });
        const [p] = await client.retrieve(c, { ids: [500], with_vector: true });
        const expected = c === 'hnsw' ? vectors[499].map((x) => x / Math.hypot(...vectors[499])) : vectors[499];
        p.vector.forEach((x, i) => assert.ok(Math.abs(x - expected[i]) < 1e-6));
      }
      const [u] = await client.retrieve('hnsw', { ids: ['6f1d2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b'] });
      assert.deepEqual(u.payload, { uuid: true });
      // Still writable after the restart.
      await client.upsert('hnsw', { points: [{ id: 1, vector: vectors[0], payload: { back: true } }] });
      assert.equal((await client.count('hnsw')).count, 2999);
    } finally {
      await stopCleanly(server);
    }
  });

  test('SIGINT shuts down cleanly; idle keep-alive connections do not hold the shutdown up', async () => {
    const dir = dataDir('sigint');
    let server = await startGovectord({ dataDir: dir, apiKey: 'k' });
    const client = makeClient(server);
    await client.createCollection('c', { vectors: { size: 2, distance: 'Dot' } });
    await client.upsert('c', { points: [{ id: 1, vector: [1, 2], payload: { a: 1 } }] });
    // The client now holds an idle keep-alive connection.
    const ms = await stopCleanly(server, 'SIGINT');
    assert.ok(ms < 2000, `shutdown took ${ms} ms`);
    server = await startGovectord({ dataDir: dir, apiKey: 'k' });
    try {
      const again = makeClient(server);
      assert.deepEqual(await again.retrieve('c', { ids: [1], with_vector: true }), [{ id: 1, payload: { a: 1 }, vector: [1, 2] }]);
    } finally {
      await stopCleanly(server);
    }
  });

  test('a write in flight when SIGTERM arrives is answered, and kept if it was acknowledged', async () => {
    const dir = dataDir('inflight');
    let server = await startGovectord({ dataDir: dir });
    const client = makeClient(server);
    await client.createCollection('c', { vectors: { size: 32, distance: 'Euclid' } });
    const rand = rng(3);
    const n = 20000;
    const body = JSON.stringify({
      batch: {
        ids: Array.from({ length: n }, (_, i) => i),
        vectors: Array.from({ length: n }, () => Array.from({ length: 32 }, () => Math.round(rand() * 1000) / 1000)),
      },
    });
    const pending = raw(server, 'PUT', '/collections/c/points', body).then(
      (r) => r,
      (e) => ({ error: e }),
    );
    await new Promise((r) => setTimeout(r, 30));
    await stopCleanly(server);
    const result = await pending;
    server = await startGovectord({ dataDir: dir });
    try {
      const { count } = await makeClient(server).count('c');
      if (result.status === 200) {
        assert.equal(result.json.result.status, 'acknowledged');
        assert.equal(count, n, 'an acknowledged write survives the shutdown');
      } else {
        // The request had not reached a handler: it was refused as a whole, never half applied.
        assert.ok(count === 0 || count === n, `count ${count}`);
      }
    } finally {
      await stopCleanly(server);
    }
  });

  test('without --api-key no key is needed', async () => {
    const server = await startGovectord({ dataDir: dataDir('nokey') });
    try {
      const client = new QdrantClient({ url: server.url, checkCompatibility: false });
      assert.deepEqual(await client.getCollections(), { collections: [] });
      await client.createCollection('open', { vectors: { size: 2, distance: 'Dot' } });
      assert.deepEqual(await client.collectionExists('open'), { exists: true });
      const r = await raw({ url: server.url }, 'GET', '/metrics');
      assert.equal(r.status, 200);
      assert.match(r.text, /govector_collections 1/);
    } finally {
      await stopCleanly(server);
    }
  });
});
