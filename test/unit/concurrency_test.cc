// Searches running concurrently with each other and with writes, deletes, payload updates, background
// indexing and snapshots; transactions spilling their overlays while the engine's stats are read. Run under
// ThreadSanitizer by `make tsan`.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <random>
#include <thread>
#include <unordered_set>

#include "engine/engine.h"
#include "engine/txn_session.h"
#include "test_util.h"

namespace govector {
namespace {

// One random search (with or without the filter g = 1, with or without payloads) and a count; false when
// either fails or the results are wrong: fewer than k, a hit without its payload, or a hit the filter rejects.
bool SearchOnce(Engine* e, const testing::Dataset& d, const std::shared_ptr<const Filter>& g1, std::mt19937& rng) {
  SearchParams sp;
  sp.vector = d.train[rng() % d.train.size()];
  sp.k = 10;
  if (rng() % 2) sp.filter = g1;
  sp.with_payload = rng() % 2;
  auto r = e->Search(1, "c", sp);
  if (!r.ok() || r->size() != 10) return false;
  if (sp.with_payload)
    for (const auto& h : *r)
      if (!h.payload || (sp.filter && h.payload->value("g", -1) != 1)) return false;
  return e->Count(1, "c", sp.filter.get()).ok();
}

// One random write to a point with an id from 1000 on: an upsert (half the time), a delete or a payload update.
bool WriteOnce(Engine* e, const testing::Dataset& d, std::mt19937& rng) {
  uint64_t id = 1000 + rng() % 3000;
  PointSelector sel;
  sel.ids = {PointId::Num(id)};
  switch (rng() % 4) {
    case 2: return e->Delete(1, "c", sel, Durability::kApplied).ok();
    case 3: return e->SetPayload(1, "c", sel, {{"touched", true}}, false, Durability::kApplied).ok();
    default: {
      PointInput p;
      p.id = PointId::Num(id);
      p.vector = d.train[id];
      p.payload = {{"g", id % 4}};
      return e->Upsert(1, "c", {p}, Durability::kApplied).ok();
    }
  }
}

// After the churn, the index agrees with storage. Each live point's own vector is searched by a walk of the graph
// alone (no filter and nothing pending, so no exact scan): the walk returns k live points, nearest first,
// and finds the point itself. hnswlib 0.6.2 can leave a node without incoming links when a vector is
// replaced in place (an update, or a reused slot), which makes it unreachable; after this churn a few in a
// thousand are (the number is printed), so the bound is 99%, which a broken graph or indexer misses.
void CheckGraphAgreesWithStorage(Engine* e) {
  auto indexed = e->WaitIndexed(1, "c", 60000);
  ASSERT_TRUE(indexed.ok()) << indexed.status().ToString();
  ASSERT_TRUE(*indexed);
  auto info = e->GetCollectionInfo(1, "c");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->indexed_vectors, info->points);
  ScrollParams sp;
  sp.limit = 10000;
  sp.with_vector = true;
  auto page = e->Scroll(1, "c", sp);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->points.size(), info->points);
  std::unordered_set<PointId, PointIdHash> live;
  for (const auto& r : page->points) live.insert(r.id);
  size_t found = 0;
  for (const auto& r : page->points) {
    SearchParams q;
    q.vector = *r.vector;
    q.k = 10;
    q.ef = 128;
    SearchPlan plan;
    auto hits = e->Search(1, "c", q, &plan);
    ASSERT_TRUE(hits.ok()) << hits.status().ToString();
    ASSERT_EQ(plan.kind, SearchPlan::Kind::kGraph) << "point " << r.id.ToString();
    ASSERT_EQ(plan.pending_scanned, 0u);
    ASSERT_EQ(hits->size(), 10u);
    for (size_t i = 0; i < hits->size(); ++i) {
      const ScoredPoint& h = (*hits)[i];
      ASSERT_TRUE(live.count(h.id)) << "the graph returned " << h.id.ToString() << ", which is not stored";
      if (i > 0) {
        ASSERT_LE((*hits)[i - 1].score, h.score);  // Euclid: nearest first
      }
      if (h.id == r.id) {
        ++found;
        EXPECT_EQ(h.score, 0.0f);
      }
    }
  }
  std::printf("  the graph walk found %zu of %zu points by their own vectors\n", found, page->points.size());
  EXPECT_GE(found, page->points.size() * 99 / 100);
}

// An engine with options o and collection "c" (Euclid, of dimension dim) in namespace 1; null on failure.
std::unique_ptr<Engine> OpenWithCollection(const EngineOptions& o, uint32_t dim) {
  auto opened = Engine::Open(o);
  if (!opened.ok()) {
    ADD_FAILURE() << opened.status().ToString();
    return nullptr;
  }
  std::unique_ptr<Engine> e = std::move(opened).value();
  CollectionConfig c;
  c.name = "c";
  c.dimension = dim;
  c.distance = Distance::kEuclid;
  Status created = e->CreateCollection(1, c);
  if (!created.ok()) {
    ADD_FAILURE() << created.ToString();
    return nullptr;
  }
  return e;
}

