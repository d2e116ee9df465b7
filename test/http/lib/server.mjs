// How every test file finds a govector HTTP server.
//
// With GV_HTTP_URL set (and GV_API_KEY when the server wants a key), the tests use that server: the Postgres
// harness starts a cluster whose govectord serves HTTP. Otherwise each test file spawns its own standalone
// govectord (GV_GOVECTORD, default ../../build/govectord) on a fresh data directory under build/http/ and a
// free port, with an API key, and stops it with SIGTERM when the file's tests end.
//
// Test files share the server in the first case, so each one names its collections with its own prefix
// (collectionName) and drops them when it ends.
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before } from 'node:test';

import { QdrantClient } from '@qdrant/js-client-rest';

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, '../../..');
export const govectordPath = process.env.GV_GOVECTORD
  ? resolve(process.env.GV_GOVECTORD)
  : resolve(here, '../../../build/govectord');

// A fresh, empty directory under build/http/ (removed by the caller when it is done).
export function freshDataDir(tag) {
  const dir = join(repoRoot, 'build', 'http', `${tag}-${process.pid}-${Date.now()}-${Math.floor(Math.random() * 1e6)}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

// A TCP port nobody listens on right now (another process may still take it before govectord binds it; the
// spawner retries then).
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolvePort(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Spawns `govectord --data-dir dir --http-port <free port> [--api-key key]` and waits until GET / answers.
// Returns {url, apiKey, proc, dataDir, stop()}; stop() sends SIGTERM and resolves to {code, signal}.
export async function startGovectord({ dataDir, apiKey, extraArgs = [], timeoutMs = 15000 } = {}) {
  let lastError = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const args = ['--data-dir', dataDir, '--http-port', String(port), ...extraArgs];
    if (apiKey) args.push('--api-key', apiKey);
    const env = { ...process.env };
    delete env.GOVECTOR_API_KEY; // the key is the one given here, or none
    const proc = spawn(govectordPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let output = '';
    proc.stdout.on('data', (d) => (output += d));
    proc.stderr.on('data', (d) => (output += d));
    const exited = new Promise((r) => proc.once('exit', (code, signal) => r({ code, signal })));
    let exitInfo = null;
    exited.then((e) => (exitInfo = e));
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && !exitInfo) {
      try {
        const res = await fetch(url + '/');
        if (res.status === 200) {
          await res.text();
          return {
            url,
            apiKey,
            proc,
            dataDir,
            output: () => output,
            exited,
            async stop() {
              if (!exitInfo) proc.kill('SIGTERM');
              return exited;
            },
          };
        }
      } catch {
        // not listening yet
      }
      await sleep(50);
    }
    if (!exitInfo) {
      proc.kill('SIGKILL');
      await exited;
      throw new Error(`govectord did not answer GET / within ${timeoutMs} ms:\n${output}`);
    }
    lastError = `govectord exited (${JSON.stringify(exitInfo)}):\n${output}`;
    // Most likely the port was taken between freePort() and the bind: try another.
  }
  throw new Error(lastError);
}

// The server for one test file. Call at the top level of the file: registers before() and after() hooks and
// returns an object whose fields (url, apiKey, client, standalone) are set once before() has run. The file's
// own hooks that need the server belong inside describe(): Node 20 starts top-level before() hooks without
// waiting for the previous one, and top-level after() hooks would run after a spawned server has stopped.
// Collections given to server.track() are dropped when the file ends.
export function useServer(tag) {
  const server = { url: null, apiKey: null, client: null, standalone: false, tag };
  const collections = new Set();
  // Collections to drop when the file ends (before a spawned server stops).
  server.track = (collection) => {
    collections.add(collection);
    return collection;
  };
  let spawned = null;
  before(async () => {
    if (process.env.GV_HTTP_URL) {
      server.url = process.env.GV_HTTP_URL.replace(/\/+$/, '');
      server.apiKey = process.env.GV_API_KEY || null;
    } else {
      const dataDir = freshDataDir(tag);
      spawned = await startGovectord({ dataDir, apiKey: `test-key-${tag}-${process.pid}` });
      server.url = spawned.url;
      server.apiKey = spawned.apiKey;
      server.standalone = true;
      server.dataDir = dataDir;
    }
    server.client = makeClient(server);
  });
  after(async () => {
    if (server.client) {
      for (const c of collections) await server.client.deleteCollection(c);
    }
    if (spawned) {
      const { code, signal } = await spawned.stop();
      // Every file's server must shut down cleanly.
      if (code !== 0) throw new Error(`govectord for ${tag} exited with ${code ?? signal}:\n${spawned.output()}`);
      rmSync(spawned.dataDir, { recursive: true, force: true });
    }
  });
  return server;
}

// A Qdrant client for the server, with the API key unless options.apiKey says otherwise. The background
// compatibility check (GET /) is off unless asked for: collections.test.mjs checks it on its own.
export function makeClient(server, options = {}) {
  const apiKey = 'apiKey' in options ? options.apiKey : server.apiKey;
  const opts = { url: server.url, checkCompatibility: options.checkCompatibility ?? false };
  if (apiKey) opts.apiKey = apiKey;
  if (options.headers) opts.headers = options.headers;
  if (options.maxConnections) opts.maxConnections = options.maxConnections;
  return quietly(() => new QdrantClient(opts));
}

// The client warns on every construction with an API key over plain HTTP; the warning is expected here.
function quietly(fn) {
  const warn = console.warn;
  console.warn = (...args) => {
    if (!String(args[0]).startsWith('Api key is used with unsecure connection')) warn(...args);
  };
  try {
    return fn();
  } finally {
    console.warn = warn;
  }
}

// A collection name private to one test file (prefix) and one purpose (suffix).
export function collectionName(tag, suffix) {
  return `gvtest_${tag}_${suffix}`;
}

// Raw HTTP, for what the client does not expose (legacy search, malformed bodies, headers). `body` is sent
// as given when it is a string, else as JSON. Returns {status, headers, text, json}.
export async function raw(server, method, path, body, { apiKey = server.apiKey, headers = {} } = {}) {
  const h = { ...headers };
  if (apiKey) h['api-key'] = apiKey;
  let payload;
  if (body !== undefined) {
    payload = typeof body === 'string' ? body : JSON.stringify(body);
    h['content-type'] ??= 'application/json';
  }
  const res = await fetch(server.url + path, { method, headers: h, body: payload });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

// Runs fn, which must throw the client's error; returns it ({status, data}).
export async function clientError(fn, what = '') {
  try {
    await fn();
  } catch (e) {
    if (typeof e.status !== 'number') throw e;
    return e;
  }
  throw new Error(`expected the call to fail${what ? `: ${what}` : ''}`);
}
