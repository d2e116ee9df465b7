// LangChain's QdrantVectorStore (@langchain/qdrant) against the server, with fixed vectors instead of an
// embedding model: addDocuments (the store creates the collection), similaritySearch with and without a
// filter, similaritySearchWithScore, maxMarginalRelevanceSearch, delete by ids and by filter.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';

import { Document } from '@langchain/core/documents';
import { Embeddings } from '@langchain/core/embeddings';
import { QdrantVectorStore } from '@langchain/qdrant';

import { collectionName, useServer } from './lib/server.mjs';
import { assertClose, cosine } from './lib/util.mjs';

const TAG = 'lc';
const server = useServer(TAG);

// Texts and their vectors. Around the query "apples?": the two apple texts are near-duplicates, "pear" is
// less relevant but points elsewhere, and the rest are unrelated.
const VECTORS = {
  'apples are red': [1, 0.1, 0, 0],
  'apples are crunchy': [1, 0.12, 0, 0],
  'pears are sweet': [1, -0.5, 0.3, 0],
  'the sky is blue': [0, 0, 1, 0],
  'rust is a language': [0, 0, 0, 1],
  'rust on old iron': [0.1, 0, 0.2, 1],
  'apples?': [1, 0, 0, 0],
  'languages?': [0, 0.1, 0, 1],
};

// Embeddings that look texts up in VECTORS; any other text (the store embeds "test" to learn the size)
// gets a fixed vector.
class FixedEmbeddings extends Embeddings {
  constructor() {
    super({});
    this.calls = [];
  }

  vector(text) {
    return VECTORS[text] ?? [0.5, 0.5, 0.5, 0.5];
  }

  async embedDocuments(texts) {
    this.calls.push(['documents', texts.length]);
    return texts.map((t) => this.vector(t));
  }

  async embedQuery(text) {
    this.calls.push(['query', text]);
    return this.vector(text);
  }
}

const DOCS = [
  { pageContent: 'apples are red', metadata: { topic: 'fruit', source: 'a.txt', n: 1 } },
  { pageContent: 'apples are crunchy', metadata: { topic: 'fruit', source: 'b.txt', n: 2 } },
  { pageContent: 'pears are sweet', metadata: { topic: 'fruit', source: 'c.txt', n: 3 } },
  { pageContent: 'the sky is blue', metadata: { topic: 'nature', source: 'd.txt', n: 4 } },
  { pageContent: 'rust is a language', metadata: { topic: 'code', source: 'e.txt', n: 5, tags: ['lang'] } },
  { pageContent: 'rust on old iron', metadata: { topic: 'nature', source: 'f.txt', n: 6 } },
];

const contents = (docs) => docs.map((d) => d.pageContent);