TEST(Concurrency, SearchesWritesAndIndexingTogether) {
  testing::TempDir dir;
  EngineOptions o;
  o.data_dir = dir.path();
  o.map_size = size_t{2} << 30;
  o.index_threads = 2;
  o.snapshot_interval_seconds = 1;
  o.sync_interval_ms = 50;
  std::unique_ptr<Engine> e = OpenWithCollection(o, 16);
  ASSERT_TRUE(e);
  ASSERT_TRUE(e->CreatePayloadIndex(1, "c", "g", PayloadIndexType::kInteger).ok());
  testing::Dataset d = testing::ClusteredSynthetic(4000, 0, 16, 8, 3);
  // Ids below 1000 are never deleted, so every search has at least 1,000 live candidates.
  std::vector<PointInput> base;
  for (uint64_t i = 0; i < 1000; ++i) {
    PointInput p;
    p.id = PointId::Num(i);
    p.vector = d.train[i];
    p.payload = {{"g", i % 4}};
    base.push_back(std::move(p));
  }
  ASSERT_TRUE(e->Upsert(1, "c", base, Durability::kApplied).ok());
  std::shared_ptr<const Filter> g1 = testing::ParsedFilter(R"({"must":[{"key":"g","match":{"value":1}}]})");
  ASSERT_TRUE(g1);

  std::atomic<bool> stop{false};
  std::atomic<int> errors{0};
  std::atomic<long> searches{0}, writes{0};
  auto searcher = [&](int seed) {
    std::mt19937 rng(seed);
    for (; !stop; ++searches)
      if (!SearchOnce(e.get(), d, g1, rng)) ++errors;
  };
  auto writer = [&](int seed) {
    std::mt19937 rng(seed);
    for (; !stop; ++writes)
      if (!WriteOnce(e.get(), d, rng)) ++errors;
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) threads.emplace_back(searcher, i);
  for (int i = 0; i < 2; ++i) threads.emplace_back(writer, 100 + i);
  std::this_thread::sleep_for(std::chrono::seconds(3));
  stop = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_GT(searches.load(), 10);
  EXPECT_GT(writes.load(), 10);
  std::printf("  %ld searches and %ld writes ran concurrently\n", searches.load(), writes.load());

  CheckGraphAgreesWithStorage(e.get());
}

// Connections running transactions that spill (each its own file) while another thread reads the engine's
// stats: each transaction reads its own points, and when all have ended no file and no total is left.
TEST(Concurrency, TransactionsSpillWhileStatsAreRead) {
  testing::TempDir dir;
  EngineOptions o;
  o.data_dir = dir.path();
  o.map_size = size_t{1} << 30;
  o.txn_spill_bytes = 4096;
  std::unique_ptr<Engine> e = OpenWithCollection(o, 8);
  ASSERT_TRUE(e);
  std::atomic<bool> stop{false};
  std::atomic<int> errors{0};
  std::atomic<uint64_t> most_spilled{0};
  auto backend = [&](int who) {
    TxnSession s(e.get());
    for (uint64_t t = 1; t <= 6; ++t) {
      const uint64_t token = uint64_t(who) << 32 | t;
      for (int batch = 0; batch < 4; ++batch) {
        std::vector<PointInput> pts;
        for (int i = 0; i < 20; ++i) {
          PointInput p;
          p.id = PointId::Num(uint64_t(who) * 1000 + batch * 20 + i);
          p.vector.assign(8, float(who + i));
          p.payload = {{"who", who}, {"t", t}};
          pts.push_back(std::move(p));
        }
        RequestContext w;
        w.kind = RequestKind::kPointWrite;
        w.txn = TxnContext{token, 1, {}, true};
        if (!s.Begin(w).ok() || !s.Upsert(1, "c", pts, Durability::kApplied).ok()) ++errors;
        (void)s.End(Status::OK());
      }
      RequestContext r;
      r.kind = RequestKind::kRead;
      r.txn = TxnContext{token, 1, {}, false};
      if (!s.Begin(r).ok()) ++errors;
      auto n = s.Count(1, "c", nullptr);
      if (!n.ok() || *n != 80) ++errors;
      SearchParams sp;
      sp.vector.assign(8, float(who));
      sp.k = 3;
      sp.with_payload = true;
      auto hits = s.Search(1, "c", sp);
      if (!hits.ok() || hits->size() != 3 || (*hits)[0].payload->value("t", uint64_t{0}) != t) ++errors;
    }
  };
  std::thread stats([&] {
    while (!stop) {
      EngineStats st = e->Stats();
      uint64_t seen = most_spilled.load();
      if (st.txn_spilled_bytes > seen) most_spilled = st.txn_spilled_bytes;
    }
  });
  std::vector<std::thread> backends;
  for (int i = 1; i <= 3; ++i) backends.emplace_back(backend, i);
  for (auto& t : backends) t.join();
  stop = true;
  stats.join();
  EXPECT_EQ(errors.load(), 0);
  EngineStats st = e->Stats();
  EXPECT_EQ(st.open_transactions, 0u);
  EXPECT_EQ(st.txn_memory_bytes, 0u);
  EXPECT_EQ(st.txn_spilled_bytes, 0u);
  EXPECT_TRUE(std::filesystem::is_empty(dir.path() + "/txn-spill"));
  std::printf("  most spilled at once, as the stats saw it: %lu bytes\n", (unsigned long)most_spilled.load());
}

}  // namespace
}  // namespace govector
