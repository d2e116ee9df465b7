// Errors as the Qdrant client sees them (it throws with .status and .data): 404 unknown collection or point,
// 409 duplicate, 400 wrong dimension, malformed filter and unparsable JSON, 401 without or with a wrong API key,
// 422 for bodies of the wrong shape, NaN and bad ids; and a rejected write changes nothing.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { before, describe, test } from 'node:test';

import { QdrantClient } from '@qdrant/js-client-rest';

import { clientError, collectionName, makeClient, raw, useServer } from './lib/server.mjs';

const TAG = 'err';
const server = useServer(TAG);
const N = collectionName(TAG, 'main');
const MISSING = collectionName(TAG, 'missing');

describe('errors', () => {
  before(async () => {
    server.track(N);
    await server.client.deleteCollection(N);
    await server.client.createCollection(N, { vectors: { size: 3, distance: 'Cosine' } });
    await server.client.upsert(N, {
      points: [
        { id: 1, vector: [1, 0, 0], payload: { a: 1 } },
        { id: 2, vector: [0, 1, 0], payload: { a: 2 } },
      ],
    });
  });

  // Points and payloads of N, to show a rejected request changed nothing.
  async function snapshot() {
    const { points } = await server.client.scroll(N, { limit: 100, with_vector: true });
    return points;
  }

  const error = (e) => e.data?.status?.error;

  describe('404 unknown collection', () => {
    test('every collection and point operation', async () => {
      const c = server.client;
      const calls = {
        getCollection: () => c.getCollection(MISSING),
        upsert: () => c.upsert(MISSING, { points: [{ id: 1, vector: [1, 2, 3] }] }),
        upsertBatch: () => c.upsert(MISSING, { batch: { ids: [1], vectors: [[1, 2, 3]] } }),
        retrieve: () => c.retrieve(MISSING, { ids: [1] }),
        getPoint: () => c.api().getPoint({ collection_name: MISSING, id: 1 }),
        scroll: () => c.scroll(MISSING, {}),
        count: () => c.count(MISSING),
        delete: () => c.delete(MISSING, { points: [1] }),
        deleteByFilter: () => c.delete(MISSING, { filter: { must: [{ has_id: [1] }] } }),
        setPayload: () => c.setPayload(MISSING, { payload: { a: 1 }, points: [1] }),
        overwritePayload: () => c.overwritePayload(MISSING, { payload: { a: 1 }, points: [1] }),
        deletePayload: () => c.deletePayload(MISSING, { keys: ['a'], points: [1] }),
        clearPayload: () => c.clearPayload(MISSING, { points: [1] }),
        createPayloadIndex: () => c.createPayloadIndex(MISSING, { field_name: 'a', field_schema: 'keyword' }),
        query: () => c.query(MISSING, { query: [1, 2, 3] }),
        queryById: () => c.query(MISSING, { query: 1 }),
        queryNoVector: () => c.query(MISSING, {}),
        queryMmr: () => c.query(MISSING, { query: { nearest: [1, 2, 3], mmr: { diversity: 0.5 } } }),
        queryBatch: () => c.queryBatch(MISSING, { searches: [{ query: [1, 2, 3] }] }),
      };
      for (const [op, call] of Object.entries(calls)) {
        const e = await clientError(call);
        assert.equal(e.status, 404, `${op}: ${JSON.stringify(e.data)}`);
        assert.equal(error(e), `Not found: Collection \`${MISSING}\` doesn't exist!`, op);
      }
      for (const path of ['/points/search', '/points/search/batch']) {
        const body = path.endsWith('batch') ? { searches: [{ vector: [1, 2, 3], limit: 1 }] } : { vector: [1, 2, 3], limit: 1 };
        const r = await raw(server, 'POST', `/collections/${MISSING}${path}`, body);
        assert.equal(r.status, 404, path);
        assert.equal(r.json.status.error, `Not found: Collection \`${MISSING}\` doesn't exist!`);
      }
      assert.equal(await c.deleteCollection(MISSING), false);
      assert.deepEqual(await c.collectionExists(MISSING), { exists: false });
    });

    test('unknown point: get one and query by id are 404', async () => {
      const e = await clientError(() => server.client.api().getPoint({ collection_name: N, id: 42 }));
      assert.equal(e.status, 404);
      assert.match(error(e), /^Not found: No point with id 42 found/);
      const q = await clientError(() => server.client.query(N, { query: 42 }));
      assert.equal(q.status, 404);
      assert.match(error(q), /^Not found: No point with id 42 found/);
    });
  });

  describe('409 duplicate collection', () => {
    test('createCollection of an existing name', async () => {
      const e = await clientError(() => server.client.createCollection(N, { vectors: { size: 3, distance: 'Cosine' } }));
      assert.equal(e.status, 409);
      assert.equal(error(e), `Wrong input: Collection \`${N}\` already exists!`);
    });
  });

  describe('400 wrong vector dimension', () => {
    test('upsert (list and batch), query, legacy search; nothing is written', async () => {
      const before_ = await snapshot();
      const cases = [
        [() => server.client.upsert(N, { points: [{ id: 7, vector: [1, 2, 3, 4] }] }), 3, 4],
        [() => server.client.upsert(N, { points: [{ id: 8, vector: [1, 1, 1] }, { id: 9, vector: [1, 2] }] }), 3, 2],
        [() => server.client.upsert(N, { batch: { ids: [7, 8], vectors: [[1, 2, 3], [1, 2, 3, 4, 5]] } }), 3, 5],
        [() => server.client.query(N, { query: [1, 2] }), 3, 2],
        [() => server.client.query(N, { query: { nearest: [1, 2, 3, 4], mmr: { diversity: 0.3 } } }), 3, 4],
        [() => server.client.queryBatch(N, { searches: [{ query: [1, 2, 3] }, { query: [1] }] }), 3, 1],
      ];
      for (const [call, expected, got] of cases) {
        const e = await clientError(call);
        assert.equal(e.status, 400, JSON.stringify(e.data));
        assert.equal(error(e), `Wrong input: Vector dimension error: expected dim: ${expected}, got ${got}`);
      }
      const r = await raw(server, 'POST', `/collections/${N}/points/search`, { vector: [1, 2, 3, 4], limit: 1 });
      assert.equal(r.status, 400);
      assert.equal(r.json.status.error, 'Wrong input: Vector dimension error: expected dim: 3, got 4');
      assert.deepEqual(await snapshot(), before_);
    });

    test('other bad vectors: empty, all zeros under Cosine', async () => {
      const before_ = await snapshot();
      for (const vector of [[], [0, 0, 0]]) {
        const e = await clientError(() => server.client.upsert(N, { points: [{ id: 3, vector }] }));
        assert.equal(e.status, 400, JSON.stringify(vector));
        assert.match(error(e), /^Wrong input: /);
      }
      assert.deepEqual(await snapshot(), before_);
    });

    test('a NUL character in a payload string or key: 400, nothing written (SQL could never read it)', async () => {
      const before_ = await snapshot();
      for (const payload of [{ s: 'a\u0000b' }, { ['k\u0000']: 1 }, { deep: { list: ['ok', '\u0000'] } }]) {
        let e = await clientError(() => server.client.upsert(N, { wait: true, points: [{ id: 3, vector: [1, 2, 3], payload }] }));
        assert.equal(e.status, 400, JSON.stringify(payload));
        assert.match(error(e), /NUL character/);
        e = await clientError(() => server.client.setPayload(N, { wait: true, payload, points: [before_[0].id] }));
        assert.equal(e.status, 400, JSON.stringify(payload));
      }
      assert.deepEqual(await snapshot(), before_);
    });

    test('denormal components under Cosine are normalised, not made infinite', async () => {
      await server.client.upsert(N, { wait: true, points: [{ id: 9001, vector: [1e-45, 1e-45, 1e-45] }] });
      const [p] = await server.client.retrieve(N, { ids: [9001], with_vector: true });
      try {
        for (const x of p.vector) assert.ok(Number.isFinite(x) && Math.abs(x - 1 / Math.sqrt(3)) < 1e-3, JSON.stringify(p.vector));
      } catch (e) {
        await server.client.delete(N, { wait: true, points: [9001] });
        throw e;
      }
      try {
        const { points: hits } = await server.client.query(N, { query: [1e-45, 1e-45, 1e-45], limit: 1 });
        assert.equal(hits[0].id, 9001);
        assert.ok(Number.isFinite(hits[0].score));
      } finally {
        await server.client.delete(N, { wait: true, points: [9001] });
      }
    });
  });

  describe('401 API key', () => {
    test('without a key, or with a wrong one, every route but GET / is 401', async () => {
      if (!server.apiKey) return; // the server was started without a key
      const noKey = makeClient(server, { apiKey: null });
      const wrongKey = makeClient(server, { apiKey: `${server.apiKey}-wrong` });
      const messages = new Map([
        [noKey, 'Must provide an API key or an Authorization bearer token'],
        [wrongKey, 'Invalid API key or JWT'],
      ]);
      for (const c of [noKey, wrongKey]) {
        for (const call of [
          () => c.getCollections(),
          () => c.getCollection(N),
          () => c.upsert(N, { points: [{ id: 5, vector: [1, 1, 1] }] }),
          () => c.query(N, { query: [1, 0, 0] }),
          () => c.deleteCollection(N),
        ]) {
          const e = await clientError(call);
          assert.equal(e.status, 401);
          assert.equal(e.data, messages.get(c), 'a plain-text body, with Qdrant\'s message');
        }
        assert.equal((await c.versionInfo()).version, '1.19.0');
      }
      assert.equal((await server.client.count(N)).count, 2, 'nothing was written or deleted');
      const r = await raw(server, 'GET', '/collections', undefined, { apiKey: null });
      assert.equal(r.status, 401);
      assert.match(r.headers.get('content-type'), /^text\/plain/);
      assert.ok(r.text.length > 0);
    });

    test('Authorization: Bearer works too; a wrong bearer does not', async () => {
      if (!server.apiKey) return;
      const ok = await raw(server, 'GET', '/collections', undefined, {
        apiKey: null,
        headers: { authorization: `Bearer ${server.apiKey}` },
      });
      assert.equal(ok.status, 200);
      assert.ok(ok.json.result.collections.some((c) => c.name === N));
      const bad = await raw(server, 'GET', '/collections', undefined, {
        apiKey: null,
        headers: { authorization: `Bearer ${server.apiKey}x` },
      });
      assert.equal(bad.status, 401);
      assert.equal(bad.text, 'Invalid API key or JWT');
      const basic = await raw(server, 'GET', '/collections', undefined, { apiKey: null, headers: { authorization: 'Basic eDp5' } });
      assert.equal(basic.status, 401);
      assert.equal(basic.text, 'Must provide an API key or an Authorization bearer token');
      const bearer = new QdrantClient({ url: server.url, headers: { authorization: `Bearer ${server.apiKey}` }, checkCompatibility: false });
      assert.equal((await bearer.count(N)).count, 2);
      // The api-key header, when present, is the one checked.
      const both = await raw(server, 'GET', '/collections', undefined, {
        apiKey: `${server.apiKey}-wrong`,
        headers: { authorization: `Bearer ${server.apiKey}` },
      });
      assert.equal(both.status, 401);
    });
  });

  describe('400 malformed filter or unknown condition', () => {
    test('count, scroll, query, delete, set payload', async () => {
      const before_ = await snapshot();
      const bad = [{ must: [{ unknown_condition: { key: 'a' } }] }, { must: [{ key: 'a', match: { nope: 1 } }] }, { mustn: [] }];
      for (const filter of bad) {
        for (const call of [
          () => server.client.count(N, { filter }),
          () => server.client.scroll(N, { filter }),
          () => server.client.query(N, { query: [1, 0, 0], filter }),
          () => server.client.delete(N, { filter }),
          () => server.client.setPayload(N, { payload: { x: 1 }, filter }),
          () => server.client.clearPayload(N, { filter }),
        ]) {
          const e = await clientError(call);
          assert.equal(e.status, 400, JSON.stringify(e.data));
          assert.match(error(e), /^Wrong input: filter/);
        }
      }
      assert.deepEqual(await snapshot(), before_);
    });
  });

  describe('422 query-string parameters of the wrong form', () => {
    test('wait, timeout and ordering are checked as Qdrant validates them; valid ones are served', async () => {
      const Q = server.track(collectionName(TAG, 'query_string'));
      await server.client.deleteCollection(Q);
      await server.client.createCollection(Q, { vectors: { size: 3, distance: 'Cosine' } });
      const body = { points: [{ id: 1, vector: [1, 0, 0] }] };
      for (const qs of ['wait=yes', 'timeout=0', 'timeout=-3', 'timeout=abc', 'ordering=fast']) {
        const r = await raw(server, 'PUT', `/collections/${Q}/points?${qs}`, body);
        assert.equal(r.status, 422, qs);
        assert.match(r.json.status.error, /^Validation error in query string: /, qs);
      }
      assert.equal((await server.client.count(Q)).count, 0, 'a refused request wrote nothing');
      const r = await raw(server, 'PUT', `/collections/${Q}/points?wait=true&timeout=5&ordering=strong`, body);
      assert.equal(r.status, 200);
      assert.equal(r.json.result.status, 'completed');
      await server.client.upsert(Q, { wait: true, ordering: 'weak', timeout: 10, points: body.points });
      assert.equal((await server.client.count(Q)).count, 1);
    });
  });

  describe('400 unparsable JSON', () => {
    test('"Format error in JSON body" on every route that takes a body', async () => {
      const before_ = await snapshot();
      for (const [method, path] of [
        ['PUT', `/collections/${N}/points?wait=true`],
        ['POST', `/collections/${N}/points/query`],
        ['POST', `/collections/${N}/points/scroll`],
        ['POST', `/collections/${N}/points/delete`],
        ['PUT', `/collections/${collectionName(TAG, 'never')}`],
      ]) {
        for (const body of ['{"points": [', '{x}', 'nul', '{"a": 1} trailing']) {
          const r = await raw(server, method, path, body);
          assert.equal(r.status, 400, `${method} ${path} ${body}`);
          assert.match(r.json.status.error, /^Format error in JSON body: /);
          assert.equal(r.json.result, undefined);
        }
      }
      assert.deepEqual(await snapshot(), before_);
      assert.deepEqual(await server.client.collectionExists(collectionName(TAG, 'never')), { exists: false });
    });
  });

  // Raw HTTP/1.1 over a socket, for framing no client sends: the status line and how long it took.
  function rawRequest(head, body = '') {
    const url = new URL(server.url);
    return new Promise((resolve, reject) => {
      const started = Date.now();
      const sock = connect(Number(url.port), url.hostname);
      let got = '';
      sock.setTimeout(8000, () => {
        sock.destroy();
        resolve({ status: 0, ms: Date.now() - started });
      });
      sock.on('error', reject);
      sock.on('data', (d) => {
        got += d.toString();
        if (got.includes('\r\n\r\n')) {
          sock.destroy();
          resolve({ status: Number(got.split(' ')[1]), text: got, ms: Date.now() - started });
        }
      });
      const key = server.apiKey ? `api-key: ${server.apiKey}\r\n` : '';
      sock.write(`${head}\r\nHost: ${url.host}\r\n${key}\r\n${body}`);
    });
  }

  describe('request framing is answered at once', () => {
    test('a POST without Content-Length has an empty body (RFC 9112), not one read until the connection ends', async () => {
      const r = await rawRequest(`POST /collections/${N}/points/count HTTP/1.1`);
      assert.equal(r.status, 200, r.text);
      assert.ok(r.ms < 2000, `answered after ${r.ms} ms`);
      const unknown = await rawRequest('POST /collections/nope/nothing HTTP/1.1');
      assert.equal(unknown.status, 404);
    });
    test('a Content-Length above the limit is 413, a negative or malformed one 400, without waiting', async () => {
      for (const [length, status] of [['999999999999', 413], ['-5', 400], ['12abc', 400]]) {
        const r = await rawRequest(`POST /collections/${N}/points/query HTTP/1.1\r\nContent-Length: ${length}`);
        assert.equal(r.status, status, `Content-Length: ${length}: ${r.text}`);
        assert.ok(r.ms < 2000, `Content-Length: ${length}: answered after ${r.ms} ms`);
      }
    });
  });

  describe('422 wrong shapes', () => {
    test('bodies of the wrong shape, NaN, bad ids, bad limits; nothing is written', async () => {
      const before_ = await snapshot();
      const c = server.client;
      const calls = {
        'points not a list': () => c.upsert(N, { points: 'nope' }),
        'no vector': () => c.upsert(N, { points: [{ id: 5 }] }),
        'no id': () => c.upsert(N, { points: [{ vector: [1, 2, 3] }] }),
        'vector of strings': () => c.upsert(N, { points: [{ id: 5, vector: ['a', 'b', 'c'] }] }),
        'NaN in a vector': () => c.upsert(N, { points: [{ id: 5, vector: [1, NaN, 2] }] }),
        'Infinity in a vector': () => c.upsert(N, { points: [{ id: 5, vector: [1, Infinity, 2] }] }),
        'payload not an object': () => c.upsert(N, { points: [{ id: 5, vector: [1, 2, 3], payload: [1] }] }),
        'NaN id': () => c.upsert(N, { points: [{ id: NaN, vector: [1, 2, 3] }] }),
        'negative id': () => c.upsert(N, { points: [{ id: -1, vector: [1, 2, 3] }] }),
        'fractional id': () => c.upsert(N, { points: [{ id: 1.5, vector: [1, 2, 3] }] }),
        'numeric string id': () => c.upsert(N, { points: [{ id: '123', vector: [1, 2, 3] }] }),
        'object id': () => c.upsert(N, { points: [{ id: { n: 1 }, vector: [1, 2, 3] }] }),
        'bad id in a batch': () => c.upsert(N, { batch: { ids: [6, -6], vectors: [[1, 2, 3], [1, 2, 3]] } }),
        'batch lengths differ': () => c.upsert(N, { batch: { ids: [6, 7], vectors: [[1, 2, 3]] } }),
        'neither points nor batch': () => c.upsert(N, {}),
        'retrieve bad id': () => c.retrieve(N, { ids: [-3] }),
        'retrieve ids not a list': () => c.retrieve(N, { ids: 5 }),
        'delete bad id': () => c.delete(N, { points: ['12'] }),
        'delete without a selector': () => c.delete(N, {}),
        'set payload not an object': () => c.setPayload(N, { payload: 'x', points: [1] }),
        'delete payload keys not strings': () => c.deletePayload(N, { keys: [1], points: [1] }),
        'scroll limit 0': () => c.scroll(N, { limit: 0 }),
        'scroll negative limit': () => c.scroll(N, { limit: -5 }),
        'scroll bad offset': () => c.scroll(N, { offset: -1 }),
        'query limit 0': () => c.query(N, { query: [1, 0, 0], limit: 0 }),
        'query limit a string': () => c.query(N, { query: [1, 0, 0], limit: 'ten' }),
        'query bad id': () => c.query(N, { query: -1 }),
        'query not a vector': () => c.query(N, { query: true }),
        'query NaN': () => c.query(N, { query: [NaN, 0, 0] }),
        'score_threshold a string': () => c.query(N, { query: [1, 0, 0], score_threshold: 'high' }),
        'with_payload a number': () => c.query(N, { query: [1, 0, 0], with_payload: 3 }),
        'hnsw_ef negative': () => c.query(N, { query: [1, 0, 0], params: { hnsw_ef: -1 } }),
        'exact not a bool': () => c.query(N, { query: [1, 0, 0], params: { exact: 'yes' } }),
        'queryBatch searches not a list': () => c.queryBatch(N, { searches: {} }),
        'create without vectors': () => c.createCollection(collectionName(TAG, 'never'), {}),
        'create size a string': () => c.createCollection(collectionName(TAG, 'never'), { vectors: { size: '3', distance: 'Dot' } }),
        'create size 0': () => c.createCollection(collectionName(TAG, 'never'), { vectors: { size: 0, distance: 'Dot' } }),
        'create without distance': () => c.createCollection(collectionName(TAG, 'never'), { vectors: { size: 3 } }),
      };
      for (const [what, call] of Object.entries(calls)) {
        const e = await clientError(call);
        assert.equal(e.status, 422, `${what}: ${e.status} ${JSON.stringify(e.data)}`);
        assert.match(error(e), /^Validation error in JSON body: /, what);
      }
      // What govector does not support is refused, not silently ignored.
      for (const [what, args] of [
        ['prefetch', { prefetch: [{ query: [1, 0, 0] }], query: [1, 0, 0] }],
        ['lookup_from', { query: 1, lookup_from: { collection: N } }],
        ['using', { query: [1, 0, 0], using: 'image' }],
        ['fusion', { prefetch: undefined, query: { fusion: 'rrf' } }],
        ['recommend best_score', { query: { recommend: { positive: [1], strategy: 'best_score' } } }],
        ['discover', { query: { discover: { target: 1, context: [] } } }],
      ]) {
        const e = await clientError(() => c.query(N, args));
        assert.equal(e.status, 400, `${what}: ${JSON.stringify(e.data)}`);
        assert.match(error(e), /^Wrong input: /);
      }
      const mmr = await clientError(() => c.query(N, { query: { nearest: [1, 0, 0], mmr: { diversity: 2 } } }));
      assert.ok([400, 422].includes(mmr.status), 'diversity outside 0..1');
      const dist = await clientError(() => c.createCollection(collectionName(TAG, 'never'), { vectors: { size: 3, distance: 'Hamming' } }));
      assert.ok([400, 422].includes(dist.status), 'unknown distance');
      assert.deepEqual(await snapshot(), before_);
      assert.deepEqual(await c.collectionExists(collectionName(TAG, 'never')), { exists: false });
    });
  });

  describe('a rejected write changes nothing', () => {
    test('one bad point rejects the whole batch', async () => {
      const before_ = await snapshot();
      const { count } = await server.client.count(N);
      const points = [
        { id: 10, vector: [1, 1, 0], payload: { new: true } },
        { id: 1, vector: [0, 0, 1], payload: { overwritten: true } },
        { id: 11, vector: [1, 1] },
      ];
      const e = await clientError(() => server.client.upsert(N, { points }));
      assert.equal(e.status, 400);
      assert.equal((await server.client.count(N)).count, count);
      assert.deepEqual(await snapshot(), before_);
      assert.deepEqual(await server.client.retrieve(N, { ids: [10, 11] }), []);
      const b = await clientError(() =>
        server.client.upsert(N, { batch: { ids: [10, 1, 11], vectors: [[1, 1, 0], [0, 0, 1], [1, 1, 1]], payloads: [{}, {}, 'x'] } }),
      );
      assert.equal(b.status, 422);
      assert.deepEqual(await snapshot(), before_);
    });
  });
});
