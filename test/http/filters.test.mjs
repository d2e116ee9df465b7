// Every filter condition through the Qdrant client, checked against the reference semantics (scroll, count and
// query must agree): must, should, must_not, min_should; match value (string, integer, bool), any, except,
// text, and govector's prefix, contains and regex; range (numbers, datetimes); values_count; is_empty;
// is_null; has_id; nested; dotted paths, [] and [n]; malformed filters.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';

import { clientError, collectionName, raw, useServer } from './lib/server.mjs';
import { sortedIds } from './lib/util.mjs';

const TAG = 'flt';
const server = useServer(TAG);
const N = collectionName(TAG, 'main');

const PAYLOADS = {
  1: {
    name: 'alice',
    age: 30,
    active: true,
    tags: ['a', 'b'],
    city: { name: 'Berlin', zip: '10115' },
    created: '2024-01-15T10:00:00Z',
    items: [{ sku: 'x1', qty: 2 }, { sku: 'y2', qty: 5 }],
    note: null,
    rank: 2,
  },
  2: {
    name: 'bob',
    age: 25,
    active: false,
    tags: ['b'],
    city: { name: 'Paris' },
    created: '2024-03-01T00:00:00+01:00', // 2024-02-29T23:00:00Z
    items: [{ sku: 'x1', qty: 1 }],
    nums: [1, 2, 3],
    rank: 1,
  },
  3: {
    name: 'carol',
    age: 35,
    active: true,
    tags: [],
    city: { name: 'Berlin' },
    created: '2023-12-31 23:59', // no zone: UTC
    items: [],
    note: 'hello world',
    nums: [10],
  },
  4: { name: 'dave', tags: ['c', null], created: '2024-06-01', note: '', flags: [null] },
  // Point 5 is written raw so that "whole" stays a JSON float (1.0), which the client cannot send.
  5: { name: 'abz', age: 40, active: true, whole: 1.0, rank: 3 },
  6: {},
};
const ALL = [1, 2, 3, 4, 5, 6];

// The ids a filter selects, asked three ways that must agree.
async function select(filter) {
  const scroll = await server.client.scroll(N, { filter, limit: 100, with_payload: false });
  const { count } = await server.client.count(N, { filter });
  const query = await server.client.query(N, { query: [1, 0], filter, limit: 100 });
  const a = sortedIds(scroll.points);
  assert.equal(count, a.length, `count agrees with scroll for ${JSON.stringify(filter)}`);
  assert.deepEqual(sortedIds(query.points), a, `query agrees with scroll for ${JSON.stringify(filter)}`);
  return a;
}

const must = (...conditions) => ({ must: conditions });
const check = async (filter, expected) => assert.deepEqual(await select(filter), expected, JSON.stringify(filter));

