// Collections through the Qdrant client: GET / and the client's compatibility check, the health probes, create (vectors, hnsw_config,
// quantization_config), list, info, exists, delete, payload indexes, the response envelope, trailing slashes and
// GET /metrics.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { QdrantClient } from '@qdrant/js-client-rest';

import { clientError, collectionName, raw, useServer } from './lib/server.mjs';
import { eventually } from './lib/util.mjs';

const TAG = 'coll';
const server = useServer(TAG);
const name = (s) => collectionName(TAG, s);

async function create(suffix, body) {
  const n = name(suffix);
  await server.client.deleteCollection(n);
  assert.equal(await server.client.createCollection(n, body), true);
  server.track(n);
  return n;
}

describe('GET /', () => {
  test('answers without an API key, un-enveloped, with a version the 1.19 client accepts', async () => {
    const r = await raw(server, 'GET', '/', undefined, { apiKey: null });
    assert.equal(r.status, 200);
    assert.equal(typeof r.json.title, 'string');
    assert.equal(r.json.version, '1.19.0');
    assert.match(r.json.commit, /^([0-9a-f]{40}|unknown)$/, 'the git commit govectord was built from');
    assert.equal(r.json.result, undefined, 'GET / is not wrapped in the envelope');
    const [major, minor] = r.json.version.split('.').map(Number);
    assert.equal(major, 1);
    assert.ok(Math.abs(minor - 19) <= 1);
  });

  test("the client's compatibility check passes silently, with and without a key", async () => {
    const warnings = [];
    const warn = console.warn;
    console.warn = (...args) => warnings.push(args.join(' '));
    try {
      new QdrantClient({ url: server.url, apiKey: server.apiKey ?? undefined });
      new QdrantClient({ url: server.url });
      // The check runs in the background; give it time to finish (it only ever warns).
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      console.warn = warn;
    }
    const relevant = warnings.filter((w) => !w.startsWith('Api key is used with unsecure connection'));
    assert.deepEqual(relevant, []);
  });

  test('the health probes answer without an API key', async () => {
    for (const path of ['/healthz', '/livez', '/readyz']) {
      const r = await raw(server, 'GET', path, undefined, { apiKey: null });
      assert.equal(r.status, 200, path);
      assert.equal(r.text, 'healthz check passed');
    }
  });

  test('versionInfo returns the root document', async () => {
    const info = await server.client.versionInfo();
    assert.equal(info.version, '1.19.0');
  });
});

