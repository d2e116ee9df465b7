// Pagination through 10,000 points with scroll: upserted in shuffled batches, read back 256 at a time by
// following next_page_offset until it is null; every id is seen exactly once, in id order (numbers, then
// UUIDs), and count agrees. The same with a filter, and query's offset against scroll.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';

import { collectionName, useServer } from './lib/server.mjs';
import { rng } from './lib/util.mjs';

const TAG = 'page';
const server = useServer(TAG);
const N = collectionName(TAG, 'ten_thousand');
const TOTAL = 10000;
const UUIDS = 100;
const DIM = 4;

// Numeric ids with gaps, so a page boundary never falls on a predictable id.
const numericId = (i) => i * 7 + 3;

function uuid(rand) {
  const hex = Array.from({ length: 32 }, () => Math.floor(rand() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`;
}

describe('scroll through 10,000 points', () => {
  const rand = rng(7);
  const numeric = Array.from({ length: TOTAL - UUIDS }, (_, i) => numericId(i));
  const uuids = Array.from({ length: UUIDS }, () => uuid(rand));
  // Scroll order: numbers by value, then UUIDs by their bytes (the same as their lowercase hex text).
  const expected = [...numeric, ...[...uuids].sort()];

  before(async () => {
    server.track(N);
    await server.client.deleteCollection(N);
    await server.client.createCollection(N, { vectors: { size: DIM, distance: 'Euclid' } });
    const all = [...numeric, ...uuids];
    for (let i = all.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [all[i], all[j]] = [all[j], all[i]];
    }
    for (let start = 0; start < all.length; start += 1000) {
      const ids = all.slice(start, start + 1000);
      const vectors = ids.map(() => Array.from({ length: DIM }, () => rand()));
      const payloads = ids.map((id) => ({ n: typeof id === 'number' ? id : -1, kind: typeof id }));
      const r = await server.client.upsert(N, { wait: start + 1000 >= all.length, batch: { ids, vectors, payloads } });
      assert.ok(['completed', 'acknowledged'].includes(r.status));
    }
  });

  test('every id exactly once, in order; count agrees', async () => {
    assert.deepEqual(await server.client.count(N), { count: TOTAL });
    const seen = [];
    let offset;
    let pages = 0;
    for (;;) {
      const page = await server.client.scroll(N, { limit: 256, offset, with_payload: false });
      pages++;
      assert.ok(page.points.length <= 256);
      for (const p of page.points) {
        assert.deepEqual(Object.keys(p), ['id']);
        seen.push(p.id);
      }
      if (page.next_page_offset === null || page.next_page_offset === undefined) {
        assert.equal(page.next_page_offset, null, 'the last page says null');
        break;
      }
      assert.equal(page.points.length, 256, 'only the last page is short');
      // The next page starts at exactly the offset given.
      offset = page.next_page_offset;
      assert.equal(offset, expected[seen.length]);
      assert.ok(pages <= Math.ceil(TOTAL / 256), 'no more pages than needed');
    }
    assert.equal(pages, Math.ceil(TOTAL / 256));
    assert.equal(seen.length, TOTAL);
    assert.equal(new Set(seen).size, TOTAL, 'no id twice');
    assert.deepEqual(seen, expected);
  });

  test('with a filter and payloads: the matching ids once each, in order', async () => {
    const filter = { must: [{ key: 'n', range: { gte: 0 } }], must_not: [{ key: 'n', range: { lt: 35000 } }] };
    const want = numeric.filter((id) => id >= 35000);
    const { count } = await server.client.count(N, { filter });
    assert.equal(count, want.length);
    const seen = [];
    let offset;
    do {
      const page = await server.client.scroll(N, { filter, limit: 500, offset });
      for (const p of page.points) {
        assert.deepEqual(p.payload, { n: p.id, kind: 'number' });
        seen.push(p.id);
      }
      offset = page.next_page_offset;
    } while (offset !== null);
    assert.deepEqual(seen, want);
    // The UUIDs alone.
    const uuidPage = await server.client.scroll(N, { filter: { must: [{ key: 'kind', match: { value: 'string' } }] }, limit: 1000 });
    assert.deepEqual(uuidPage.points.map((p) => p.id), [...uuids].sort());
    assert.equal(uuidPage.next_page_offset, null);
  });

  test('query without a vector pages like scroll with limit and offset', async () => {
    const a = await server.client.query(N, { limit: 100, offset: 9850 });
    assert.deepEqual(a.points.map((p) => p.id), expected.slice(9850, 9950));
    const b = await server.client.query(N, { limit: 100, offset: 9950, with_payload: true });
    assert.deepEqual(b.points.map((p) => p.id), expected.slice(9950));
    assert.deepEqual(b.points[0].payload, { n: -1, kind: 'string' }); // the UUIDs come last
    // Limit and offset at their largest: past the end is empty, not an error.
    const c = await server.client.query(N, { limit: 10000, offset: 95000 });
    assert.deepEqual(c.points, []);
    const d = await server.client.query(N, { limit: 10000, offset: 2 });
    assert.deepEqual(d.points.map((p) => p.id), expected.slice(2));
  });
});
