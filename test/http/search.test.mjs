// Search through the Qdrant client: client.query with a vector, a point id, {nearest}, {nearest, mmr}, a filter,
// params (hnsw_ef, exact), score_threshold, limit, offset, every with_payload form and with_vector; queryBatch;
// the legacy /points/search and /points/search/batch (raw, the 1.19 client has no search method). Exact scores
// and ordering for the four distances, and score_threshold in both directions.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';

import { clientError, collectionName, raw, useServer } from './lib/server.mjs';
import { assertClose, assertVectorClose, cosine, dot, ids, l1, l2, normalize, rng } from './lib/util.mjs';

const TAG = 'srch';
const server = useServer(TAG);
const name = (s) => collectionName(TAG, s);

async function fresh(suffix, vectors, extra = {}) {
  const n = server.track(name(suffix));
  await server.client.deleteCollection(n);
  await server.client.createCollection(n, { vectors, ...extra });
  return n;
}

const SCORE = { Cosine: cosine, Dot: dot, Euclid: l2, Manhattan: l1 };
const HIGHER_IS_BETTER = { Cosine: true, Dot: true, Euclid: false, Manhattan: false };

// Five points whose scores against Q are distinct under every distance.
const POINTS = {
  1: [1, 0, 0],
  2: [0, 1, 0],
  3: [1, 1, 0],
  4: [-1, 0, 0],
  5: [2, 1, 2],
};
const Q = [1, 0.3, 0.2];

function expectedRanking(distance, query, points = POINTS, exclude = []) {
  const f = SCORE[distance];
  return Object.entries(points)
    .filter(([id]) => !exclude.includes(Number(id)))
    .map(([id, v]) => ({ id: Number(id), score: f(v, query) }))
    .sort((a, b) => (HIGHER_IS_BETTER[distance] ? b.score - a.score : a.score - b.score));
}

function assertRanking(points, expected, what) {
  assert.deepEqual(ids(points), ids(expected), `${what}: order`);
  points.forEach((p, i) => assertClose(p.score, expected[i].score, 1e-5, `${what}: score of ${p.id}`));
}

describe('scores and ordering for the four distances', () => {
  for (const distance of Object.keys(SCORE)) {
    test(distance, async () => {
      const n = await fresh(`dist_${distance.toLowerCase()}`, { size: 3, distance });
      await server.client.upsert(n, {
        points: Object.entries(POINTS).map(([id, vector]) => ({ id: Number(id), vector, payload: { id: Number(id) } })),
      });
      const expected = expectedRanking(distance, Q);
      for (const params of [undefined, { exact: true }, { hnsw_ef: 128 }]) {
        const { points } = await server.client.query(n, { query: Q, limit: 10, params });
        assertRanking(points, expected, `${distance} ${JSON.stringify(params)}`);
        for (const p of points) {
          assert.deepEqual(Object.keys(p).sort(), ['id', 'score', 'version']);
          assert.ok(Number.isInteger(p.version));
        }
      }
      // Raw request too: the scores are plain JSON numbers.
      const r = await raw(server, 'POST', `/collections/${n}/points/query`, { query: Q, limit: 2 });
      assert.equal(r.status, 200);
      assertRanking(r.json.result.points, expected.slice(0, 2), `${distance} raw`);
    });
  }
});

describe('score_threshold', () => {
  // Exact-integer scores, so the boundary is exact: a score equal to the threshold is not kept.
  const cases = {
    Dot: { query: [1, 2], points: { 1: [1, 0], 2: [0, 1], 3: [1, 1], 4: [2, 2] }, threshold: 3, keep: [4] },
    Cosine: { query: [1, 0], points: { 1: [1, 0], 2: [1, 1], 3: [0, 1], 4: [-1, 0] }, threshold: 0, keep: [1, 2] },
    Euclid: { query: [0, 0], points: { 1: [3, 0], 2: [0, 4], 3: [3, 4], 4: [6, 8] }, threshold: 5, keep: [1, 2] },
    Manhattan: { query: [0, 0], points: { 1: [1, 0], 2: [1, 1], 3: [2, 1], 4: [3, 3] }, threshold: 3, keep: [1, 2] },
  };
  for (const [distance, c] of Object.entries(cases)) {
    test(`${distance}: keeps scores ${HIGHER_IS_BETTER[distance] ? 'above' : 'below'} the threshold`, async () => {
      const n = await fresh(`thr_${distance.toLowerCase()}`, { size: 2, distance });
      await server.client.upsert(n, { points: Object.entries(c.points).map(([id, vector]) => ({ id: Number(id), vector })) });
      const all = await server.client.query(n, { query: c.query });
      assertRanking(all.points, expectedRanking(distance, c.query, c.points), distance);
      const { points } = await server.client.query(n, { query: c.query, score_threshold: c.threshold });
      assert.deepEqual(ids(points), c.keep);
      for (const p of points) assert.ok(HIGHER_IS_BETTER[distance] ? p.score > c.threshold : p.score < c.threshold);
      // A threshold nothing passes.
      const none = await server.client.query(n, { query: c.query, score_threshold: HIGHER_IS_BETTER[distance] ? 100 : 0 });
      assert.deepEqual(none.points, []);
      // The legacy search applies it the same way.
      const legacy = await raw(server, 'POST', `/collections/${n}/points/search`, {
        vector: c.query,
        limit: 10,
        score_threshold: c.threshold,
      });
      assert.deepEqual(ids(legacy.json.result), c.keep);
    });
  }
});