describe('create, info, list, exists, delete', () => {
  test('create returns true and info reports what was created, for each distance', async () => {
    for (const [distance, size] of [['Cosine', 4], ['Dot', 3], ['Euclid', 5], ['Manhattan', 2]]) {
      const n = await create(`dist_${distance.toLowerCase()}`, { vectors: { size, distance } });
      const info = await server.client.getCollection(n);
      assert.equal(info.config.params.vectors.size, size);
      assert.equal(info.config.params.vectors.distance, distance);
      assert.equal(info.points_count, 0);
      assert.equal(info.indexed_vectors_count, 0);
      assert.equal(info.status, 'green');
      assert.equal(info.optimizer_status, 'ok');
      assert.equal(info.config.quantization_config ?? null, null);
    }
  });

  test('hnsw_config and scalar int8 quantization_config are kept and reported', async () => {
    const n = await create('hnsw_sq8', {
      vectors: { size: 8, distance: 'Dot' },
      hnsw_config: { m: 8, ef_construct: 40, full_scan_threshold: 10000, on_disk: false },
      quantization_config: { scalar: { type: 'int8', quantile: 0.99, always_ram: true } },
      optimizers_config: { default_segment_number: 0 },
      on_disk_payload: true,
      shard_number: 1,
      replication_factor: 1,
      sparse_vectors: {},
    });
    const info = await server.client.getCollection(n);
    assert.equal(info.config.hnsw_config.m, 8);
    assert.equal(info.config.hnsw_config.ef_construct, 40);
    assert.equal(info.config.quantization_config.scalar.type, 'int8');
    assert.equal(info.config.params.vectors.size, 8);
    assert.equal(info.config.params.vectors.distance, 'Dot');
  });

  test('the settings GET reports are accepted back: a config read from one collection creates another', async () => {
    const src = await create('roundtrip_src', { vectors: { size: 4, distance: 'Cosine' }, hnsw_config: { m: 10, ef_construct: 48 } });
    const { config } = await server.client.getCollection(src);
    const n = await create('roundtrip_dst', {
      vectors: config.params.vectors,
      shard_number: config.params.shard_number,
      replication_factor: config.params.replication_factor,
      write_consistency_factor: config.params.write_consistency_factor,
      on_disk_payload: config.params.on_disk_payload,
      hnsw_config: config.hnsw_config,
      wal_config: config.wal_config,
      optimizers_config: {
        deleted_threshold: config.optimizer_config.deleted_threshold,
        vacuum_min_vector_number: config.optimizer_config.vacuum_min_vector_number,
        default_segment_number: config.optimizer_config.default_segment_number,
        flush_interval_sec: config.optimizer_config.flush_interval_sec,
      },
    });
    const info = await server.client.getCollection(n);
    assert.equal(info.config.hnsw_config.m, 10);
    assert.equal(info.config.hnsw_config.ef_construct, 48);
  });

  test('settings govector does not implement are refused, naming the field, and create nothing', async () => {
    const v = { size: 3, distance: 'Dot' };
    const cases = [
      [{ vectors: { dense: v } }, 'vectors.dense', 'named vectors'],
      [{ vectors: { dense: v, image: v } }, 'vectors.dense', 'named vectors'],
      [{ vectors: v, sparse_vectors: { text: {} } }, 'sparse_vectors', 'sparse'],
      [{ vectors: { ...v, multivector_config: { comparator: 'max_sim' } } }, 'vectors.multivector_config', 'multivector'],
      [{ vectors: { ...v, on_disk: true } }, 'vectors.on_disk', 'in memory'],
      [{ vectors: { ...v, datatype: 'float16' } }, 'vectors.datatype', 'float32'],
      [{ vectors: { ...v, hnsw_config: { payload_m: 16 } } }, 'vectors.hnsw_config.payload_m', 'payload'],
      [{ vectors: v, shard_number: 2 }, 'shard_number', 'one shard'],
      [{ vectors: v, sharding_method: 'custom' }, 'sharding_method', 'one shard'],
      [{ vectors: v, replication_factor: 3 }, 'replication_factor', 'standbys'],
      [{ vectors: v, write_consistency_factor: 2 }, 'write_consistency_factor', 'standbys'],
      [{ vectors: v, on_disk_payload: false }, 'on_disk_payload', 'on-disk'],
      [{ vectors: v, hnsw_config: { full_scan_threshold: 5000 } }, 'hnsw_config.full_scan_threshold', 'planner'],
      [{ vectors: v, hnsw_config: { on_disk: true } }, 'hnsw_config.on_disk', 'memory'],
      [{ vectors: v, hnsw_config: { max_indexing_threads: 4 } }, 'hnsw_config.max_indexing_threads', 'threads'],
      [{ vectors: v, optimizers_config: { default_segment_number: 2 } }, 'optimizers_config.default_segment_number', 'segments'],
      [{ vectors: v, optimizers_config: { indexing_threshold: 0 } }, 'optimizers_config.indexing_threshold', 'unknown or unsupported'],
      [{ vectors: v, wal_config: { wal_capacity_mb: 64 } }, 'wal_config.wal_capacity_mb', "Postgres's WAL"],
      [{ vectors: v, strict_mode_config: { enabled: true } }, 'strict_mode_config.enabled', 'strict mode'],
      [{ vectors: v, metadata: { team: 'search' } }, 'metadata', 'metadata'],
      [{ vectors: v, quantization_config: { scalar: { type: 'int8', memory: 'cached' } } }, 'quantization_config.scalar.memory', 'memory'],
    ];
    const n = collectionName(TAG, 'refused');
    for (const [body, field, why] of cases) {
      const e = await clientError(() => server.client.createCollection(n, body), JSON.stringify(body));
      assert.equal(e.status, 400, JSON.stringify(body));
      const msg = e.data.status.error;
      assert.ok(msg.startsWith('Wrong input: '), msg);
      assert.ok(msg.includes(`\`${field}\``), `${msg} names ${field}`);
      assert.ok(msg.includes(why), `${msg} says ${why}`);
      assert.equal((await server.client.collectionExists(n)).exists, false, JSON.stringify(body));
    }
    // A field the client does not know (it sends only the ones it does) is refused as well.
    const r = await raw(server, 'PUT', `/collections/${n}`, { vectors: v, init_from: { collection: 'x' } });
    assert.equal(r.status, 400);
    assert.match(r.json.status.error, /unknown or unsupported field `init_from`/);
    // Counts Qdrant validates are its 422.
    for (const body of [{ vectors: v, shard_number: 0 }, { vectors: v, replication_factor: 0 }]) {
      const e = await clientError(() => server.client.createCollection(n, body));
      assert.equal(e.status, 422, JSON.stringify(body));
    }
    assert.equal((await server.client.collectionExists(n)).exists, false);
  });

  test('the unnamed vector may be given as the "" entry of the named-vector map', async () => {
    const n = await create('unnamed_map', { vectors: { '': { size: 2, distance: 'Euclid' } } });
    const info = await server.client.getCollection(n);
    assert.equal(info.config.params.vectors.size, 2);
    await server.client.upsert(n, { wait: true, points: [{ id: 1, vector: { '': [1, 2] } }] });
    assert.equal((await server.client.count(n)).count, 1);
  });

  test('a scalar quantile outside 0.5..1 is refused, as Qdrant does', async () => {
    for (const quantile of [5, 0.2, 'x']) {
      await assert.rejects(server.client.createCollection(collectionName(TAG, 'bad_quantile'), {
        vectors: { size: 2, distance: 'Dot' }, quantization_config: { scalar: { type: 'int8', quantile } },
      }), (e) => e.status === 400 && /quantile must be a number between 0.5 and 1/.test(e.data.status.error));
    }
    assert.equal((await server.client.collectionExists(collectionName(TAG, 'bad_quantile'))).exists, false);
  });

  test('hnsw_config inside vectors, and m = 0 (no graph)', async () => {
    const n = await create('hnsw_in_vectors', { vectors: { size: 2, distance: 'Euclid', hnsw_config: { m: 12, ef_construct: 30 } } });
    let info = await server.client.getCollection(n);
    assert.equal(info.config.hnsw_config.m, 12);
    assert.equal(info.config.hnsw_config.ef_construct, 30);
    const flat = await create('flat', { vectors: { size: 2, distance: 'Euclid' }, hnsw_config: { m: 0 } });
    info = await server.client.getCollection(flat);
    assert.equal(info.config.hnsw_config.m, 0);
    await server.client.upsert(flat, { points: [{ id: 1, vector: [1, 2] }, { id: 2, vector: [3, 4] }] });
    info = await server.client.getCollection(flat);
    assert.equal(info.points_count, 2);
    assert.equal(info.indexed_vectors_count, 2);
    assert.equal(info.status, 'green');
  });

  test('points_count and indexed_vectors_count follow writes; status turns green once indexed', async () => {
    const n = await create('counts', { vectors: { size: 3, distance: 'Cosine' } });
    const points = Array.from({ length: 50 }, (_, i) => ({ id: i + 1, vector: [1, i + 1, (i * 7) % 5] }));
    await server.client.upsert(n, { wait: true, points });
    let info = await server.client.getCollection(n);
    assert.equal(info.points_count, 50);
    info = await eventually(async () => {
      const i = await server.client.getCollection(n);
      return i.indexed_vectors_count === 50 && i.status === 'green' ? i : null;
    });
    assert.ok(info, 'the collection is indexed and green within 10 s');
    await server.client.delete(n, { wait: true, points: [1, 2, 3] });
    info = await server.client.getCollection(n);
    assert.equal(info.points_count, 47);
  });

  test('list names every collection; exists says true and false', async () => {
    const a = await create('list_a', { vectors: { size: 2, distance: 'Dot' } });
    const b = await create('list_b', { vectors: { size: 2, distance: 'Dot' } });
    const { collections } = await server.client.getCollections();
    const names = collections.map((c) => c.name);
    assert.ok(names.includes(a) && names.includes(b), JSON.stringify(names));
    for (const c of collections) assert.deepEqual(Object.keys(c), ['name']);
    assert.deepEqual(await server.client.collectionExists(a), { exists: true });
    assert.deepEqual(await server.client.collectionExists(name('never_created')), { exists: false });
  });

  test('delete returns true, then false; the collection is gone', async () => {
    const n = await create('to_delete', { vectors: { size: 2, distance: 'Dot' } });
    await server.client.upsert(n, { points: [{ id: 1, vector: [1, 1] }] });
    assert.equal(await server.client.deleteCollection(n), true);
    assert.equal(await server.client.deleteCollection(n), false);
    assert.deepEqual(await server.client.collectionExists(n), { exists: false });
    const err = await clientError(() => server.client.getCollection(n));
    assert.equal(err.status, 404);
    assert.equal(err.data.status.error, `Not found: Collection \`${n}\` doesn't exist!`);
    const { collections } = await server.client.getCollections();
    assert.ok(!collections.some((c) => c.name === n));
    // A new collection of the same name starts empty.
    await create('to_delete', { vectors: { size: 3, distance: 'Cosine' } });
    const info = await server.client.getCollection(n);
    assert.equal(info.points_count, 0);
    assert.equal(info.config.params.vectors.size, 3);
  });

  test('a duplicate create is 409 and leaves the first collection alone', async () => {
    const n = await create('dup', { vectors: { size: 2, distance: 'Dot' } });
    await server.client.upsert(n, { points: [{ id: 7, vector: [1, 0] }] });
    const err = await clientError(() => server.client.createCollection(n, { vectors: { size: 5, distance: 'Cosine' } }));
    assert.equal(err.status, 409);
    assert.equal(err.data.status.error, `Wrong input: Collection \`${n}\` already exists!`);
    const info = await server.client.getCollection(n);
    assert.equal(info.config.params.vectors.size, 2);
    assert.equal(info.points_count, 1);
  });
});

