// Points through the Qdrant client: upsert (list and batch forms), retrieve, get one, scroll (filter, limit,
// offset), count, delete by ids and by filter, the four payload operations, ?wait=true against without, and
// concurrent requests.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';

import { clientError, collectionName, makeClient, raw, useServer } from './lib/server.mjs';
import { assertVectorClose, ids, normalize } from './lib/util.mjs';

const TAG = 'pts';
const server = useServer(TAG);
const name = (s) => collectionName(TAG, s);

async function fresh(suffix, size = 3, distance = 'Dot') {
  const n = server.track(name(suffix));
  await server.client.deleteCollection(n);
  await server.client.createCollection(n, { vectors: { size, distance } });
  return n;
}

const UUID = '5c56c793-69f3-4fbf-87e6-c4bf54c28c26';

describe('upsert', () => {
  test('list form: every point is stored with its vector and payload', async () => {
    const n = await fresh('list');
    const r = await server.client.upsert(n, {
      wait: true,
      points: [
        { id: 1, vector: [1, 2, 3], payload: { a: 1, s: 'x' } },
        { id: 2, vector: [4, 5, 6] },
        { id: UUID, vector: [7, 8, 9], payload: { nested: { deep: [1, { k: 'v' }] } } },
      ],
    });
    assert.equal(r.status, 'completed');
    assert.equal(typeof r.operation_id, 'number');
    const got = await server.client.retrieve(n, { ids: [1, 2, UUID], with_vector: true });
    const byId = Object.fromEntries(got.map((p) => [p.id, p]));
    assert.deepEqual(byId[1], { id: 1, payload: { a: 1, s: 'x' }, vector: [1, 2, 3] });
    assert.deepEqual(byId[2], { id: 2, payload: {}, vector: [4, 5, 6] });
    assert.deepEqual(byId[UUID], { id: UUID, payload: { nested: { deep: [1, { k: 'v' }] } }, vector: [7, 8, 9] });
    assert.equal((await server.client.count(n)).count, 3);
  });

  test('batch form, with payloads given, null and left out', async () => {
    const n = await fresh('batch');
    const r = await server.client.upsert(n, {
      batch: { ids: [10, 11, 12], vectors: [[1, 0, 0], [0, 1, 0], [0, 0, 1]], payloads: [{ p: 10 }, null, { p: 12 }] },
    });
    assert.equal(r.status, 'completed');
    await server.client.upsert(n, { batch: { ids: [13], vectors: [[1, 1, 1]] } });
    const got = await server.client.retrieve(n, { ids: [10, 11, 12, 13], with_vector: true });
    assert.deepEqual(
      got.sort((a, b) => a.id - b.id),
      [
        { id: 10, payload: { p: 10 }, vector: [1, 0, 0] },
        { id: 11, payload: {}, vector: [0, 1, 0] },
        { id: 12, payload: { p: 12 }, vector: [0, 0, 1] },
        { id: 13, payload: {}, vector: [1, 1, 1] },
      ],
    );
  });

  test('upserting an existing id replaces its vector and payload; operation ids grow', async () => {
    const n = await fresh('replace');
    const a = await server.client.upsert(n, { points: [{ id: 5, vector: [1, 1, 1], payload: { old: true, keep: 1 } }] });
    const b = await server.client.upsert(n, { points: [{ id: 5, vector: [2, 2, 2], payload: { new: true } }] });
    assert.ok(b.operation_id > a.operation_id, `${b.operation_id} > ${a.operation_id}`);
    const [p] = await server.client.retrieve(n, { ids: [5], with_vector: true });
    assert.deepEqual(p, { id: 5, payload: { new: true }, vector: [2, 2, 2] });
    assert.equal((await server.client.count(n)).count, 1);
  });

  test('UUIDs come back in canonical lowercase form and are one id whatever the case', async () => {
    const n = await fresh('uuid');
    await server.client.upsert(n, { points: [{ id: UUID.toUpperCase(), vector: [1, 2, 3] }] });
    const [p] = await server.client.retrieve(n, { ids: [UUID] });
    assert.equal(p.id, UUID);
    await server.client.upsert(n, { points: [{ id: UUID, vector: [3, 2, 1], payload: { v: 2 } }] });
    assert.equal((await server.client.count(n)).count, 1);
  });

  test('Cosine collections store the vector normalised', async () => {
    const n = await fresh('cosine', 2, 'Cosine');
    await server.client.upsert(n, { points: [{ id: 1, vector: [3, 4] }] });
    const [p] = await server.client.retrieve(n, { ids: [1], with_vector: true });
    assertVectorClose(p.vector, normalize([3, 4]));
  });

  test('upsert settings govector does not implement are refused, naming the field, and write nothing', async () => {
    const n = await fresh('upsert_refused', 2);
    const point = { id: 1, vector: [1, 2] };
    const cases = [
      [{ points: [point], update_mode: 'insert_only' }, 'update_mode'],
      [{ points: [point], update_mode: 'update_only' }, 'update_mode'],
      [{ points: [point], update_filter: { must: [{ key: 'a', match: { value: 1 } }] } }, 'update_filter'],
      [{ points: [point], shard_key: 'a' }, 'shard_key'],
      [{ points: [{ ...point, vector: { dense: [1, 2] } }] }, 'named vectors'],
      [{ points: [{ ...point, vectors: [1, 2] }] }, '`points[].vectors`'],
      [{ batch: { ids: [1], vectors: [[1, 2]], extra: [] } }, '`batch.extra`'],
    ];
    for (const [body, what] of cases) {
      const r = await raw(server, 'PUT', `/collections/${n}/points?wait=true`, body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.ok(r.json.status.error.includes(what), `${r.json.status.error} names ${what}`);
    }
    assert.equal((await server.client.count(n)).count, 0);
    // update_mode "upsert" is what an upsert does.
    await server.client.upsert(n, { wait: true, points: [point], update_mode: 'upsert' });
    assert.equal((await server.client.count(n)).count, 1);
  });
});

describe('retrieve and get one', () => {
  let n;
  before(async () => {
    n = await fresh('read');
    await server.client.upsert(n, {
      points: [
        { id: 1, vector: [1, 0, 0], payload: { a: 1, b: 'two', c: { d: 3 } } },
        { id: 2, vector: [0, 1, 0], payload: { a: 2 } },
      ],
    });
  });

  test('defaults: payload yes, vector no; missing ids are left out', async () => {
    const got = await server.client.retrieve(n, { ids: [1, 999] });
    assert.deepEqual(got, [{ id: 1, payload: { a: 1, b: 'two', c: { d: 3 } } }]);
    assert.deepEqual(await server.client.retrieve(n, { ids: [] }), []);
  });

  test('with_payload false, a list of keys, include and exclude; with_vector true', async () => {
    const one = async (args) => (await server.client.retrieve(n, { ids: [1], ...args }))[0];
    assert.deepEqual(await one({ with_payload: false }), { id: 1 });
    assert.deepEqual(await one({ with_payload: false, with_vector: true }), { id: 1, vector: [1, 0, 0] });
    assert.deepEqual(await one({ with_payload: ['a', 'c'] }), { id: 1, payload: { a: 1, c: { d: 3 } } });
    assert.deepEqual(await one({ with_payload: { include: ['b'] } }), { id: 1, payload: { b: 'two' } });
    assert.deepEqual(await one({ with_payload: { exclude: ['b'] } }), { id: 1, payload: { a: 1, c: { d: 3 } } });
    assert.deepEqual(await one({ with_payload: true, with_vector: true }), {
      id: 1,
      payload: { a: 1, b: 'two', c: { d: 3 } },
      vector: [1, 0, 0],
    });
  });

  test('GET /points/{id} returns the payload and the vector; 404 when missing', async () => {
    const res = await server.client.api().getPoint({ collection_name: n, id: 2 });
    assert.equal(res.status, 200);
    assert.deepEqual(res.data.result, { id: 2, payload: { a: 2 }, vector: [0, 1, 0] });
    assert.equal(res.data.status, 'ok');
    const err = await clientError(() => server.client.api().getPoint({ collection_name: n, id: 3 }));
    assert.equal(err.status, 404);
    assert.match(err.data.status.error, /^Not found: .*3/);
    const missing = await clientError(() => server.client.api().getPoint({ collection_name: name('nope'), id: 1 }));
    assert.equal(missing.status, 404);
  });

  test('GET /points/{uuid}', async () => {
    await server.client.upsert(n, { points: [{ id: UUID, vector: [0, 0, 1], payload: { u: true } }] });
    const r = await raw(server, 'GET', `/collections/${n}/points/${UUID}`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.json.result, { id: UUID, payload: { u: true }, vector: [0, 0, 1] });
    await server.client.delete(n, { points: [UUID] });
  });
});

describe('scroll and count', () => {
  let n;
  before(async () => {
    n = await fresh('scroll');
    const points = [];
    for (let i = 1; i <= 30; i++) points.push({ id: i, vector: [i, 1, 0], payload: { i, even: i % 2 === 0 } });
    await server.client.upsert(n, { points });
  });

  test('pages in id order with limit and offset; next_page_offset is the next id, then null', async () => {
    const p1 = await server.client.scroll(n, { limit: 12 });
    assert.deepEqual(ids(p1.points), Array.from({ length: 12 }, (_, i) => i + 1));
    assert.equal(p1.next_page_offset, 13);
    assert.deepEqual(p1.points[0], { id: 1, payload: { i: 1, even: false } });
    const p2 = await server.client.scroll(n, { limit: 12, offset: p1.next_page_offset });
    assert.deepEqual(ids(p2.points), Array.from({ length: 12 }, (_, i) => i + 13));
    const p3 = await server.client.scroll(n, { limit: 12, offset: p2.next_page_offset });
    assert.deepEqual(ids(p3.points), [25, 26, 27, 28, 29, 30]);
    assert.equal(p3.next_page_offset, null);
    // An offset that is not an id starts at the next one.
    await server.client.delete(n, { points: [20] });
    const p4 = await server.client.scroll(n, { limit: 2, offset: 20 });
    assert.deepEqual(ids(p4.points), [21, 22]);
    await server.client.upsert(n, { points: [{ id: 20, vector: [20, 1, 0], payload: { i: 20, even: true } }] });
  });

  test('the default limit is 10', async () => {
    const r = await raw(server, 'POST', `/collections/${n}/points/scroll`, {});
    assert.equal(r.status, 200);
    assert.deepEqual(ids(r.json.result.points), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.equal(r.json.result.next_page_offset, 11);
  });

  test('with a filter, with_payload and with_vector', async () => {
    const filter = { must: [{ key: 'even', match: { value: true } }, { key: 'i', range: { gt: 10 } }] };
    const a = await server.client.scroll(n, { filter, limit: 4, with_payload: false, with_vector: true });
    assert.deepEqual(a.points, [12, 14, 16, 18].map((i) => ({ id: i, vector: [i, 1, 0] })));
    assert.equal(a.next_page_offset, 20);
    const b = await server.client.scroll(n, { filter, limit: 4, offset: a.next_page_offset, with_payload: ['i'] });
    assert.deepEqual(b.points, [20, 22, 24, 26].map((i) => ({ id: i, payload: { i } })));
    const c = await server.client.scroll(n, { filter, limit: 4, offset: b.next_page_offset });
    assert.deepEqual(ids(c.points), [28, 30]);
    assert.equal(c.next_page_offset, null);
  });

  test('count, with and without a filter, exact or not', async () => {
    assert.deepEqual(await server.client.count(n), { count: 30 });
    assert.deepEqual(await server.client.count(n, { exact: false }), { count: 30 });
    const filter = { must: [{ key: 'i', range: { gte: 5, lt: 15 } }], must_not: [{ key: 'even', match: { value: true } }] };
    assert.deepEqual(await server.client.count(n, { filter }), { count: 5 });
    assert.deepEqual(await server.client.count(n, { filter: { must: [{ key: 'i', match: { value: 1000 } }] } }), { count: 0 });
  });
});

describe('delete', () => {
  test('by ids (missing ones are fine) and by filter', async () => {
    const n = await fresh('delete');
    const points = [];
    for (let i = 1; i <= 10; i++) points.push({ id: i, vector: [i, 0, 1], payload: { group: i <= 5 ? 'low' : 'high' } });
    await server.client.upsert(n, { points });
    const r = await server.client.delete(n, { wait: true, points: [1, 2, 77] });
    assert.equal(r.status, 'completed');
    assert.equal((await server.client.count(n)).count, 8);
    assert.deepEqual(await server.client.retrieve(n, { ids: [1, 2] }), []);
    await server.client.delete(n, { wait: true, filter: { must: [{ key: 'group', match: { value: 'high' } }] } });
    const left = await server.client.scroll(n, { limit: 100 });
    assert.deepEqual(ids(left.points), [3, 4, 5]);
    // A deleted point can be written again.
    await server.client.upsert(n, { points: [{ id: 1, vector: [9, 9, 9] }] });
    assert.equal((await server.client.count(n)).count, 4);
  });
});

describe('payload operations', () => {
  let n;
  const payloadOf = async (id) => (await server.client.retrieve(n, { ids: [id] }))[0].payload;
  before(async () => {
    n = await fresh('payload');
  });

  async function reset() {
    await server.client.upsert(n, {
      points: [
        { id: 1, vector: [1, 0, 0], payload: { a: 1, b: 'x', obj: { k: 1, j: 2 } } },
        { id: 2, vector: [0, 1, 0], payload: { a: 2, b: 'y' } },
        { id: 3, vector: [0, 0, 1], payload: { a: 3 } },
      ],
    });
  }

  test('set payload merges top-level keys (replacing whole values)', async () => {
    await reset();
    const r = await server.client.setPayload(n, { payload: { b: 'new', c: [1, 2], obj: { z: 0 } }, points: [1, 2] });
    assert.equal(r.status, 'completed');
    assert.deepEqual(await payloadOf(1), { a: 1, b: 'new', c: [1, 2], obj: { z: 0 } });
    assert.deepEqual(await payloadOf(2), { a: 2, b: 'new', c: [1, 2], obj: { z: 0 } });
    assert.deepEqual(await payloadOf(3), { a: 3 });
  });

  test('set payload by filter', async () => {
    await reset();
    await server.client.setPayload(n, { payload: { tagged: true }, filter: { must: [{ key: 'a', range: { gte: 2 } }] } });
    assert.deepEqual(await payloadOf(1), { a: 1, b: 'x', obj: { k: 1, j: 2 } });
    assert.deepEqual(await payloadOf(2), { a: 2, b: 'y', tagged: true });
    assert.deepEqual(await payloadOf(3), { a: 3, tagged: true });
  });

  test('overwrite payload replaces it', async () => {
    await reset();
    const r = await server.client.overwritePayload(n, { payload: { only: 'this' }, points: [1] });
    assert.equal(r.status, 'completed');
    assert.deepEqual(await payloadOf(1), { only: 'this' });
    assert.deepEqual(await payloadOf(2), { a: 2, b: 'y' });
  });

  test('delete payload keys', async () => {
    await reset();
    const r = await server.client.deletePayload(n, { keys: ['b', 'obj', 'absent'], points: [1, 2, 3] });
    assert.equal(r.status, 'completed');
    assert.deepEqual(await payloadOf(1), { a: 1 });
    assert.deepEqual(await payloadOf(2), { a: 2 });
    assert.deepEqual(await payloadOf(3), { a: 3 });
    await reset();
    await server.client.deletePayload(n, { keys: ['a'], filter: { must: [{ key: 'b', match: { value: 'y' } }] } });
    assert.deepEqual(await payloadOf(1), { a: 1, b: 'x', obj: { k: 1, j: 2 } });
    assert.deepEqual(await payloadOf(2), { b: 'y' });
  });

  test('a payload operation naming a missing point is a 404 and changes nothing', async () => {
    await reset();
    const calls = [
      () => server.client.setPayload(n, { payload: { z: 1 }, points: [1, 42] }),
      () => server.client.overwritePayload(n, { payload: { z: 1 }, points: [42, 2] }),
      () => server.client.deletePayload(n, { keys: ['a'], points: [3, 42] }),
      () => server.client.clearPayload(n, { points: [1, 2, 42] }),
    ];
    for (const call of calls) {
      const e = await clientError(call);
      assert.equal(e.status, 404);
      assert.equal(e.data.status.error, 'Not found: No point with id 42 found');
    }
    assert.deepEqual(await payloadOf(1), { a: 1, b: 'x', obj: { k: 1, j: 2 } });
    assert.deepEqual(await payloadOf(2), { a: 2, b: 'y' });
    assert.deepEqual(await payloadOf(3), { a: 3 });
  });

  test('clear payload, by ids and by filter; the vector stays', async () => {
    await reset();
    const r = await server.client.clearPayload(n, { points: [1] });
    assert.equal(r.status, 'completed');
    assert.deepEqual(await payloadOf(1), {});
    const [p] = await server.client.retrieve(n, { ids: [1], with_vector: true });
    assert.deepEqual(p.vector, [1, 0, 0]);
    await server.client.clearPayload(n, { filter: { must: [{ key: 'a', match: { value: 3 } }] } });
    assert.deepEqual(await payloadOf(3), {});
    assert.deepEqual(await payloadOf(2), { a: 2, b: 'y' });
  });
});

describe('scroll ordered by a payload key', () => {
  test('order_by with an integer index: ascending, descending, start_from; refused without an index', async () => {
    const n = await fresh('order_by', 2);
    const prices = [50, 10, 30, 20, 40];
    await server.client.upsert(n, { wait: true, points: prices.map((price, i) => ({ id: i + 1, vector: [1, i], payload: { price } })) });
    const e = await clientError(() => server.client.scroll(n, { order_by: 'price' }));
    assert.equal(e.status, 400);
    await server.client.createPayloadIndex(n, { field_name: 'price', field_schema: 'integer', wait: true });
    const page = await server.client.scroll(n, { order_by: 'price', limit: 3 });
    assert.deepEqual(page.points.map((p) => p.payload.price), [10, 20, 30]);
    assert.equal(page.next_page_offset, null);
    const desc = await server.client.scroll(n, { order_by: { key: 'price', direction: 'desc', start_from: 35 } });
    assert.deepEqual(desc.points.map((p) => p.id), [3, 4, 2]);
  });
});

describe('batch update (POST /points/batch)', () => {
  test('operations run in order, one result each, and are visible together', async () => {
    const n = await fresh('batch', 2);
    await server.client.upsert(n, { wait: true, points: [{ id: 1, vector: [1, 0], payload: { a: 1 } }, { id: 2, vector: [0, 1] }] });
    const results = await server.client.batchUpdate(n, {
      operations: [
        { upsert: { points: [{ id: 3, vector: [1, 1], payload: { a: 3 } }] } },
        { set_payload: { payload: { b: true }, points: [1, 3] } },
        { overwrite_payload: { payload: { c: 'x' }, points: [2] } },
        { delete_payload: { keys: ['a'], points: [1] } },
        { delete: { points: [2] } },
      ],
    });
    assert.equal(results.length, 5);
    for (const r of results) assert.equal(r.status, 'completed');
    const { points } = await server.client.scroll(n, { limit: 10 });
    assert.deepEqual(points.map((p) => [p.id, p.payload]), [[1, { b: true }], [3, { a: 3, b: true }]]);
  });

  test('all or nothing: a refused operation leaves the earlier ones unwritten', async () => {
    const n = await fresh('batch_atomic', 2);
    await server.client.upsert(n, { wait: true, points: [{ id: 1, vector: [1, 0] }] });
    // Refused before anything runs (a missing point), and refused by the engine inside the transaction (a
    // vector the engine rejects: all zeros under Cosine is checked by the engine, not the route).
    const e = await clientError(() => server.client.batchUpdate(n, {
      operations: [{ upsert: { points: [{ id: 2, vector: [1, 1] }] } }, { set_payload: { payload: { z: 1 }, points: [42] } }],
    }));
    assert.equal(e.status, 404);
    const c = await fresh('batch_atomic_cos', 2, 'Cosine');
    const e2 = await clientError(() => server.client.batchUpdate(c, {
      operations: [{ upsert: { points: [{ id: 5, vector: [1, 1] }] } }, { upsert: { points: [{ id: 6, vector: [0, 0] }] } }],
    }));
    assert.equal(e2.status, 400, JSON.stringify(e2.data));
    assert.equal((await server.client.count(n)).count, 1);
    assert.equal((await server.client.count(c)).count, 0, 'the first upsert of the refused batch did not commit');
  });
});

describe('?wait=true', () => {
  test('every write answers "completed" with wait=true and "acknowledged" without', async () => {
    const n = await fresh('wait');
    const c = server.client;
    const pt = { points: [{ id: 1, vector: [1, 2, 3], payload: { a: 1 } }] };
    const ops = {
      upsert: (wait) => c.upsert(n, { wait, ...pt }),
      setPayload: (wait) => c.setPayload(n, { wait, payload: { b: 1 }, points: [1] }),
      overwritePayload: (wait) => c.overwritePayload(n, { wait, payload: { b: 2 }, points: [1] }),
      deletePayload: (wait) => c.deletePayload(n, { wait, keys: ['b'], points: [1] }),
      clearPayload: (wait) => c.clearPayload(n, { wait, points: [1] }),
      createPayloadIndex: (wait) => c.createPayloadIndex(n, { wait, field_name: `f${wait}`, field_schema: 'keyword' }),
      delete: (wait) => c.delete(n, { wait, points: [1] }),
    };
    for (const [op, fn] of Object.entries(ops)) {
      for (const wait of [true, false]) {
        const r = await fn(wait);
        assert.equal(r.status, wait ? 'completed' : 'acknowledged', `${op} wait=${wait}`);
        assert.ok(r.operation_id === null || Number.isInteger(r.operation_id), `${op}: operation_id`);
      }
    }
    // With no wait parameter at all (the client always sends one): acknowledged.
    const r = await raw(server, 'PUT', `/collections/${n}/points`, pt);
    assert.equal(r.status, 200);
    assert.equal(r.json.result.status, 'acknowledged');
    // An acknowledged write is visible to the next read.
    assert.equal((await c.count(n)).count, 1);
    const w = await raw(server, 'POST', `/collections/${n}/points/delete?wait=true&ordering=strong&timeout=5`, { points: [1] });
    assert.equal(w.json.result.status, 'completed');
    assert.equal((await c.count(n)).count, 0);
  });
});

describe('concurrent requests', () => {
  test('parallel upserts, payload updates and reads all land', async () => {
    const n = await fresh('parallel');
    const writers = Array.from({ length: 40 }, (_, w) =>
      server.client.upsert(n, {
        wait: w % 2 === 0,
        points: Array.from({ length: 25 }, (_, i) => ({ id: w * 25 + i + 1, vector: [w, i, 1], payload: { w, i } })),
      }),
    );
    const readers = Array.from({ length: 20 }, () => server.client.query(n, { query: [1, 1, 1], limit: 5 }));
    const results = await Promise.all([...writers, ...readers]);
    for (const r of results.slice(0, 40)) assert.ok(['completed', 'acknowledged'].includes(r.status));
    for (const r of results.slice(40)) assert.ok(r.points.length <= 5);
    assert.equal((await server.client.count(n)).count, 1000);
    await Promise.all(
      Array.from({ length: 40 }, (_, w) =>
        server.client.setPayload(n, { payload: { seen: true }, filter: { must: [{ key: 'w', match: { value: w } }] } }),
      ),
    );
    assert.equal((await server.client.count(n, { filter: { must: [{ key: 'seen', match: { value: true } }] } })).count, 1000);
    const [p] = await server.client.retrieve(n, { ids: [1000], with_vector: true });
    assert.deepEqual(p, { id: 1000, payload: { w: 39, i: 24, seen: true }, vector: [39, 24, 1] });
  });

  test('more clients than server threads are served without waiting for connections to close', async () => {
    const n = await fresh('many_clients');
    await server.client.upsert(n, { points: [{ id: 1, vector: [1, 2, 3] }] });
    // One client with 40 connections, all busy at once: far more than the server's 8 initial threads. A server
    // with a fixed pool would keep the extra connections waiting for the keep-alive timeout (5 s) each round.
    const client = makeClient(server, { maxConnections: 40 });
    const started = Date.now();
    for (let round = 0; round < 3; round++) {
      const counts = await Promise.all(Array.from({ length: 40 }, () => client.count(n)));
      for (const c of counts) assert.deepEqual(c, { count: 1 });
    }
    const ms = Date.now() - started;
    assert.ok(ms < 4000, `3 rounds of 40 parallel requests took ${ms} ms`);
  });
});
