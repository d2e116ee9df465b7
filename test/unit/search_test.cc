// Search: scores and order per distance, options (MMR among them), deleted and updated points, filters that
// never under-fill, and recall against brute force on Fashion-MNIST (Euclid) and a clustered synthetic set (cosine).
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <set>

#include "engine/distance.h"
#include "engine/engine.h"
#include "engine/mmr.h"
#include "test_util.h"

namespace govector {
namespace {

using testing::Bucket;
using testing::BruteForce;
using testing::Config;
using testing::Dataset;
using testing::ParsedFilter;
using testing::Point;
using testing::TempDir;
using testing::ValueOf;

// The engine, or null (and a failed test) when it does not open: callers assert it is there.
std::unique_ptr<Engine> OpenEngine(const std::string& dir, bool background = false,
                                   size_t full_scan_threshold_bytes = EngineOptions().full_scan_threshold_bytes) {
  EngineOptions o;
  o.data_dir = dir;
  o.map_size = size_t{8} << 30;
  o.background_indexing = background;
  o.full_scan_threshold_bytes = full_scan_threshold_bytes;
  return ValueOf(Engine::Open(o));
}

TEST(Search, ScoresAndOrderFollowQdrant) {
  TempDir dir;
  auto e = OpenEngine(dir.path());
  ASSERT_TRUE(e);
  struct Case {
    Distance d;
    std::vector<float> expected;  // scores for points 1, 2, 3 against query (1, 0), best first
    std::vector<uint64_t> order;
  };
  // Points: 1 = (2, 0), 2 = (1, 1), 3 = (-1, 0.5); query (1, 0).
  std::vector<Case> cases = {
      {Distance::kCosine, {1.0f, 1.0f / std::sqrt(2.0f), -1.0f / std::sqrt(1.25f)}, {1, 2, 3}},
      {Distance::kDot, {2.0f, 1.0f, -1.0f}, {1, 2, 3}},
      {Distance::kEuclid, {1.0f, 1.0f, std::sqrt(4.25f)}, {1, 2, 3}},
      {Distance::kManhattan, {1.0f, 1.0f, 2.5f}, {1, 2, 3}},
  };
  for (IndexKind index : {IndexKind::kHnsw, IndexKind::kFlat}) {
    for (const auto& c : cases) {
      std::string name = std::string(DistanceName(c.d)) + IndexKindName(index);
      ASSERT_TRUE(e->CreateCollection(1, Config(name, 2, c.d, index)).ok());
      ASSERT_TRUE(
          e->Upsert(1, name, {Point(1, {2, 0}), Point(2, {1, 1}), Point(3, {-1, 0.5})}, Durability::kApplied).ok());
      for (bool exact : {false, true}) {
        SearchParams sp;
        sp.vector = {1, 0};
        sp.k = 3;
        sp.exact = exact;
        auto hits = e->Search(1, name, sp);
        ASSERT_TRUE(hits.ok()) << hits.status().ToString();
        ASSERT_EQ(hits->size(), 3u) << name;
        std::vector<float> scores;
        for (auto& h : *hits) scores.push_back(h.score);
        // Ties (equal scores) may come in either order; compare the sorted score lists and the last id.
        for (size_t i = 0; i < 3; ++i) EXPECT_NEAR(scores[i], c.expected[i], 1e-5) << name << " rank " << i;
        EXPECT_EQ((*hits)[2].id.num(), c.order[2]) << name;
      }
    }
  }
}

TEST(Search, OptionsOffsetThresholdPayloadVectorById) {
  TempDir dir;
  auto e = OpenEngine(dir.path());
  ASSERT_TRUE(e);
  ASSERT_TRUE(e->CreateCollection(1, Config("c", 2, Distance::kEuclid)).ok());
  std::vector<PointInput> pts;
  for (uint64_t i = 0; i < 20; ++i) pts.push_back(Point(i, {float(i), 0}, {{"i", i}}));
  ASSERT_TRUE(e->Upsert(1, "c", pts, Durability::kApplied).ok());

  SearchParams sp;
  sp.vector = {0, 0};
  sp.k = 3;
  sp.offset = 2;
  auto hits = e->Search(1, "c", sp);
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  ASSERT_EQ(hits->size(), 3u);
  EXPECT_EQ((*hits)[0].id.num(), 2u);
  EXPECT_EQ((*hits)[2].id.num(), 4u);
  EXPECT_FALSE((*hits)[0].payload);
  EXPECT_FALSE((*hits)[0].vector);

  sp = SearchParams();
  sp.vector = {0, 0};
  sp.k = 10;
  sp.score_threshold = 3.5f;  // Euclid: keep distance < 3.5
  sp.with_payload = true;
  sp.with_vector = true;
  hits = e->Search(1, "c", sp);
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  ASSERT_EQ(hits->size(), 4u);
  EXPECT_EQ((*hits)[3].payload->at("i"), 3);
  EXPECT_EQ(*(*hits)[3].vector, (std::vector<float>{3, 0}));

  sp = SearchParams();
  sp.by_id = PointId::Num(10);
  sp.k = 2;
  hits = e->Search(1, "c", sp);
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  ASSERT_EQ(hits->size(), 2u);
  std::set<uint64_t> ids = {(*hits)[0].id.num(), (*hits)[1].id.num()};
  EXPECT_EQ(ids, (std::set<uint64_t>{9, 11}));  // the point itself is not returned

  sp.by_id = PointId::Num(12345);
  EXPECT_EQ(e->Search(1, "c", sp).status().code(), StatusCode::kNotFound);
  sp = SearchParams();
  sp.vector = {0, 0};
  for (uint32_t bad_k : {0u, 10001u}) {
    sp.k = bad_k;
    auto r = e->Search(1, "c", sp);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  }
  sp.k = 1;
  sp.vector = {0, 0, 0};
  EXPECT_NE(e->Search(1, "c", sp).status().message().find("expected dim: 2, got 3"), std::string::npos);
  sp.vector = {NAN, 0};
  EXPECT_EQ(e->Search(1, "c", sp).status().code(), StatusCode::kInvalidArgument);
  sp.vector = {0, 0};
  EXPECT_EQ(e->Search(1, "missing", sp).status().code(), StatusCode::kNotFound);
}

std::vector<uint64_t> HitIds(const std::vector<ScoredPoint>& hits) {
  std::vector<uint64_t> ids;
  for (const auto& h : hits) ids.push_back(h.id.num());
  return ids;
}

// Maximal marginal relevance: with high diversity the runner-up that nearly repeats the best is passed over,
// the offset is skipped in MMR's order, and the vectors MMR reads are returned only when asked for.
TEST(Search, MmrPrefersDiverseHits) {
  TempDir dir;
  auto e = OpenEngine(dir.path());
  ASSERT_TRUE(e);
  for (IndexKind index : {IndexKind::kHnsw, IndexKind::kFlat}) {
    const std::string name = index == IndexKind::kHnsw ? "hnsw" : "flat";
    SCOPED_TRACE(name);
    ASSERT_TRUE(e->CreateCollection(1, Config(name, 2, Distance::kCosine, index)).ok());
    ASSERT_TRUE(
        e->Upsert(1, name, {Point(1, {1, 0}), Point(2, {0.99f, 0.01f}), Point(3, {0.7f, 0.7f})}, Durability::kApplied)
            .ok());
    SearchParams sp;
    sp.vector = {1, 0};
    sp.k = 2;
    EXPECT_EQ(HitIds(ValueOf(e->Search(1, name, sp))), (std::vector<uint64_t>{1, 2}));
    sp.mmr = MmrParams{0.9, 3};
    auto hits = ValueOf(e->Search(1, name, sp));
    ASSERT_EQ(HitIds(hits), (std::vector<uint64_t>{1, 3}));
    EXPECT_FALSE(hits[0].vector);
    EXPECT_NEAR(hits[1].score, std::sqrt(0.5), 1e-3);  // the relevance score, not MMR's value
    sp.k = 1;
    sp.offset = 1;
    sp.with_vector = true;
    hits = ValueOf(e->Search(1, name, sp));
    ASSERT_EQ(HitIds(hits), (std::vector<uint64_t>{3}));
    EXPECT_TRUE(hits[0].vector);
    sp = SearchParams();
    sp.vector = {1, 0};
    sp.k = 2;
    sp.mmr = MmrParams{0, 0};  // no diversity: by relevance alone
    EXPECT_EQ(HitIds(ValueOf(e->Search(1, name, sp))), (std::vector<uint64_t>{1, 2}));

    for (double diversity : {-0.1, 1.5, double(NAN)}) {
      sp.mmr = MmrParams{diversity, 0};
      EXPECT_EQ(e->Search(1, name, sp).status().code(), StatusCode::kInvalidArgument) << diversity;
    }
    sp.mmr = MmrParams{0.5, kMaxK + 1};
    EXPECT_EQ(e->Search(1, name, sp).status().message(),
              "mmr draws from at most 10000 candidates (the larger of its candidates and k + offset), got 10001");
    sp.mmr = MmrParams{0.5, 0};
    sp.k = kMaxK;
    sp.offset = 1;
    EXPECT_EQ(e->Search(1, name, sp).status().code(), StatusCode::kInvalidArgument);
  }
}

// A cosine collection keeps vectors as written; MMR compares their directions. Point 2 repeats point 1's
// direction at a hundredth of its length: by raw dot product it would look unlike 1 and be picked second.
TEST(Search, MmrComparesCosineDirectionsNotLengths) {
  TempDir dir;
  auto e = OpenEngine(dir.path());
  ASSERT_TRUE(e);
  ASSERT_TRUE(e->CreateCollection(1, Config("c", 2, Distance::kCosine, IndexKind::kFlat)).ok());
  ASSERT_TRUE(e->Upsert(1, "c", {Point(1, {1, 0}), Point(2, {0.01f, 0.0001f}), Point(3, {0.6f, 0.8f})},
                        Durability::kApplied)
                  .ok());
  SearchParams sp;
  sp.vector = {1, 0};
  sp.k = 2;
  sp.mmr = MmrParams{0.9, 3};
  sp.with_vector = true;
  auto hits = ValueOf(e->Search(1, "c", sp));
  ASSERT_EQ(HitIds(hits), (std::vector<uint64_t>{1, 3}));
  EXPECT_EQ(*hits[1].vector, (std::vector<float>{0.6f, 0.8f}));  // as written
}

// MmrSelect against MMR's rule written out plainly (each candidate's similarity to every pick worked out
// again in every round), on random vectors: the same picks in the same order.
TEST(Search, MmrSelectFollowsTheRule) {
  std::mt19937 rng(5);
  std::normal_distribution<float> gauss;
  for (Distance d : {Distance::kCosine, Distance::kEuclid, Distance::kDot, Distance::kManhattan}) {
    std::vector<float> query(8);
    for (float& x : query) x = gauss(rng);
    if (d == Distance::kCosine) NormalizeInPlace(query.data(), query.size());
    std::vector<ScoredPoint> cands(60);
    for (size_t i = 0; i < cands.size(); ++i) {
      std::vector<float> v(8);
      for (float& x : v) x = gauss(rng);
      if (d == Distance::kCosine) NormalizeInPlace(v.data(), v.size());
      cands[i].id = PointId::Num(i);
      cands[i].score = ScoreFromDistance(d, InternalDistance(d, query.data(), v.data(), v.size()));
      cands[i].vector = std::move(v);
    }
    for (double diversity : {0.0, 0.3, 0.8, 1.0}) {
      const double lambda = 1 - diversity;
      std::vector<uint64_t> expected;
      std::vector<bool> used(cands.size(), false);
      for (size_t round = 0; round < 15; ++round) {
        size_t best = cands.size();
        double best_value = -INFINITY;
        for (size_t i = 0; i < cands.size(); ++i) {
          if (used[i]) continue;
          double relevance = -DistanceFromScore(d, cands[i].score), max_sim = -INFINITY;
          for (uint64_t j : expected)
            max_sim =
                std::max<double>(max_sim, -InternalDistance(d, cands[i].vector->data(), cands[j].vector->data(), 8));
          double value = expected.empty() ? relevance : lambda * relevance - (1 - lambda) * max_sim;
          if (value > best_value) {
            best_value = value;
            best = i;
          }
        }
        used[best] = true;
        expected.push_back(best);
      }
      EXPECT_EQ(HitIds(MmrSelect(cands, d, diversity, 15)), expected) << DistanceName(d) << " " << diversity;
    }
  }
}

// Deleted points are never returned; an updated point is found by its new vector only, both while the
// new vector waits for the background indexer and after it is in the graph.
TEST(Search, DeletedAndUpdatedPoints) {
  TempDir dir;
  auto e = OpenEngine(dir.path(), /*background=*/true);
  ASSERT_TRUE(e);
  ASSERT_TRUE(e->CreateCollection(1, Config("c", 8, Distance::kEuclid)).ok());
  Dataset d = testing::ClusteredSynthetic(3000, 0, 8, 20, 7);
  std::vector<PointInput> pts;
  for (uint64_t i = 0; i < d.train.size(); ++i) pts.push_back(Point(i, d.train[i]));
  ASSERT_TRUE(e->Upsert(1, "c", pts, Durability::kApplied).ok());
  for (int round = 0; round < 2; ++round) {
    // Move point i far away, then delete its nearest neighbour's id range; search at the old place.
    uint64_t moved = 100 + round;
    std::vector<float> far(8, 1000.0f + round);
    ASSERT_TRUE(e->Upsert(1, "c", {Point(moved, far)}, Durability::kApplied).ok());
    PointSelector sel;
    for (uint64_t i = 200; i < 400; ++i) sel.ids.push_back(PointId::Num(i));
    ASSERT_TRUE(e->Delete(1, "c", sel, Durability::kApplied).ok());
    if (round == 1) {
      ASSERT_TRUE(ValueOf(e->WaitIndexed(1, "c", 30000)));
    }
    for (uint64_t q = 0; q < 600; q += 7) {
      SearchParams sp;
      sp.vector = d.train[q];
      sp.k = 10;
      auto hits = e->Search(1, "c", sp);
      ASSERT_TRUE(hits.ok()) << hits.status().ToString();
      ASSERT_EQ(hits->size(), 10u);
      for (auto& h : *hits) {
        EXPECT_FALSE(h.id.num() >= 200 && h.id.num() < 400) << "deleted point returned";
        EXPECT_FALSE(h.id.num() == moved) << "moved point found at its old vector";
      }
    }
    SearchParams sp;
    sp.vector = far;
    sp.k = 1;
    auto hits = e->Search(1, "c", sp);
    ASSERT_TRUE(hits.ok()) << hits.status().ToString();
    ASSERT_EQ(hits->size(), 1u);
    EXPECT_EQ((*hits)[0].id.num(), moved);
  }
}

// The planner's exact scans on a float HNSW collection score the scan codes (SQ8) and rescore the best with
// the floats: with a filter selective enough for an exact scan, the answer is brute force's, scores
// included, before and after vectors change, and after a reopen (when the codes are rebuilt from LMDB).
TEST(Search, ExactScansScoreCodesThenFloats) {
  TempDir dir;
  for (Distance dist : {Distance::kEuclid, Distance::kCosine}) {
    std::string name = dist == Distance::kEuclid ? "euclid" : "cosine";
    Dataset d = testing::ClusteredSynthetic(4000, 40, 24, 25, 5);
    auto check = [&](Engine* e, const std::string& when) {
      for (size_t q = 0; q < d.test.size(); ++q) {
        uint32_t g = static_cast<uint32_t>(q % 50);
        SearchParams sp;
        sp.vector = d.test[q];
        sp.k = 10;
        sp.filter = ParsedFilter(R"({"must": [{"key": "g", "match": {"value": )" + std::to_string(g) + "}}]}");
        SearchPlan plan;
        auto hits = e->Search(1, name, sp, &plan);
        ASSERT_TRUE(hits.ok()) << hits.status().ToString();
        ASSERT_EQ(plan.kind, SearchPlan::Kind::kExact) << when;
        auto truth = BruteForce(d.train, d.test[q], dist, 10, [&](size_t i) { return i % 50 == g; });
        ASSERT_EQ(hits->size(), truth.size()) << when;
        std::vector<float> query = d.test[q];
        if (dist == Distance::kCosine) NormalizeInPlace(query.data(), query.size());
        for (size_t i = 0; i < truth.size(); ++i) {
          EXPECT_EQ((*hits)[i].id.num(), truth[i]) << when << ", query " << q << ", rank " << i;
          std::vector<float> v = d.train[truth[i]];
          if (dist == Distance::kCosine) NormalizeInPlace(v.data(), v.size());
          EXPECT_NEAR((*hits)[i].score, ScoreFromDistance(dist, InternalDistance(dist, query.data(), v.data(), v.size())),
                      1e-4)
              << when;
        }
      }
    };
    {
      auto e = OpenEngine(dir.path());
      ASSERT_TRUE(e);
      ASSERT_TRUE(e->CreateCollection(1, Config(name, 24, dist)).ok());
      std::vector<PointInput> pts;
      for (uint64_t i = 0; i < d.train.size(); ++i) pts.push_back(Point(i, d.train[i], {{"g", i % 50}}));
      ASSERT_TRUE(e->Upsert(1, name, pts, Durability::kApplied).ok());
      check(e.get(), "after the load");
      // Move every third point of each group elsewhere: the codes must follow the new vectors.
      std::vector<PointInput> moved;
      for (uint64_t i = 0; i < d.train.size(); i += 3) {
        d.train[i] = d.train[(i * 7 + 11) % d.train.size()];
        for (float& x : d.train[i]) x += 0.25f;
        moved.push_back(Point(i, d.train[i], {{"g", i % 50}}));
      }
      ASSERT_TRUE(e->Upsert(1, name, moved, Durability::kApplied).ok());
      check(e.get(), "after moving points");
    }
    auto e = OpenEngine(dir.path());
    ASSERT_TRUE(e);
    check(e.get(), "after a reopen");
  }
}

// A filter matching at least k points returns exactly k of them, at every selectivity, with and without a
// payload index, on a graph and on a flat collection.
TEST(Search, FilteredSearchNeverUnderfills) {
  TempDir dir;
  auto e = OpenEngine(dir.path());
  ASSERT_TRUE(e);
  Dataset d = testing::ClusteredSynthetic(6000, 0, 16, 30, 11);
  for (std::string name : {"graph", "graph_indexed", "flat"}) {
    ASSERT_TRUE(
        e->CreateCollection(1, Config(name, 16, Distance::kCosine, name == "flat" ? IndexKind::kFlat : IndexKind::kHnsw))
            .ok());
    if (name == "graph_indexed") {
      ASSERT_TRUE(e->CreatePayloadIndex(1, name, "g", PayloadIndexType::kInteger).ok());
    }
    std::vector<PointInput> pts;
    for (uint64_t i = 0; i < d.train.size(); ++i) {
      // g takes the value 0 on 1 point, 1 on 5, 2 on 10, 3 on 60, 4 on 600, and 5 on the rest.
      int g = i < 1 ? 0 : i < 6 ? 1 : i < 16 ? 2 : i < 76 ? 3 : i < 676 ? 4 : 5;
      pts.push_back(Point(i, d.train[i], {{"g", g}, {"tag", i % 2 ? "odd" : "even"}}));
    }
    ASSERT_TRUE(e->Upsert(1, name, pts, Durability::kApplied).ok());
    const size_t matches[] = {1, 5, 10, 60, 600, 6000 - 676};
    for (int g = 0; g <= 5; ++g) {
      for (size_t q = 0; q < 40; q += 3) {
        SearchParams sp;
        sp.vector = d.train[(q * 131) % d.train.size()];
        sp.k = 10;
        sp.filter = ParsedFilter(R"({"must":[{"key":"g","match":{"value":)" + std::to_string(g) + "}}]}");
        SearchPlan plan;
        auto hits = e->Search(1, name, sp, &plan);
        ASSERT_TRUE(hits.ok()) << hits.status().ToString();
        ASSERT_EQ(hits->size(), std::min<size_t>(10, matches[g])) << name << " g=" << g;
        auto allowed = [&](size_t i) {
          int gi = i < 1 ? 0 : i < 6 ? 1 : i < 16 ? 2 : i < 76 ? 3 : i < 676 ? 4 : 5;
          return gi == g;
        };
        auto truth = BruteForce(d.train, sp.vector, Distance::kCosine, 10, allowed);
        std::set<uint64_t> got;
        for (auto& h : *hits) {
          EXPECT_TRUE(allowed(h.id.num()));
          got.insert(h.id.num());
        }
        size_t hit = 0;
        for (size_t t : truth) hit += got.count(t);
        EXPECT_GE(hit, truth.size() - 1) << name << " g=" << g;  // near-exact at every selectivity
      }
    }
    // A filter matching nothing returns nothing; one combining clauses still fills.
    SearchParams sp;
    sp.vector = d.train[0];
    sp.k = 10;
    sp.filter = ParsedFilter(R"({"must":[{"key":"g","match":{"value":99}}]})");
    EXPECT_TRUE(ValueOf(e->Search(1, name, sp)).empty());
    sp.filter = ParsedFilter(R"({"must":[{"key":"g","match":{"any":[3,4]}}],"must_not":[{"key":"tag","match":{"value":"odd"}}]})");
    EXPECT_EQ(ValueOf(e->Search(1, name, sp)).size(), 10u);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Recall

struct RecallCase {
  std::string filter;                          // "" for none
  std::function<bool(size_t, size_t)> allowed;  // (train index, query index)
};

double MeasureRecall(Engine* e, const std::string& name, const Dataset& d, Distance dist, size_t queries,
                     const std::function<std::string(size_t)>& filter_for, const std::function<bool(size_t, size_t)>& allowed,
                     uint32_t ef = 0, size_t* underfilled = nullptr) {
  size_t hit = 0, total = 0;
  for (size_t q = 0; q < queries; ++q) {
    SearchParams sp;
    sp.vector = d.test[q];
    sp.k = 10;
    sp.ef = ef;
    std::string f = filter_for(q);
    if (!f.empty()) sp.filter = ParsedFilter(f);
    auto hits = e->Search(1, name, sp);
    if (!hits.ok()) {
      ADD_FAILURE() << hits.status().ToString();
      continue;
    }
    auto truth = BruteForce(d.train, d.test[q], dist, 10, [&](size_t i) { return allowed(i, q); });
    if (hits->size() < truth.size() && underfilled) ++*underfilled;
    std::set<uint64_t> got;
    for (auto& h : *hits) got.insert(h.id.num());
    for (size_t t : truth) hit += got.count(t);
    total += truth.size();
  }
  return total ? static_cast<double>(hit) / total : 1.0;
}

class RecallTest : public ::testing::Test {
 protected:
  static void Load(Engine* e, const std::string& name, const Dataset& d, Distance dist, Quantization q,
                   bool payload_index) {
    CollectionConfig c = Config(name, static_cast<uint32_t>(d.dim), dist);
    c.quantization = q;
    ASSERT_TRUE(e->CreateCollection(1, c).ok());
    if (payload_index) {
      ASSERT_TRUE(e->CreatePayloadIndex(1, name, "label", PayloadIndexType::kInteger).ok());
      ASSERT_TRUE(e->CreatePayloadIndex(1, name, "b100", PayloadIndexType::kInteger).ok());
      ASSERT_TRUE(e->CreatePayloadIndex(1, name, "b1000", PayloadIndexType::kInteger).ok());
    }
    std::vector<PointInput> pts;
    for (uint64_t i = 0; i < d.train.size(); ++i)
      pts.push_back(Point(i, d.train[i], {{"label", d.train_labels[i]}, {"b100", Bucket(i, 100)}, {"b1000", Bucket(i, 1000)}}));
    ASSERT_TRUE(e->Upsert(1, name, pts, Durability::kApplied).ok());
    ASSERT_TRUE(ValueOf(e->WaitIndexed(1, name, 600000)));
  }

  // Checks recall@10 >= 0.95 at the default ef for no filter and filters matching 10% (near and far),
  // 1% and 0.1% of the points, and that no filtered query returns fewer than the matching points allow.
  static void CheckAll(Engine* e, const std::string& label, const Dataset& d, Distance dist, size_t queries) {
    const std::string name = label.substr(0, label.find(' '));
    auto none = [](size_t) { return std::string(); };
    double r = MeasureRecall(e, name, d, dist, queries, none, [](size_t, size_t) { return true; });
    std::printf("  %-28s no filter            recall@10 %.4f\n", label.c_str(), r);
    EXPECT_GE(r, 0.95) << "unfiltered";
    struct FilterCase {
      const char* what;
      std::function<std::string(size_t)> filter;
      std::function<bool(size_t, size_t)> allowed;
    };
    std::vector<FilterCase> cases = {
        {"10% same class",
         [&](size_t q) { return R"({"must":[{"key":"label","match":{"value":)" + std::to_string(d.test_labels[q]) + "}}]}"; },
         [&](size_t i, size_t q) { return d.train_labels[i] == d.test_labels[q]; }},
        {"10% other class",
         [&](size_t q) {
           return R"({"must":[{"key":"label","match":{"value":)" + std::to_string((d.test_labels[q] + 5) % 10) + "}}]}";
         },
         [&](size_t i, size_t q) { return d.train_labels[i] == (d.test_labels[q] + 5) % 10; }},
        {"1% attribute", [&](size_t q) { return R"({"must":[{"key":"b100","match":{"value":)" + std::to_string(q % 100) + "}}]}"; },
         [&](size_t i, size_t q) { return Bucket(i, 100) == q % 100; }},
        {"0.1% attribute",
         [&](size_t q) { return R"({"must":[{"key":"b1000","match":{"value":)" + std::to_string(q % 1000) + "}}]}"; },
         [&](size_t i, size_t q) { return Bucket(i, 1000) == q % 1000; }},
    };
    for (auto& c : cases) {
      size_t under = 0;
      double rc = MeasureRecall(e, name, d, dist, queries, c.filter, c.allowed, 0, &under);
      std::printf("  %-28s %-20s recall@10 %.4f\n", label.c_str(), c.what, rc);
      EXPECT_GE(rc, 0.95) << c.what;
      EXPECT_EQ(under, 0u) << c.what;
    }
  }
};

TEST_F(RecallTest, FashionMnistEuclid) {
  TempDir dir;
  auto e = OpenEngine(dir.path(), /*background=*/true);
  ASSERT_TRUE(e);
  Dataset d = testing::LoadFashionMnist(20000, 200);
  Load(e.get(), "fmnist", d, Distance::kEuclid, Quantization::kNone, false);
  Load(e.get(), "fmnist_indexed", d, Distance::kEuclid, Quantization::kNone, true);
  CheckAll(e.get(), "fmnist", d, Distance::kEuclid, 200);
  CheckAll(e.get(), "fmnist_indexed", d, Distance::kEuclid, 200);
  // Reopen from the snapshot with no full-scan threshold: every filtered query walks the graph.
  e.reset();
  e = OpenEngine(dir.path(), true, /*full_scan_threshold_bytes=*/0);
  ASSERT_TRUE(e);
  auto info = e->GetCollectionInfo(1, "fmnist");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->indexed_vectors, d.train.size()) << "the snapshot should hold every vector";
  CheckAll(e.get(), "fmnist (graph only)", d, Distance::kEuclid, 200);
  CheckAll(e.get(), "fmnist_indexed (graph only)", d, Distance::kEuclid, 200);
  SearchParams sp;
  sp.vector = d.test[0];
  sp.filter = ParsedFilter(R"({"must":[{"key":"b100","match":{"value":3}}]})");
  SearchPlan plan;
  ASSERT_TRUE(e->Search(1, "fmnist", sp, &plan).ok());
  EXPECT_NE(plan.kind, SearchPlan::Kind::kExact);
}

TEST_F(RecallTest, ClusteredSyntheticCosine) {
  TempDir dir;
  auto e = OpenEngine(dir.path(), /*background=*/true);
  ASSERT_TRUE(e);
  Dataset d = testing::ClusteredSynthetic(20000, 200, 96, 10, 42);
  Load(e.get(), "synthetic", d, Distance::kCosine, Quantization::kNone, true);
  CheckAll(e.get(), "synthetic", d, Distance::kCosine, 200);
  e.reset();
  e = OpenEngine(dir.path(), true, /*full_scan_threshold_bytes=*/0);
  ASSERT_TRUE(e);
  CheckAll(e.get(), "synthetic (graph only)", d, Distance::kCosine, 200);
}

// SQ8: the graph holds 8-bit codes (about a quarter of the float vectors' memory) and results are rescored
// with the stored floats: recall within 0.01 of the float index at the same ef.
TEST_F(RecallTest, Sq8MatchesFloatRecall) {
  TempDir dir;
  auto e = OpenEngine(dir.path(), /*background=*/true);
  ASSERT_TRUE(e);
  Dataset d = testing::LoadFashionMnist(20000, 200);
  Load(e.get(), "float", d, Distance::kEuclid, Quantization::kNone, false);
  Load(e.get(), "sq8", d, Distance::kEuclid, Quantization::kSq8, false);
  auto none = [](size_t) { return std::string(); };
  auto all = [](size_t, size_t) { return true; };
  for (uint32_t ef : {16u, 64u}) {
    double rf = MeasureRecall(e.get(), "float", d, Distance::kEuclid, 200, none, all, ef);
    double rq = MeasureRecall(e.get(), "sq8", d, Distance::kEuclid, 200, none, all, ef);
    std::printf("  ef=%u float recall@10 %.4f, sq8 %.4f\n", ef, rf, rq);
    EXPECT_GE(rq, rf - 0.01) << "ef=" << ef;
  }
  auto fi = e->GetCollectionInfo(1, "float");
  auto qi = e->GetCollectionInfo(1, "sq8");
  ASSERT_TRUE(fi.ok()) << fi.status().ToString();
  ASSERT_TRUE(qi.ok()) << qi.status().ToString();
  double ratio = static_cast<double>(qi->vector_memory_bytes) / fi->vector_memory_bytes;
  std::printf("  sq8 vector memory %.1f%% of float; index memory %.1f%%\n", 100 * ratio,
              100.0 * qi->index_memory_bytes / fi->index_memory_bytes);
  EXPECT_LT(ratio, 0.27);
  EXPECT_LT(static_cast<double>(qi->index_memory_bytes) / fi->index_memory_bytes, 0.40);
}

}  // namespace
}  // namespace govector