describe('payload indexes', () => {
  test('createPayloadIndex adds the field to payload_schema and counts its points', async () => {
    const n = await create('pindex', { vectors: { size: 2, distance: 'Dot' } });
    await server.client.upsert(n, {
      points: [
        { id: 1, vector: [1, 0], payload: { color: 'red', n: 1 } },
        { id: 2, vector: [0, 1], payload: { color: 'blue', n: 2 } },
        { id: 3, vector: [1, 1], payload: { n: 3 } },
      ],
    });
    const r1 = await server.client.createPayloadIndex(n, { field_name: 'color', field_schema: 'keyword', wait: true });
    assert.equal(r1.status, 'completed');
    const r2 = await server.client.createPayloadIndex(n, { field_name: 'n', field_schema: { type: 'integer' } });
    assert.equal(r2.status, 'acknowledged');
    const info = await server.client.getCollection(n);
    assert.deepEqual(info.payload_schema.color, { data_type: 'keyword', points: 2 });
    assert.deepEqual(info.payload_schema.n, { data_type: 'integer', points: 3 });
    // The index answers filters.
    const { count } = await server.client.count(n, { filter: { must: [{ key: 'color', match: { value: 'red' } }] } });
    assert.equal(count, 1);
    const err = await clientError(() => server.client.createPayloadIndex(n, { field_name: 'x', field_schema: 'nonsense' }));
    assert.equal(err.status, 400);
  });
});