describe('query', () => {
  let n;
  before(async () => {
    n = await fresh('query', { size: 3, distance: 'Dot' });
    await server.client.upsert(n, {
      points: Object.entries(POINTS).map(([id, vector]) => ({
        id: Number(id),
        vector,
        payload: { id: Number(id), parity: Number(id) % 2 ? 'odd' : 'even', meta: { w: Number(id) * 10 } },
      })),
    });
  });
  const dotRanking = () => expectedRanking('Dot', Q); // 5, 3, 1, 2, 4

  test('limit and offset', async () => {
    const full = dotRanking();
    assert.deepEqual(ids((await server.client.query(n, { query: Q })).points), ids(full));
    assertRanking((await server.client.query(n, { query: Q, limit: 2 })).points, full.slice(0, 2), 'limit 2');
    assertRanking((await server.client.query(n, { query: Q, limit: 2, offset: 1 })).points, full.slice(1, 3), 'offset 1');
    assertRanking((await server.client.query(n, { query: Q, limit: 10, offset: 3 })).points, full.slice(3), 'offset 3');
    assert.deepEqual((await server.client.query(n, { query: Q, offset: 5 })).points, []);
  });

  test('by point id: the point\'s own vector, the point itself left out', async () => {
    const expected = expectedRanking('Dot', POINTS[3], POINTS, [3]);
    assertRanking((await server.client.query(n, { query: 3 })).points, expected, 'query: 3');
    assertRanking((await server.client.query(n, { query: { nearest: 3 } })).points, expected, 'nearest: 3');
    const err = await clientError(() => server.client.query(n, { query: 999 }));
    assert.equal(err.status, 404);
  });

  test('{nearest: vector} is the plain vector query', async () => {
    assertRanking((await server.client.query(n, { query: { nearest: Q }, limit: 3 })).points, dotRanking().slice(0, 3), 'nearest');
  });

  test('with a filter', async () => {
    const filter = { must: [{ key: 'parity', match: { value: 'odd' } }] };
    const expected = dotRanking().filter((p) => p.id % 2 === 1);
    assertRanking((await server.client.query(n, { query: Q, filter })).points, expected, 'odd');
    const none = await server.client.query(n, { query: Q, filter: { must: [{ key: 'parity', match: { value: 'none' } }] } });
    assert.deepEqual(none.points, []);
  });

  test('with_payload in every form, with_vector', async () => {
    const top = async (args) => (await server.client.query(n, { query: Q, limit: 1, ...args })).points[0];
    const full = { id: 5, parity: 'odd', meta: { w: 50 } };
    assert.equal((await top({})).payload, undefined, 'query returns no payload by default');
    assert.equal((await top({})).vector, undefined, 'query returns no vector by default');
    assert.deepEqual((await top({ with_payload: true })).payload, full);
    assert.equal((await top({ with_payload: false })).payload, undefined);
    assert.deepEqual((await top({ with_payload: ['parity', 'meta'] })).payload, { parity: 'odd', meta: { w: 50 } });
    assert.deepEqual((await top({ with_payload: { include: ['id'] } })).payload, { id: 5 });
    assert.deepEqual((await top({ with_payload: { exclude: ['meta', 'id'] } })).payload, { parity: 'odd' });
    const withVector = await top({ with_vector: true });
    assert.deepEqual(withVector.vector, POINTS[5]);
    assert.equal(withVector.payload, undefined);
    const both = await top({ with_vector: true, with_payload: true });
    assert.deepEqual(both.vector, POINTS[5]);
    assert.deepEqual(both.payload, full);
    assert.equal((await top({ with_vector: false })).vector, undefined);
  });

  test('params: hnsw_ef and exact give the same answer here', async () => {
    const expected = dotRanking().slice(0, 4);
    for (const params of [{ hnsw_ef: 1 }, { hnsw_ef: 500 }, { exact: true }, { exact: false, hnsw_ef: 16 }]) {
      assertRanking((await server.client.query(n, { query: Q, limit: 4, params })).points, expected, JSON.stringify(params));
    }
  });

  test('search params govector does not implement are refused, naming the field; the ones it does are accepted', async () => {
    const refused = [
      [{ indexed_only: true }, 'params.indexed_only'],
      [{ acorn: { enable: true } }, 'params.acorn.enable'],
      [{ quantization: { ignore: true } }, 'params.quantization.ignore'],
      [{ quantization: { rescore: false } }, 'params.quantization.rescore'],
      [{ quantization: { oversampling: 2 } }, 'params.quantization.oversampling'],
      [{ idf: 'global' }, 'params.idf'],
      [{ hnsw_ef: 16, typo: 1 }, 'params.typo'],
    ];
    for (const [params, field] of refused) {
      const e = await clientError(() => server.client.query(n, { query: Q, limit: 4, params }));
      assert.equal(e.status, 400, JSON.stringify(params));
      assert.ok(e.data.status.error.includes(`\`${field}\``), e.data.status.error);
    }
    // hnsw_ef 0 fails Qdrant's validation (hnsw_ef >= 1): 422.
    const zero = await clientError(() => server.client.query(n, { query: Q, limit: 4, params: { hnsw_ef: 0 } }));
    assert.equal(zero.status, 422);
    const expected = dotRanking().slice(0, 4);
    const same = { indexed_only: false, acorn: { enable: false }, quantization: { ignore: false, rescore: true } };
    assertRanking((await server.client.query(n, { query: Q, limit: 4, params: same })).points, expected, 'defaults');
  });

  test('recommend (average_vector): by ids and vectors, the examples left out, through the query API and /points/recommend', async () => {
    const query = (recommend, extra = {}) => server.client.query(n, { query: { recommend }, limit: 3, ...extra });
    // Positive 5 and negative 1: the query is 2 * v5 - v1, a plain search for it without points 5 and 1.
    const v = (id) => POINTS[id];
    const q = v(5).map((x, i) => 2 * x - v(1)[i]);
    const expected = (await server.client.query(n, { query: q, limit: 5 })).points.map((p) => p.id).filter((id) => id !== 5 && id !== 1).slice(0, 3);
    assert.deepEqual(ids((await query({ positive: [5], negative: [1] })).points), expected);
    // A vector as the example is not left out.
    const byVector = await query({ positive: [v(5)] });
    assert.deepEqual(ids(byVector.points), ids((await server.client.query(n, { query: v(5), limit: 3 })).points));
    const legacy = await raw(server, 'POST', `/collections/${n}/points/recommend`, { positive: [5], negative: [1], limit: 3 });
    assert.equal(legacy.status, 200);
    assert.deepEqual(legacy.json.result.map((p) => p.id), expected);
  });

  test('no query: points in id order', async () => {
    const { points } = await server.client.query(n, { limit: 3, with_payload: ['id'] });
    assert.deepEqual(ids(points), [1, 2, 3]);
    assert.deepEqual(points.map((p) => p.payload), [{ id: 1 }, { id: 2 }, { id: 3 }]);
    const filtered = await server.client.query(n, { filter: { must: [{ key: 'parity', match: { value: 'even' } }] } });
    assert.deepEqual(ids(filtered.points), [2, 4]);
  });

  test('queryBatch answers each query in order', async () => {
    const res = await server.client.queryBatch(n, {
      searches: [
        { query: Q, limit: 2 },
        { query: [0, 0, 1], limit: 1, with_payload: true },
        { query: Q, filter: { must: [{ key: 'parity', match: { value: 'even' } }] } },
        { query: 1, limit: 1 },
      ],
    });
    assert.equal(res.length, 4);
    assertRanking(res[0].points, dotRanking().slice(0, 2), 'batch 0');
    assert.deepEqual(ids(res[1].points), [5]);
    assert.deepEqual(res[1].points[0].payload, { id: 5, parity: 'odd', meta: { w: 50 } });
    assertRanking(res[2].points, dotRanking().filter((p) => p.id % 2 === 0), 'batch 2');
    assertRanking(res[3].points, expectedRanking('Dot', POINTS[1], POINTS, [1]).slice(0, 1), 'batch 3');
    assert.deepEqual(await server.client.queryBatch(n, { searches: [] }), []);
  });
});

