// Small helpers shared by the test files.
import assert from 'node:assert/strict';

// |actual - expected| <= eps, with a message naming both.
export function assertClose(actual, expected, eps = 1e-5, what = 'value') {
  assert.equal(typeof actual, 'number', `${what}: expected a number, got ${JSON.stringify(actual)}`);
  assert.ok(Math.abs(actual - expected) <= eps, `${what}: expected ${expected} ± ${eps}, got ${actual}`);
}

export function assertVectorClose(actual, expected, eps = 1e-5, what = 'vector') {
  assert.ok(Array.isArray(actual), `${what}: expected an array, got ${JSON.stringify(actual)}`);
  assert.equal(actual.length, expected.length, `${what}: length`);
  actual.forEach((x, i) => assertClose(x, expected[i], eps, `${what}[${i}]`));
}

export const ids = (points) => points.map((p) => p.id);

// Ids sorted numerically (numbers) or as strings, for comparing sets of matches.
export const sortedIds = (points) => ids(points).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

export const dot = (a, b) => a.reduce((s, x, i) => s + x * b[i], 0);
export const norm = (a) => Math.sqrt(dot(a, a));
export const cosine = (a, b) => dot(a, b) / (norm(a) * norm(b));
export const l2 = (a, b) => Math.sqrt(a.reduce((s, x, i) => s + (x - b[i]) ** 2, 0));
export const l1 = (a, b) => a.reduce((s, x, i) => s + Math.abs(x - b[i]), 0);
export const normalize = (a) => a.map((x) => x / norm(a));

// A deterministic pseudo-random generator (mulberry32), so failures reproduce.
export function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Polls fn until it returns a truthy value or the time runs out; returns the last value.
export async function eventually(fn, { timeoutMs = 10000, intervalMs = 50 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let v;
  do {
    v = await fn();
    if (v) return v;
    await sleep(intervalMs);
  } while (Date.now() < deadline);
  return v;
}