describe('QdrantVectorStore', () => {
  const embeddings = new FixedEmbeddings();
  let store;
  let name;

  before(async () => {
    name = server.track(collectionName(TAG, 'docs'));
    await server.client.deleteCollection(name);
    store = new QdrantVectorStore(embeddings, { client: server.client, collectionName: name });
  });

  test('addDocuments creates the collection (Cosine, the embedding size) and stores content and metadata', async () => {
    await store.addDocuments(DOCS.map((d) => new Document(d)));
    const info = await server.client.getCollection(name);
    assert.equal(info.config.params.vectors.size, 4);
    assert.equal(info.config.params.vectors.distance, 'Cosine');
    assert.equal(info.points_count, DOCS.length);
    const { points } = await server.client.scroll(name, { limit: 100 });
    assert.equal(points.length, DOCS.length);
    for (const p of points) {
      assert.match(String(p.id), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      const doc = DOCS.find((d) => d.pageContent === p.payload.content);
      assert.ok(doc, `unexpected payload ${JSON.stringify(p.payload)}`);
      assert.deepEqual(p.payload, { content: doc.pageContent, metadata: doc.metadata });
    }
    // A second store on the same collection finds it instead of creating it.
    const again = new QdrantVectorStore(embeddings, { client: server.client, collectionName: name });
    await again.ensureCollection();
    assert.equal((await server.client.getCollection(name)).points_count, DOCS.length);
  });

  test('similaritySearch: nearest first, with content and metadata', async () => {
    const docs = await store.similaritySearch('apples?', 3);
    assert.deepEqual(contents(docs), ['apples are red', 'apples are crunchy', 'pears are sweet']);
    assert.deepEqual(docs[0].metadata, { topic: 'fruit', source: 'a.txt', n: 1 });
    assert.match(String(docs[0].id), /^[0-9a-f-]{36}$/);
    const code = await store.similaritySearch('languages?', 2);
    assert.deepEqual(contents(code), ['rust is a language', 'rust on old iron']);
    assert.deepEqual(code[0].metadata.tags, ['lang']);
  });

  test('similaritySearchWithScore: the cosine similarities', async () => {
    const results = await store.similaritySearchWithScore('apples?', 6);
    assert.equal(results.length, 6);
    for (const [doc, score] of results) assertClose(score, cosine(VECTORS[doc.pageContent], VECTORS['apples?']), 1e-5, doc.pageContent);
    for (let i = 1; i < results.length; i++) assert.ok(results[i - 1][1] >= results[i][1]);
  });

  test('similaritySearch with a filter on metadata', async () => {
    const nature = await store.similaritySearch('apples?', 5, { must: [{ key: 'metadata.topic', match: { value: 'nature' } }] });
    assert.deepEqual(contents(nature), ['rust on old iron', 'the sky is blue']);
    const notFruit = await store.similaritySearch('languages?', 10, {
      must_not: [{ key: 'metadata.topic', match: { value: 'fruit' } }],
      must: [{ key: 'metadata.n', range: { gte: 5 } }],
    });
    assert.deepEqual(contents(notFruit), ['rust is a language', 'rust on old iron']);
    const none = await store.similaritySearch('apples?', 5, { must: [{ key: 'metadata.topic', match: { value: 'none' } }] });
    assert.deepEqual(none, []);
  });

  test('maxMarginalRelevanceSearch: diversity drops the near-duplicate', async () => {
    // LangChain passes its lambda as Qdrant's diversity.
    const plain = await store.maxMarginalRelevanceSearch('apples?', { k: 2, fetchK: 6, lambda: 0 });
    assert.deepEqual(contents(plain), ['apples are red', 'apples are crunchy']);
    const diverse = await store.maxMarginalRelevanceSearch('apples?', { k: 2, fetchK: 6, lambda: 0.5 });
    assert.deepEqual(contents(diverse), ['apples are red', 'pears are sweet']);
    assert.deepEqual(diverse[1].metadata, { topic: 'fruit', source: 'c.txt', n: 3 });
    // No lambda: Qdrant's default diversity (0.5).
    const dflt = await store.maxMarginalRelevanceSearch('apples?', { k: 2, fetchK: 6 });
    assert.deepEqual(contents(dflt), ['apples are red', 'pears are sweet']);
    const filtered = await store.maxMarginalRelevanceSearch('apples?', {
      k: 3,
      fetchK: 6,
      lambda: 0.5,
      filter: { must: [{ key: 'metadata.topic', match: { value: 'fruit' } }] },
    });
    assert.deepEqual(contents(filtered), ['apples are red', 'pears are sweet', 'apples are crunchy']);
  });

  test('delete by ids and by filter', async () => {
    const [red] = await store.similaritySearch('apples?', 1);
    assert.equal(red.pageContent, 'apples are red');
    await store.delete({ ids: [red.id] });
    assert.deepEqual(contents(await store.similaritySearch('apples?', 2)), ['apples are crunchy', 'pears are sweet']);
    await store.delete({ filter: { must: [{ key: 'metadata.topic', match: { value: 'nature' } }] } });
    const left = await server.client.scroll(name, { limit: 100 });
    assert.deepEqual(left.points.map((p) => p.payload.content).sort(), ['apples are crunchy', 'pears are sweet', 'rust is a language']);
    assert.equal((await server.client.count(name)).count, 3);
  });

  test('fromTexts with the url and apiKey options, and explicit ids', async () => {
    const other = server.track(collectionName(TAG, 'from_texts'));
    await server.client.deleteCollection(other);
    const warn = console.warn;
    console.warn = () => {}; // the client warns about an API key over plain HTTP
    let s;
    try {
      s = new QdrantVectorStore(embeddings, { url: server.url, apiKey: server.apiKey ?? undefined, collectionName: other });
    } finally {
      console.warn = warn;
    }
    const ids = ['0b6f3f9e-8a0e-4c57-9f0e-1f2a3b4c5d6e', '1c7a4e0f-9b1f-4d68-8e1f-2a3b4c5d6e7f'];
    await s.addDocuments(
      [new Document({ pageContent: 'the sky is blue', metadata: {} }), new Document({ pageContent: 'apples are red', metadata: { k: 1 } })],
      { ids },
    );
    const [top] = await s.similaritySearch('apples?', 1);
    assert.equal(top.id, ids[1]);
    assert.deepEqual(top.metadata, { k: 1 });
    await s.delete({ ids: [ids[0]] });
    assert.deepEqual(await server.client.retrieve(other, { ids }), [{ id: ids[1], payload: { content: 'apples are red', metadata: { k: 1 } } }]);
  });
});