describe('MMR', () => {
  // Near the query [1, 0, 0]: 1 and 2 are near-duplicates, 3 is less relevant but points elsewhere, 4 is
  // orthogonal to everything. Relevance alone ranks them 1, 2, 3, 4.
  const pts = { 1: [1, 0.1, 0], 2: [1, 0.12, 0], 3: [1, -0.5, 0.3], 4: [0, 0, 1] };
  const query = [1, 0, 0];

  for (const distance of ['Cosine', 'Euclid']) {
    test(`${distance}: diversity trades relevance for difference; scores stay the query's`, async () => {
      const n = await fresh(`mmr_${distance.toLowerCase()}`, { size: 3, distance });
      await server.client.upsert(n, { points: Object.entries(pts).map(([id, vector]) => ({ id: Number(id), vector })) });
      const plain = expectedRanking(distance, query, pts);
      assert.deepEqual(ids(plain), [1, 2, 3, 4]);
      const score = Object.fromEntries(plain.map((p) => [p.id, p.score]));
      const mmr = async (mmrArgs, extra = {}) =>
        (await server.client.query(n, { query: { nearest: query, mmr: mmrArgs }, limit: 2, ...extra })).points;
      // Qdrant's rule on its own scale (similarity: cosine, or minus the squared distance for Euclid), for both
      // relevance and redundancy: pick the best, then maximise (1 - d) * relevance - d * max similarity.
      const relevance = await mmr({ diversity: 0 });
      assertRanking(relevance, plain.slice(0, 2), 'diversity 0');
      const balanced = await mmr({ diversity: 0.5, candidates_limit: 10 });
      assert.deepEqual(ids(balanced), [1, 3], 'diversity 0.5: the near-duplicate loses to the different point');
      for (const p of balanced) assertClose(p.score, score[p.id], 1e-5, `score of ${p.id}`);
      assert.deepEqual(ids(await mmr({ candidates_limit: 10 })), [1, 3], 'the default diversity is 0.5');
      assert.deepEqual(ids(await mmr({ diversity: null, candidates_limit: 20 })), [1, 3], 'as LangChain sends it');
      assert.deepEqual(ids(await mmr({ diversity: 0.8, candidates_limit: 4 })), [1, 4], 'diversity 0.8');
      assert.deepEqual(ids(await mmr({ diversity: 0.8 }, { limit: 4 })), [1, 4, 3, 2]);
      // A filter limits the candidates; with_vector and with_payload are the caller's choice.
      const filtered = await mmr({ diversity: 0.8, candidates_limit: 10 }, { filter: { must_not: [{ has_id: [4] }] }, with_payload: true });
      assert.deepEqual(ids(filtered), [1, 3]);
      assert.equal(filtered[0].vector, undefined);
      assert.deepEqual(filtered[0].payload, {});
      const withVec = await mmr({ diversity: 0.8 }, { limit: 1, with_vector: true });
      assertVectorClose(withVec[0].vector, distance === 'Cosine' ? normalize(pts[1]) : pts[1]);
      // Offset skips MMR's first picks.
      assert.deepEqual(ids(await mmr({ diversity: 0.8, candidates_limit: 10 }, { limit: 2, offset: 1 })), [4, 3]);
      // candidates_limit bounds the pool, and defaults to the limit: with the two nearest only, MMR cannot
      // reach the others.
      assert.deepEqual(ids(await mmr({ diversity: 0.8, candidates_limit: 2 })), [1, 2]);
      assert.deepEqual(ids(await mmr({ diversity: 0.8 })), [1, 2]);
    });
  }
});