describe('facet', () => {
  test('counts the points holding each value of an indexed key, with a filter and a limit', async () => {
    const n = await create('facet', { vectors: { size: 2, distance: 'Dot' } });
    const colors = ['red', 'red', 'blue', 'green', 'red', 'blue'];
    await server.client.upsert(n, {
      wait: true,
      points: colors.map((color, i) => ({ id: i + 1, vector: [1, i], payload: { color, big: i % 2 === 0 } })),
    });
    const missing = await clientError(() => server.client.facet(n, { key: 'color' }));
    assert.equal(missing.status, 400);
    assert.match(missing.data.status.error, /Index required but not found for "color"/);
    await server.client.createPayloadIndex(n, { field_name: 'color', field_schema: 'keyword', wait: true });
    await server.client.createPayloadIndex(n, { field_name: 'big', field_schema: 'bool', wait: true });
    assert.deepEqual((await server.client.facet(n, { key: 'color' })).hits,
      [{ value: 'red', count: 3 }, { value: 'blue', count: 2 }, { value: 'green', count: 1 }]);
    assert.deepEqual((await server.client.facet(n, { key: 'color', limit: 1, exact: true })).hits, [{ value: 'red', count: 3 }]);
    const filter = { must: [{ key: 'big', match: { value: true } }] };
    assert.deepEqual((await server.client.facet(n, { key: 'color', filter })).hits,
      [{ value: 'red', count: 2 }, { value: 'blue', count: 1 }]);
    assert.deepEqual((await server.client.facet(n, { key: 'big' })).hits, [{ value: false, count: 3 }, { value: true, count: 3 }]);
  });
});