describe('filters', () => {
  before(async () => {
    server.track(N);
    await server.client.deleteCollection(N);
    await server.client.createCollection(N, { vectors: { size: 2, distance: 'Dot' } });
    const points = ALL.filter((id) => id !== 5).map((id) => ({ id, vector: [id, 1], payload: PAYLOADS[id] }));
    await server.client.upsert(N, { points });
    const body = '{"points": [{"id": 5, "vector": [5, 1], "payload": {"name": "abz", "age": 40, "active": true, "whole": 1.0, "rank": 3}}]}';
    const r = await raw(server, 'PUT', `/collections/${N}/points?wait=true`, body);
    assert.equal(r.status, 200, r.text);
  });

  describe('match', () => {
    test('value: string, integer, bool; arrays match on any element', async () => {
      await check(must({ key: 'name', match: { value: 'bob' } }), [2]);
      await check(must({ key: 'age', match: { value: 30 } }), [1]);
      await check(must({ key: 'active', match: { value: true } }), [1, 3, 5]);
      await check(must({ key: 'active', match: { value: false } }), [2]);
      await check(must({ key: 'tags', match: { value: 'b' } }), [1, 2]);
      await check(must({ key: 'nums', match: { value: 10 } }), [3]);
      // Types do not mix: the string "30" is not the integer 30, nor true the string "true".
      await check(must({ key: 'age', match: { value: '30' } }), []);
      await check(must({ key: 'name', match: { value: true } }), []);
    });

    test('value: an integer matches whole numbers only (a stored 1.0 does not match 1)', async () => {
      await check(must({ key: 'whole', match: { value: 1 } }), []);
      await check(must({ key: 'whole', range: { gte: 1, lte: 1 } }), [5]);
      await check(must({ key: 'rank', match: { value: 3 } }), [5]);
    });

    test('any', async () => {
      await check(must({ key: 'name', match: { any: ['alice', 'dave', 'zed'] } }), [1, 4]);
      await check(must({ key: 'age', match: { any: [25, 35] } }), [2, 3]);
      await check(must({ key: 'tags', match: { any: ['c', 'zz'] } }), [4]);
      await check(must({ key: 'name', match: { any: [] } }), []);
    });

    test('except: some value is not in the list; a missing field does not match', async () => {
      await check(must({ key: 'name', match: { except: ['alice', 'bob'] } }), [3, 4, 5]);
      await check(must({ key: 'age', match: { except: [30] } }), [2, 3, 5]);
      // [a, b] has a; [b] has nothing else; [] has no value; [c, null] has c.
      await check(must({ key: 'tags', match: { except: ['b'] } }), [1, 4]);
    });

    test('text: a substring (no full-text index)', async () => {
      await check(must({ key: 'note', match: { text: 'world' } }), [3]);
      await check(must({ key: 'name', match: { text: 'li' } }), [1]);
      await check(must({ key: 'name', match: { text: 'ar' } }), [3]);
      await check(must({ key: 'age', match: { text: '3' } }), []);
    });

    test("govector's prefix, contains and regex", async () => {
      await check(must({ key: 'name', match: { prefix: 'a' } }), [1, 5]);
      await check(must({ key: 'name', match: { prefix: 'ab' } }), [5]);
      await check(must({ key: 'city.zip', match: { prefix: '101' } }), [1]);
      await check(must({ key: 'name', match: { contains: 'o' } }), [2, 3]);
      await check(must({ key: 'tags', match: { contains: 'c' } }), [4]);
      await check(must({ key: 'name', match: { regex: '^a.*z$' } }), [5]);
      await check(must({ key: 'name', match: { regex: '^(bob|dave)$' } }), [2, 4]);
      await check(must({ key: 'name', match: { regex: 'l' } }), [1, 3]); // unanchored: anywhere
    });
  });

  describe('range, values_count', () => {
    test('numbers: gt, gte, lt, lte, any element of an array', async () => {
      await check(must({ key: 'age', range: { gt: 25, lt: 40 } }), [1, 3]);
      await check(must({ key: 'age', range: { gte: 25, lte: 40 } }), [1, 2, 3, 5]);
      await check(must({ key: 'age', range: { gte: 30.5 } }), [3, 5]);
      await check(must({ key: 'nums', range: { gt: 2 } }), [2, 3]);
      await check(must({ key: 'name', range: { gt: 0 } }), []);
    });

    test('datetimes: RFC 3339 with zones, and without (UTC)', async () => {
      await check(must({ key: 'created', range: { gte: '2024-01-01T00:00:00Z', lt: '2024-03-01T00:00:00Z' } }), [1, 2]);
      await check(must({ key: 'created', range: { gt: '2024-02-29T23:00:00Z' } }), [4]);
      await check(must({ key: 'created', range: { gte: '2024-02-29T23:00:00Z' } }), [2, 4]);
      await check(must({ key: 'created', range: { lte: '2023-12-31T23:59:00Z' } }), [3]);
      await check(must({ key: 'created', range: { lt: '2024-01-01 00:00' } }), [3]);
      await check(must({ key: 'created', range: { gte: '2024-01-15T12:00:00+02:00', lte: '2024-01-15' } }), []);
      await check(must({ key: 'created', range: { gte: '2024-01-15T11:00:00+01:00', lte: '2024-01-15T10:00:00' } }), [1]);
    });

    test('values_count', async () => {
      await check(must({ key: 'tags', values_count: { gte: 2 } }), [1, 4]);
      // A point without the key has zero values, as in Qdrant: 5 and 6 have no tags, 6 no name.
      await check(must({ key: 'tags', values_count: { lt: 1 } }), [3, 5, 6]);
      await check(must({ key: 'nums', values_count: { gt: 1 } }), [2]);
      await check(must({ key: 'name', values_count: { lte: 1 } }), [1, 2, 3, 4, 5, 6]);
      await check(must({ key: 'name', values_count: { gte: 1 } }), [1, 2, 3, 4, 5]);
    });
  });

  describe('is_empty, is_null, has_id', () => {
    test('is_empty: missing, null or []', async () => {
      await check(must({ is_empty: { key: 'tags' } }), [3, 5, 6]);
      await check(must({ is_empty: { key: 'note' } }), [1, 2, 5, 6]);
      await check({ must_not: [{ is_empty: { key: 'note' } }] }, [3, 4]);
    });

    test('is_null: null, or an array holding null; a missing key is not null', async () => {
      await check(must({ is_null: { key: 'note' } }), [1]);
      await check(must({ is_null: { key: 'flags' } }), [4]);
      await check(must({ is_null: { key: 'tags' } }), [4]);
      await check(must({ is_null: { key: 'absent' } }), []);
    });

    test('has_id', async () => {
      await check(must({ has_id: [2, 4, 100] }), [2, 4]);
      await check({ must_not: [{ has_id: [1, 2, 3] }] }, [4, 5, 6]);
      await check(must({ has_id: [] }), []);
    });
  });

  describe('paths and nested', () => {
    test('dotted keys, [] and [n]; arr.field finds nothing', async () => {
      await check(must({ key: 'city.name', match: { value: 'Berlin' } }), [1, 3]);
      await check(must({ key: 'items[].sku', match: { value: 'y2' } }), [1]);
      await check(must({ key: 'items[].sku', match: { value: 'x1' } }), [1, 2]);
      await check(must({ key: 'items.sku', match: { value: 'x1' } }), []);
      await check(must({ key: 'items[0].sku', match: { value: 'x1' } }), [1, 2]);
      await check(must({ key: 'items[1].sku', match: { value: 'x1' } }), []);
      await check(must({ key: 'items[1].qty', range: { gte: 5 } }), [1]);
      await check(must({ key: 'tags[0]', match: { value: 'b' } }), [2]);
    });

    test('nested: every condition on the same element', async () => {
      const nested = (filter) => must({ nested: { key: 'items', filter } });
      await check(nested(must({ key: 'sku', match: { value: 'x1' } }, { key: 'qty', range: { gt: 1 } })), [1]);
      await check(nested(must({ key: 'sku', match: { value: 'x1' } }, { key: 'qty', range: { gt: 3 } })), []);
      // The same conditions on the flattened paths may hold on different elements.
      await check(must({ key: 'items[].sku', match: { value: 'x1' } }, { key: 'items[].qty', range: { gt: 3 } }), [1]);
      await check(nested({ must_not: [{ key: 'sku', match: { value: 'x1' } }] }), [1]);
    });
  });

  describe('clauses', () => {
    test('must, should, must_not, single conditions and nested filters', async () => {
      await check({ should: [{ key: 'name', match: { value: 'bob' } }, { key: 'name', match: { value: 'carol' } }] }, [2, 3]);
      await check({ should: [] }, []);
      await check({ must: [] }, ALL);
      await check({}, ALL);
      await check(
        {
          must: [{ key: 'active', match: { value: true } }],
          should: [{ key: 'age', range: { lt: 32 } }, { key: 'name', match: { value: 'abz' } }],
        },
        [1, 5],
      );
      await check({ must_not: [{ key: 'active', match: { value: true } }] }, [2, 4, 6]);
      await check({ must: { key: 'name', match: { value: 'bob' } } }, [2]);
      await check(
        { must: [{ should: [{ has_id: [1] }, { key: 'age', range: { gt: 36 } }] }, { must_not: { has_id: [5] } }] },
        [1],
      );
      await check({ must_not: [{ must: [{ has_id: [1, 2] }, { key: 'age', range: { lt: 26 } }] }] }, [1, 3, 4, 5, 6]);
    });

    test('min_should', async () => {
      const conditions = [
        { key: 'active', match: { value: true } },
        { key: 'age', range: { gte: 30 } },
        { key: 'tags', match: { value: 'b' } },
      ];
      await check({ min_should: { conditions, min_count: 2 } }, [1, 3, 5]);
      await check({ min_should: { conditions, min_count: 3 } }, [1]);
      await check({ min_should: { conditions, min_count: 1 } }, [1, 2, 3, 5]);
      await check({ must: [{ has_id: [1, 2, 3] }], min_should: { conditions, min_count: 2 } }, [1, 3]);
    });
  });

  describe('filters elsewhere', () => {
    test('set payload and delete take the same filters', async () => {
      const n = server.track(collectionName(TAG, 'writes'));
      await server.client.deleteCollection(n);
      await server.client.createCollection(n, { vectors: { size: 2, distance: 'Dot' } });
      await server.client.upsert(n, { points: ALL.filter((id) => id !== 5).map((id) => ({ id, vector: [id, 1], payload: PAYLOADS[id] })) });
      await server.client.setPayload(n, { payload: { berliner: true }, filter: must({ key: 'city.name', match: { value: 'Berlin' } }) });
      const tagged = await server.client.scroll(n, { filter: must({ key: 'berliner', match: { value: true } }) });
      assert.deepEqual(sortedIds(tagged.points), [1, 3]);
      await server.client.delete(n, { filter: { must: [{ is_empty: { key: 'tags' } }] } });
      assert.deepEqual(sortedIds((await server.client.scroll(n, { limit: 10 })).points), [1, 2, 4]);
    });
  });

  describe('malformed filters are 400 and say where', () => {
    const cases = [
      [{ must: [{ foo: 1 }] }, /filter\.must\[0\]/],
      [{ must: [{ key: 'a', match: { nope: 1 } }] }, /unknown match type "nope"/],
      [{ musts: [] }, /unknown key "musts"/],
      [{ must: [{ key: 'a', match: { value: 1.5 } }] }, /match\.value/],
      [{ must: [{ key: 'a', match: { regex: '(' } }] }, /regular expression/],
      [{ must: [{ key: 'a', range: { gt: 'yesterday' } }] }, /datetime/],
      [{ must: [{ key: 'a', range: { gt: 1, lt: '2024-01-01' } }] }, /mixes/],
      [{ must: [{ key: 'a' }] }, /nothing to check/],
      [{ must: [{ key: 'a', geo_radius: { center: { lon: 0, lat: 0 }, radius: 1 } }] }, /geo/],
      [{ must: [{ key: '', match: { value: 1 } }] }, /key/],
      [{ must: [{ nested: { key: 'items', filter: { must: [{ has_id: [1] }] } } }] }, /has_id/],
      [{ min_should: { conditions: [] } }, /min_count/],
      [{ must: 'name' }, /condition/],
      ['not an object', /filter/],
    ];
    test('through count, scroll, query and delete, changing nothing', async () => {
      const before_ = (await server.client.count(N)).count;
      for (const [filter, message] of cases) {
        for (const call of [
          () => server.client.count(N, { filter }),
          () => server.client.scroll(N, { filter }),
          () => server.client.query(N, { query: [1, 0], filter }),
          () => server.client.delete(N, { filter }),
        ]) {
          const err = await clientError(call);
          assert.equal(err.status, 400, `${JSON.stringify(filter)}: ${JSON.stringify(err.data)}`);
          assert.match(err.data.status.error, /^Wrong input: /);
          assert.match(err.data.status.error, message);
        }
      }
      assert.equal((await server.client.count(N)).count, before_);
    });
  });
});