describe('legacy search', () => {
  let n;
  before(async () => {
    n = await fresh('legacy', { size: 3, distance: 'Euclid' });
    await server.client.upsert(n, {
      points: Object.entries(POINTS).map(([id, vector]) => ({ id: Number(id), vector, payload: { id: Number(id), k: 'v' } })),
    });
  });

  test('/points/search: a list of scored points in the envelope', async () => {
    const r = await raw(server, 'POST', `/collections/${n}/points/search`, { vector: Q, limit: 3 });
    assert.equal(r.status, 200);
    assert.equal(r.json.status, 'ok');
    assert.equal(typeof r.json.time, 'number');
    assert.ok(Array.isArray(r.json.result));
    assertRanking(r.json.result, expectedRanking('Euclid', Q).slice(0, 3), 'search');
    assert.equal(r.json.result[0].payload, undefined);
    const w = await raw(server, 'POST', `/collections/${n}/points/search`, {
      vector: Q,
      limit: 2,
      offset: 1,
      with_payload: ['k'],
      with_vector: true,
      filter: { must_not: [{ key: 'id', match: { value: 1 } }] },
      params: { hnsw_ef: 64, exact: false },
    });
    const expected = expectedRanking('Euclid', Q, POINTS, [1]).slice(1, 3);
    assertRanking(w.json.result, expected, 'search with options');
    for (const p of w.json.result) {
      assert.deepEqual(p.payload, { k: 'v' });
      assert.deepEqual(p.vector, POINTS[p.id]);
    }
  });

  test('/points/search/batch: a list of lists', async () => {
    const r = await raw(server, 'POST', `/collections/${n}/points/search/batch`, {
      searches: [
        { vector: Q, limit: 1 },
        { vector: [0, 1, 0], limit: 2, with_payload: true },
      ],
    });
    assert.equal(r.status, 200);
    assert.equal(r.json.status, 'ok');
    assert.equal(r.json.result.length, 2);
    assertRanking(r.json.result[0], expectedRanking('Euclid', Q).slice(0, 1), 'batch 0');
    assertRanking(r.json.result[1], expectedRanking('Euclid', [0, 1, 0]).slice(0, 2), 'batch 1');
    assert.deepEqual(r.json.result[1][0].payload, { id: 2, k: 'v' });
  });

  test('errors come in the envelope too', async () => {
    const r = await raw(server, 'POST', `/collections/${n}/points/search`, { vector: [1, 2], limit: 3 });
    assert.equal(r.status, 400);
    assert.equal(r.json.status.error, 'Wrong input: Vector dimension error: expected dim: 3, got 2');
    const m = await raw(server, 'POST', `/collections/${name('missing')}/points/search`, { vector: Q, limit: 3 });
    assert.equal(m.status, 404);
  });
});

