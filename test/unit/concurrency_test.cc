// Searches running concurrently with each other and with writes, deletes, payload updates, background
// indexing and snapshots. Run under ThreadSanitizer by `make tsan`.
#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <thread>

#include "engine/engine.h"
#include "test_util.h"

namespace govector {
namespace {

TEST(Concurrency, SearchesWritesAndIndexingTogether) {
  testing::TempDir dir;
  EngineOptions o;
  o.data_dir = dir.path();
  o.map_size = size_t{2} << 30;
  o.index_threads = 2;
  o.snapshot_interval_seconds = 1;
  o.sync_interval_ms = 50;
  auto opened = Engine::Open(o);
  ASSERT_TRUE(opened.ok());
  std::unique_ptr<Engine> e = std::move(opened).value();
  CollectionConfig c;
  c.name = "c";
  c.dimension = 16;
  c.distance = Distance::kEuclid;
  ASSERT_TRUE(e->CreateCollection(1, c).ok());
  ASSERT_TRUE(e->CreatePayloadIndex(1, "c", "g", pb::INTEGER).ok());
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

  std::atomic<bool> stop{false};
  std::atomic<int> errors{0};
  std::atomic<long> searches{0}, writes{0};
  auto searcher = [&](int seed) {
    std::mt19937 rng(seed);
    while (!stop) {
      SearchParams sp;
      sp.vector = d.train[rng() % d.train.size()];
      sp.k = 10;
      if (rng() % 2) sp.filter = *ParseFilter(R"({"must":[{"key":"g","match":{"value":1}}]})");
      sp.with_payload = rng() % 2;
      auto r = e->Search(1, "c", sp);
      if (!r.ok() || r->size() != 10) ++errors;
      if (sp.filter)
        for (const auto& h : *r)
          if (!h.payload && sp.with_payload) ++errors;
      auto n = e->Count(1, "c", sp.filter.get());
      if (!n.ok()) ++errors;
      ++searches;
    }
  };
  auto writer = [&](int seed) {
    std::mt19937 rng(seed);
    while (!stop) {
      uint64_t id = 1000 + rng() % 3000;
      PointInput p;
      p.id = PointId::Num(id);
      p.vector = d.train[id];
      p.payload = {{"g", id % 4}};
      switch (rng() % 4) {
        case 0:
        case 1:
          if (!e->Upsert(1, "c", {p}, Durability::kApplied).ok()) ++errors;
          break;
        case 2: {
          PointSelector sel;
          sel.ids = {p.id};
          if (!e->Delete(1, "c", sel, Durability::kApplied).ok()) ++errors;
          break;
        }
        case 3: {
          PointSelector sel;
          sel.ids = {p.id};
          if (!e->SetPayload(1, "c", sel, {{"touched", true}}, false, Durability::kApplied).ok()) ++errors;
          break;
        }
      }
      ++writes;
    }
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

  // Afterwards the index agrees with storage: every live point is found by its own vector.
  ASSERT_TRUE(*e->WaitIndexed(1, "c", 60000));
  ScrollParams sp;
  sp.limit = 10000;
  sp.with_vector = true;
  auto page = e->Scroll(1, "c", sp);
  ASSERT_TRUE(page.ok());
  size_t missing = 0;
  for (const auto& r : page->points) {
    SearchParams q;
    q.vector = *r.vector;
    q.k = 1;
    q.filter = *ParseFilter(R"({"must":[{"has_id":[)" + r.id.ToString() + "]}]}");
    auto hits = e->Search(1, "c", q);
    if (hits->empty() || (*hits)[0].id != r.id) ++missing;
  }
  EXPECT_EQ(missing, 0u);
  auto info = e->GetCollectionInfo(1, "c");
  EXPECT_EQ(info->indexed_vectors, info->points);
}

}  // namespace
}  // namespace govector