describe('envelope and routing', () => {
  test('success: {result, status: "ok", time}', async () => {
    const r = await raw(server, 'GET', '/collections');
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type'), /application\/json/);
    assert.deepEqual(Object.keys(r.json).sort(), ['result', 'status', 'time']);
    assert.equal(r.json.status, 'ok');
    assert.equal(typeof r.json.time, 'number');
    assert.ok(r.json.time >= 0);
    assert.ok(Array.isArray(r.json.result.collections));
  });

  test('error: {status: {error}, time} without result', async () => {
    const r = await raw(server, 'GET', `/collections/${name('missing')}`);
    assert.equal(r.status, 404);
    assert.deepEqual(Object.keys(r.json).sort(), ['status', 'time']);
    assert.equal(r.json.status.error, `Not found: Collection \`${name('missing')}\` doesn't exist!`);
    assert.equal(typeof r.json.time, 'number');
  });

  test('trailing slashes are ignored', async () => {
    const n = await create('slash', { vectors: { size: 2, distance: 'Dot' } });
    const list = await raw(server, 'GET', '/collections/');
    assert.equal(list.status, 200);
    assert.ok(list.json.result.collections.some((c) => c.name === n));
    const info = await raw(server, 'GET', `/collections/${n}/`);
    assert.equal(info.status, 200);
    assert.equal(info.json.result.config.params.vectors.size, 2);
    const up = await raw(server, 'PUT', `/collections/${n}/points/?wait=true`, { points: [{ id: 1, vector: [1, 2] }] });
    assert.equal(up.status, 200);
    assert.equal(up.json.result.status, 'completed');
    const cnt = await raw(server, 'POST', `/collections/${n}/points/count/`, {});
    assert.equal(cnt.json.result.count, 1);
  });

  test('requests on a reused connection are answered at once (no Nagle delay)', async () => {
    // Sequential requests share one keep-alive connection. If the server let Nagle's algorithm hold back the
    // body written after the headers, each would wait for the client's delayed ACK (about 40 ms).
    await server.client.getCollections();
    const started = performance.now();
    for (let i = 0; i < 30; i++) await server.client.getCollections();
    const ms = performance.now() - started;
    assert.ok(ms < 600, `30 sequential requests took ${ms.toFixed(0)} ms`);
  });

  test('an unknown route is 404 in the error envelope', async () => {
    const r = await raw(server, 'GET', '/no/such/route');
    assert.equal(r.status, 404);
    assert.equal(typeof r.json.status.error, 'string');
  });
});

describe('GET /metrics', () => {
  const metric = (text, line) => {
    for (const l of text.split('\n')) {
      const i = l.lastIndexOf(' ');
      if (l.slice(0, i) === line) return Number(l.slice(i + 1));
    }
    return undefined;
  };

  test('Prometheus text: request counters, latency histogram, collections and points', async () => {
    const n = await create('metrics', { vectors: { size: 2, distance: 'Dot' } });
    await server.client.upsert(n, { points: [1, 2, 3].map((id) => ({ id, vector: [id, 1] })) });
    const before = await raw(server, 'GET', '/metrics');
    assert.equal(before.status, 200);
    assert.match(before.headers.get('content-type'), /^text\/plain/);
    const counter = 'govector_http_requests_total{method="POST",route="/collections/{name}/points/count",status="200"}';
    const c0 = metric(before.text, counter) ?? 0;
    const h0 = metric(before.text, 'govector_http_request_duration_seconds_count{route="/collections/{name}/points/count"}') ?? 0;
    for (let i = 0; i < 3; i++) await server.client.count(n);
    await clientError(() => server.client.count(name('missing_for_metrics')));
    const after_ = await raw(server, 'GET', '/metrics');
    const text = after_.text;
    assert.match(text, /# TYPE govector_http_requests_total counter/);
    assert.match(text, /# TYPE govector_http_request_duration_seconds histogram/);
    assert.equal(metric(text, counter), c0 + 3);
    assert.equal(
      metric(text, 'govector_http_requests_total{method="POST",route="/collections/{name}/points/count",status="404"}') >= 1,
      true,
    );
    const route = 'route="/collections/{name}/points/count"';
    const count = metric(text, `govector_http_request_duration_seconds_count{${route}}`);
    assert.equal(count, h0 + 4);
    assert.equal(metric(text, `govector_http_request_duration_seconds_bucket{${route},le="+Inf"}`), count);
    // Buckets are cumulative.
    const buckets = text
      .split('\n')
      .filter((l) => l.startsWith(`govector_http_request_duration_seconds_bucket{${route},`))
      .map((l) => Number(l.slice(l.lastIndexOf(' ') + 1)));
    assert.ok(buckets.length >= 2);
    for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i] >= buckets[i - 1]);
    assert.ok(metric(text, `govector_http_request_duration_seconds_sum{${route}}`) >= 0);
    assert.equal(metric(text, `govector_points{collection="${n}"}`), 3);
    const { collections } = await server.client.getCollections();
    assert.equal(metric(text, 'govector_collections'), collections.length);
  });

  test('needs the API key like every other route', async () => {
    if (!server.apiKey) return;
    const r = await raw(server, 'GET', '/metrics', undefined, { apiKey: null });
    assert.equal(r.status, 401);
  });
});