describe('a larger collection, graph against exact', () => {
  test('top 10 of 600 random points: exact matches brute force; the graph and SQ8 agree with it', async () => {
    const dim = 16;
    const rand = rng(42);
    const vectors = Array.from({ length: 600 }, () => Array.from({ length: dim }, () => rand() * 2 - 1));
    const plainN = await fresh('big', { size: dim, distance: 'Cosine' });
    const sq8N = await fresh('big_sq8', { size: dim, distance: 'Cosine' }, { quantization_config: { scalar: { type: 'int8' } } });
    for (const n of [plainN, sq8N]) {
      await server.client.upsert(n, { batch: { ids: vectors.map((_, i) => i + 1), vectors } });
    }
    const points = Object.fromEntries(vectors.map((v, i) => [i + 1, v]));
    for (let qi = 0; qi < 5; qi++) {
      const query = Array.from({ length: dim }, () => rand() * 2 - 1);
      const expected = expectedRanking('Cosine', query, points).slice(0, 10);
      for (const n of [plainN, sq8N]) {
        const exact = await server.client.query(n, { query, limit: 10, params: { exact: true } });
        if (n === plainN) assertRanking(exact.points, expected, `exact ${qi}`);
        const graph = await server.client.query(n, { query, limit: 10, params: { hnsw_ef: 200 } });
        const found = new Set(ids(graph.points));
        const recall = ids(expected).filter((id) => found.has(id)).length;
        assert.ok(recall >= 9, `${n} query ${qi}: recall ${recall}/10`);
        const score = Object.fromEntries(expectedRanking('Cosine', query, points).map((p) => [p.id, p.score]));
        // Scores are exact even when SQ8 picked the candidates (they are rescored).
        for (const p of [...graph.points, ...exact.points]) assertClose(p.score, score[p.id], 1e-4, `${n} score of ${p.id}`);
        for (let i = 1; i < graph.points.length; i++) assert.ok(graph.points[i - 1].score >= graph.points[i].score);
      }
    }
  });
});
