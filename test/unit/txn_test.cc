// Transaction overlays (engine/txn_session.h, txn_overlay.h): a transaction's tentative writes are validated
// as committed ones, visible to its own reads and to no one else's, merged into searches, counts, scrolls and
// gets, undone with their subtransactions and discarded with the transaction. Checked directly on sessions,
// against a model of what the transaction should see, and through the RPC layer (server/rpc_txn.h); each
// with the overlay in memory, spilled from the first point on, and spilled part way (txn_spill_test.cc checks
// the spilling itself).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "engine/engine.h"
#include "engine/txn_session.h"
#include "server/rpc_txn.h"
#include "test_util.h"

namespace govector {
namespace {

using testing::TempDir;

constexpr uint32_t kNs = 5;

std::shared_ptr<const Filter> F(const std::string& json) {
  auto f = ParseFilter(json);
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  return f.ok() ? *f : nullptr;
}

PointInput P(uint64_t id, std::vector<float> v, Json payload = Json::object()) {
  PointInput p;
  p.id = PointId::Num(id);
  p.vector = std::move(v);
  p.payload = std::move(payload);
  return p;
}

std::vector<uint64_t> Ids(const std::vector<Record>& rs) {
  std::vector<uint64_t> out;
  for (const auto& r : rs) out.push_back(r.id.num());
  return out;
}

std::vector<uint64_t> Ids(const std::vector<ScoredPoint>& rs) {
  std::vector<uint64_t> out;
  for (const auto& r : rs) out.push_back(r.id.num());
  return out;
}

// A page's next id as text ("none" for the last page).
std::string NextText(const ScrollPage& page) { return page.next ? page.next->ToString() : "none"; }

// The parameter: EngineOptions::txn_spill_bytes.
class TxnTest : public ::testing::TestWithParam<size_t> {
 public:
  void SetUp() override {
    EngineOptions o;
    o.data_dir = dir_.path();
    o.map_size = size_t{1} << 30;
    o.background_indexing = false;
    o.txn_spill_bytes = GetParam();
    auto e = Engine::Open(o);
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    engine_ = std::move(e).value();
    CollectionConfig c;
    c.name = "c";
    c.dimension = 2;
    c.distance = Distance::kEuclid;
    ASSERT_TRUE(engine_->CreateCollection(kNs, c).ok());
    // Committed: points 1..5 on a line, x = id.
    std::vector<PointInput> base;
    for (uint64_t i = 1; i <= 5; ++i) base.push_back(P(i, {float(i), 0}, {{"g", i % 2}, {"n", i}}));
    ASSERT_TRUE(engine_->Upsert(kNs, "c", base, Durability::kApplied).ok());
    a_ = std::make_unique<TxnSession>(engine_.get());
    b_ = std::make_unique<TxnSession>(engine_.get());
  }

  // Starts a request of session s inside transaction `token`.
  static void In(TxnSession& s, RequestKind kind, uint64_t token, uint32_t subxact = 1,
                 std::vector<uint32_t> aborted = {}) {
    RequestContext ctx;
    ctx.kind = kind;
    TxnContext t;
    t.token = token;
    t.subxact = subxact;
    t.aborted_subxacts = std::move(aborted);
    t.tentative = kind == RequestKind::kPointWrite || kind == RequestKind::kCollectionWrite;
    ctx.txn = t;
    Status st = s.Begin(ctx);
    ASSERT_TRUE(st.ok()) << st.ToString();
  }
  static void Plain(TxnSession& s) { ASSERT_TRUE(s.Begin(RequestContext()).ok()); }

  Result<WriteResult> Up(TxnSession& s, uint64_t token, std::vector<PointInput> points, uint32_t subxact = 1,
                         std::vector<uint32_t> aborted = {}, const std::string& name = "c") {
    In(s, RequestKind::kPointWrite, token, subxact, std::move(aborted));
    return s.Upsert(kNs, name, std::move(points), Durability::kApplied);
  }
  std::vector<uint64_t> All(TxnSession& s, uint64_t token, const std::string& name = "c") {
    In(s, RequestKind::kRead, token);
    ScrollParams sp;
    sp.limit = 1000;
    auto page = s.Scroll(kNs, name, sp);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    return page.ok() ? Ids(page->points) : std::vector<uint64_t>();
  }
  Result<std::vector<ScoredPoint>> Near(TxnSession& s, uint64_t token, std::vector<float> q, uint32_t k,
                                        std::shared_ptr<const Filter> filter = nullptr) {
    In(s, RequestKind::kRead, token);
    SearchParams sp;
    sp.vector = std::move(q);
    sp.k = k;
    sp.filter = std::move(filter);
    sp.with_payload = true;
    return s.Search(kNs, "c", sp);
  }
  uint64_t CountIn(TxnSession& s, uint64_t token, const Filter* filter = nullptr) {
    In(s, RequestKind::kRead, token);
    auto n = s.Count(kNs, "c", filter);
    EXPECT_TRUE(n.ok()) << n.status().ToString();
    return n.ok() ? *n : 0;
  }

 protected:
  TempDir dir_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<TxnSession> a_, b_;
};

TEST_P(TxnTest, OwnWritesAreSeenByTheTransactionOnly) {
  auto w = Up(*a_, 7, {P(9, {9, 0}, {{"new", true}}), P(2, {2, 1}, {{"replaced", true}})});
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(w->count, 2u);
  EXPECT_EQ(a_->reserved_version(), w->version);
  auto before = engine_->Get(kNs, "c", {PointId::Num(2)}, false, false);
  ASSERT_EQ(before->size(), 1u);
  EXPECT_GT(w->version, (*before)[0].version);
  EXPECT_EQ(All(*a_, 7), (std::vector<uint64_t>{1, 2, 3, 4, 5, 9}));
  In(*a_, RequestKind::kRead, 7);
  auto got = a_->Get(kNs, "c", {PointId::Num(2), PointId::Num(9), PointId::Num(2), PointId::Num(77)}, true, true);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(Ids(*got), (std::vector<uint64_t>{2, 9}));
  EXPECT_EQ((*got)[0].payload->value("replaced", false), true);
  EXPECT_EQ(*(*got)[0].vector, (std::vector<float>{2, 1}));
  EXPECT_EQ((*got)[0].version, w->version);
  // Another connection, in a transaction of its own or not, and committed state: unchanged.
  EXPECT_EQ(All(*b_, 8), (std::vector<uint64_t>{1, 2, 3, 4, 5}));
  Plain(*b_);
  EXPECT_EQ(*b_->Count(kNs, "c", nullptr), 5u);
  EXPECT_EQ(*engine_->Count(kNs, "c", nullptr), 5u);
  auto committed = engine_->Get(kNs, "c", {PointId::Num(2)}, true, false);
  ASSERT_EQ(Ids(*committed), (std::vector<uint64_t>{2}));
  EXPECT_FALSE((*committed)[0].payload->contains("replaced"));
}

TEST_P(TxnTest, TentativeWritesAreValidatedAsCommittedOnes) {
  auto check = [&](auto tentative, auto committed) {
    In(*a_, RequestKind::kPointWrite, 7);
    Status t = tentative();
    Status c = committed();
    EXPECT_FALSE(t.ok());
    EXPECT_EQ(t.code(), c.code());
    EXPECT_EQ(t.message(), c.message());
    EXPECT_EQ(a_->reserved_version(), 0u);
  };
  auto upsert_both = [&](std::vector<PointInput> pts, const std::string& name = "c") {
    check([&] { return a_->Upsert(kNs, name, pts, Durability::kApplied).status(); },
          [&] { return engine_->Upsert(kNs, name, pts, Durability::kApplied).status(); });
  };
  upsert_both({P(1, {1, 2, 3})});
  upsert_both({P(1, {1, NAN})});
  upsert_both({P(1, {1, 1})}, "nope");
  upsert_both({});
  Json deep = Json::object();
  for (int i = 0; i < 70; ++i) deep = Json{{"d", deep}};
  upsert_both({P(1, {1, 1}, deep)});
  PointSelector sel;
  sel.ids = {PointId::Num(1)};
  check([&] { return a_->SetPayload(kNs, "c", sel, Json::array(), false, Durability::kApplied).status(); },
        [&] { return engine_->SetPayload(kNs, "c", sel, Json::array(), false, Durability::kApplied).status(); });
  CollectionConfig dup;
  dup.name = "c";
  dup.dimension = 2;
  check([&] { return a_->CreateCollection(kNs, dup); }, [&] { return engine_->CreateCollection(kNs, dup); });
  dup.dimension = 0;
  dup.name = "fresh";
  check([&] { return a_->CreateCollection(kNs, dup); }, [&] { return engine_->CreateCollection(kNs, dup); });
  check([&] { return a_->CreatePayloadIndex(kNs, "c", "g", static_cast<PayloadIndexType>(0)); },
        [&] { return engine_->CreatePayloadIndex(kNs, "c", "g", static_cast<PayloadIndexType>(0)); });
  // A batch with one bad point leaves nothing behind.
  In(*a_, RequestKind::kPointWrite, 7);
  EXPECT_FALSE(a_->Upsert(kNs, "c", {P(10, {1, 1}), P(11, {1})}, Durability::kApplied).ok());
  EXPECT_EQ(CountIn(*a_, 7), 5u);
  // A write outside tentative mode inside a transaction is refused.
  RequestContext ctx;
  ctx.kind = RequestKind::kPointWrite;
  ctx.txn = TxnContext{7, 1, {}, false};
  EXPECT_EQ(a_->Begin(ctx).code(), StatusCode::kInvalidArgument);
}

TEST_P(TxnTest, CosineVectorsAreKeptAsWrittenAndScoredNormalised) {
  // The same points in a transaction's overlay (collection "cos") and committed (collection "cos2").
  for (const char* name : {"cos", "cos2"}) {
    CollectionConfig c;
    c.name = name;
    c.dimension = 2;
    ASSERT_TRUE(engine_->CreateCollection(kNs, c).ok());
  }
  std::vector<PointInput> points = {P(1, {3, 4}), P(2, {-5, 0.5f})};
  ASSERT_TRUE(Up(*a_, 7, points, 1, {}, "cos").ok());
  ASSERT_TRUE(engine_->Upsert(kNs, "cos2", points, Durability::kApplied).ok());
  for (const char* name : {"cos", "cos2"}) {
    SCOPED_TRACE(name);
    In(*a_, RequestKind::kRead, 7);
    auto got = a_->Get(kNs, name, {PointId::Num(1)}, false, true);
    ASSERT_TRUE(got.ok());
    ASSERT_EQ(got->size(), 1u);
    EXPECT_EQ(*(*got)[0].vector, (std::vector<float>{3, 4}));
    In(*a_, RequestKind::kRead, 7);
    SearchParams sp;
    sp.vector = {6, 8};
    sp.k = 2;
    sp.with_vector = true;
    auto hits = a_->Search(kNs, name, sp);
    ASSERT_TRUE(hits.ok());
    ASSERT_EQ(hits->size(), 2u);
    EXPECT_EQ((*hits)[0].id, PointId::Num(1));
    EXPECT_NEAR((*hits)[0].score, 1.0f, 1e-5);
    EXPECT_EQ(*(*hits)[0].vector, (std::vector<float>{3, 4}));
    // By id: the stored vector, normalised, is the query.
    In(*a_, RequestKind::kRead, 7);
    SearchParams by_id;
    by_id.by_id = PointId::Num(2);
    by_id.k = 1;
    auto near = a_->Search(kNs, name, by_id);
    ASSERT_TRUE(near.ok());
    ASSERT_EQ(near->size(), 1u);
    EXPECT_NEAR((*near)[0].score, (3 * -5 + 4 * 0.5) / (5 * std::sqrt(25.25)), 1e-5);
  }
}

TEST_P(TxnTest, SearchMergesTheOverlayIntoCommittedResults) {
  // Point 1 (committed nearest to the origin) moves far away; 2 is deleted; 20 is new near the origin.
  ASSERT_TRUE(Up(*a_, 7, {P(1, {100, 0}, {{"g", 1}}), P(20, {0.5f, 0}, {{"g", 0}})}).ok());
  In(*a_, RequestKind::kPointWrite, 7);
  PointSelector del;
  del.ids = {PointId::Num(2)};
  ASSERT_EQ(a_->Delete(kNs, "c", del, Durability::kApplied)->count, 1u);

  auto hits = Near(*a_, 7, {0, 0}, 3);
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  ASSERT_EQ(Ids(*hits), (std::vector<uint64_t>{20, 3, 4}));
  EXPECT_NEAR((*hits)[0].score, 0.5f, 1e-5);
  // k larger than what committed state has left beneath the overlay: never under-fills.
  hits = Near(*a_, 7, {0, 0}, 5);
  EXPECT_EQ(Ids(*hits), (std::vector<uint64_t>{20, 3, 4, 5, 1}));
  // Filters see the overlay's payloads: g = 1 is 1 (moved, now last), 3 and 5.
  hits = Near(*a_, 7, {0, 0}, 3, F(R"({"must":[{"key":"g","match":{"value":1}}]})"));
  EXPECT_EQ(Ids(*hits), (std::vector<uint64_t>{3, 5, 1}));
  // Offset and threshold over the merged ranking.
  In(*a_, RequestKind::kRead, 7);
  SearchParams sp;
  sp.vector = {0, 0};
  sp.k = 2;
  sp.offset = 1;
  sp.score_threshold = 4.5f;
  hits = a_->Search(kNs, "c", sp);
  EXPECT_EQ(Ids(*hits), (std::vector<uint64_t>{3, 4}));
  // The other connection's search is committed state.
  hits = Near(*b_, 8, {0, 0}, 2);
  EXPECT_EQ(Ids(*hits), (std::vector<uint64_t>{1, 2}));
}

TEST_P(TxnTest, SearchByIdUsesTheVectorTheTransactionSees) {
  ASSERT_TRUE(Up(*a_, 7, {P(30, {4.9f, 0}), P(1, {3.1f, 0})}).ok());
  In(*a_, RequestKind::kRead, 7);
  SearchParams sp;
  sp.k = 2;
  sp.by_id = PointId::Num(30);  // the transaction's own point: 5 and the moved 1 are nearest
  auto hits = a_->Search(kNs, "c", sp);
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  EXPECT_EQ(Ids(*hits), (std::vector<uint64_t>{5, 4}));
  sp.by_id = PointId::Num(1);  // moved by the transaction to 3.1
  hits = a_->Search(kNs, "c", sp);
  EXPECT_EQ(Ids(*hits), (std::vector<uint64_t>{3, 4}));
  sp.by_id = PointId::Num(2);  // committed, untouched: its neighbours include the moved 1
  hits = a_->Search(kNs, "c", sp);
  EXPECT_EQ(Ids(*hits), (std::vector<uint64_t>{3, 1}));
  In(*a_, RequestKind::kPointWrite, 7);
  PointSelector del;
  del.ids = {PointId::Num(2)};
  ASSERT_TRUE(a_->Delete(kNs, "c", del, Durability::kApplied).ok());
  In(*a_, RequestKind::kRead, 7);
  auto gone = a_->Search(kNs, "c", sp);
  EXPECT_EQ(gone.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(gone.status().message(), "No point with id 2 found");
  EXPECT_EQ(gone.status().subject(), SubjectKind::kPoint);
  EXPECT_EQ(gone.status().subject_name(), "2");
}

TEST_P(TxnTest, ScrollKeepsIdOrderAndPages) {
  ASSERT_TRUE(Up(*a_, 7, {P(0, {0, 0}, {{"g", 1}}), P(3, {3, 3}, {{"g", 0}}), P(7, {7, 0}, {{"g", 1}})}).ok());
  In(*a_, RequestKind::kPointWrite, 7);
  PointSelector del;
  del.ids = {PointId::Num(4)};
  ASSERT_TRUE(a_->Delete(kNs, "c", del, Durability::kApplied).ok());
  EXPECT_EQ(All(*a_, 7), (std::vector<uint64_t>{0, 1, 2, 3, 5, 7}));
  // Pages of two, each starting at the previous page's next id.
  std::vector<uint64_t> seen;
  ScrollParams sp;
  sp.limit = 2;
  while (true) {
    In(*a_, RequestKind::kRead, 7);
    auto page = a_->Scroll(kNs, "c", sp);
    ASSERT_TRUE(page.ok());
    ASSERT_LE(page->points.size(), 2u);
    for (auto id : Ids(page->points)) seen.push_back(id);
    if (!page->next) break;
    sp.start = page->next;
  }
  EXPECT_EQ(seen, (std::vector<uint64_t>{0, 1, 2, 3, 5, 7}));
  // A filter on the payloads the transaction sees (3 no longer has g = 1, 0 and 7 do).
  In(*a_, RequestKind::kRead, 7);
  ScrollParams fp;
  fp.limit = 10;
  fp.filter = F(R"({"must":[{"key":"g","match":{"value":1}}]})");
  EXPECT_EQ(Ids(a_->Scroll(kNs, "c", fp)->points), (std::vector<uint64_t>{0, 1, 5, 7}));
  fp.start = PointId::Num(2);
  fp.limit = 1;
  auto page = a_->Scroll(kNs, "c", fp);
  EXPECT_EQ(Ids(page->points), (std::vector<uint64_t>{5}));
  ASSERT_TRUE(page->next);
  EXPECT_EQ(page->next->num(), 7u);
}

// A scroll's offset and exclusive `after`, and a search's offset and MMR, over the merged view: each answer
// is the one a committed collection holding exactly what the transaction sees gives.
TEST_P(TxnTest, OffsetMmrAndAfterAgreeWithACommittedCopy) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> coord(0, 10);
  auto random_point = [&](uint64_t id) { return P(id, {coord(rng), coord(rng)}, {{"g", int(rng() % 2)}}); };
  std::vector<PointInput> committed;
  for (uint64_t i = 6; i <= 80; ++i) committed.push_back(random_point(i));
  ASSERT_TRUE(engine_->Upsert(kNs, "c", committed, Durability::kApplied).ok());
  std::vector<PointInput> own;
  for (uint64_t i : {3, 10, 40, 200, 201, 202, 203, 204, 205, 206, 207, 208}) own.push_back(random_point(i));
  ASSERT_TRUE(Up(*a_, 21, own).ok());
  In(*a_, RequestKind::kPointWrite, 21);
  PointSelector del;
  del.ids = {PointId::Num(7), PointId::Num(8), PointId::Num(50)};
  ASSERT_TRUE(a_->Delete(kNs, "c", del, Durability::kApplied).ok());

  // The copy: every point as the transaction sees it, committed in collection "m".
  In(*a_, RequestKind::kRead, 21);
  ScrollParams everything;
  everything.limit = 1000;
  everything.with_vector = true;
  auto seen = a_->Scroll(kNs, "c", everything);
  ASSERT_TRUE(seen.ok()) << seen.status().ToString();
  std::vector<PointInput> copy;
  for (const Record& r : seen->points) copy.push_back(P(r.id.num(), *r.vector, *r.payload));
  CollectionConfig m = *engine_->GetConfig(kNs, "c");
  m.name = "m";
  ASSERT_TRUE(engine_->CreateCollection(kNs, m).ok());
  ASSERT_TRUE(engine_->Upsert(kNs, "m", copy, Durability::kApplied).ok());

  auto num = [](uint64_t n) { return std::optional<PointId>(PointId::Num(n)); };
  struct ScrollCase {
    std::optional<PointId> start, after;
    uint32_t offset, limit;
    bool odd;
  };
  const std::vector<ScrollCase> scrolls = {
      {std::nullopt, num(5), 0, 7, false},     {std::nullopt, num(7), 3, 10, false},
      {num(100), num(50), 2, 5, false},        {std::nullopt, std::nullopt, 30, 40, false},
      {std::nullopt, num(201), 0, 100, false}, {std::nullopt, num(3), 4, 6, true},
      {num(9), std::nullopt, 60, 5, true}};
  for (const ScrollCase& c : scrolls) {
    ScrollParams sp;
    sp.start = c.start;
    sp.after = c.after;
    sp.offset = c.offset;
    sp.limit = c.limit;
    if (c.odd) sp.filter = F(R"({"must":[{"key":"g","match":{"value":1}}]})");
    In(*a_, RequestKind::kRead, 21);
    auto mine = a_->Scroll(kNs, "c", sp);
    auto expected = engine_->Scroll(kNs, "m", sp);
    ASSERT_TRUE(mine.ok() && expected.ok()) << mine.status().ToString();
    EXPECT_EQ(Ids(mine->points), Ids(expected->points)) << "offset " << c.offset << " limit " << c.limit;
    EXPECT_EQ(NextText(*mine), NextText(*expected)) << "offset " << c.offset << " limit " << c.limit;
  }

  for (uint32_t offset : {0u, 3u, 12u}) {
    for (bool mmr : {false, true}) {
      SearchParams sp;
      sp.vector = {3.3f, 1.7f};
      sp.k = 6;
      sp.offset = offset;
      sp.exact = true;
      if (mmr) sp.mmr = MmrParams{0.6, 25};
      In(*a_, RequestKind::kRead, 21);
      auto mine = a_->Search(kNs, "c", sp);
      auto expected = engine_->Search(kNs, "m", sp);
      ASSERT_TRUE(mine.ok() && expected.ok()) << mine.status().ToString();
      ASSERT_EQ(Ids(*mine), Ids(*expected)) << "offset " << offset << " mmr " << mmr;
      for (size_t i = 0; i < mine->size(); ++i) EXPECT_NEAR((*mine)[i].score, (*expected)[i].score, 1e-4);
    }
  }
}

TEST_P(TxnTest, CountAdjustsForTheOverlay) {
  ASSERT_TRUE(Up(*a_, 7, {P(1, {1, 0}, {{"g", 0}}), P(10, {1, 0}, {{"g", 1}}), P(11, {1, 0}, {{"g", 0}})}).ok());
  In(*a_, RequestKind::kPointWrite, 7);
  PointSelector del;
  del.ids = {PointId::Num(3), PointId::Num(99)};
  EXPECT_EQ(a_->Delete(kNs, "c", del, Durability::kApplied)->count, 1u);
  EXPECT_EQ(CountIn(*a_, 7), 6u);  // 1,2,4,5 committed + 10, 11
  auto g1 = F(R"({"must":[{"key":"g","match":{"value":1}}]})");
  EXPECT_EQ(CountIn(*a_, 7, g1.get()), 2u);  // 5 and 10 (1 moved to g = 0, 3 deleted)
  EXPECT_EQ(CountIn(*b_, 8, g1.get()), 3u);
}

TEST_P(TxnTest, FilterWritesTakeEffectOnWhatMatchesNow) {
  // 6 and 7 are the transaction's own points with g = 1; committed 1, 3, 5 have g = 1.
  ASSERT_TRUE(Up(*a_, 7, {P(6, {6, 0}, {{"g", 1}}), P(7, {7, 0}, {{"g", 1}}), P(3, {3, 0}, {{"g", 0}})}).ok());
  In(*a_, RequestKind::kPointWrite, 7);
  PointSelector sel;
  sel.filter = F(R"({"must":[{"key":"g","match":{"value":1}}]})");
  auto w = a_->SetPayload(kNs, "c", sel, {{"hit", true}}, false, Durability::kApplied);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(w->count, 4u);  // 1, 5, 6, 7
  In(*a_, RequestKind::kRead, 7);
  auto hit = F(R"({"must":[{"key":"hit","match":{"value":true}}]})");
  ScrollParams sp;
  sp.filter = hit;
  sp.limit = 10;
  auto page = a_->Scroll(kNs, "c", sp);
  ASSERT_EQ(Ids(page->points), (std::vector<uint64_t>{1, 5, 6, 7}));
  EXPECT_EQ(page->points[0].payload->value("n", 0), 1);  // merged into the committed payload
  In(*a_, RequestKind::kPointWrite, 7);
  w = a_->Delete(kNs, "c", sel, Durability::kApplied);
  EXPECT_EQ(w->count, 4u);
  EXPECT_EQ(All(*a_, 7), (std::vector<uint64_t>{2, 3, 4}));
  // Payload keys and clearing, by id.
  In(*a_, RequestKind::kPointWrite, 7);
  PointSelector two;
  two.ids = {PointId::Num(2), PointId::Num(4)};
  EXPECT_EQ(a_->DeletePayloadKeys(kNs, "c", two, {"n"}, Durability::kApplied)->count, 2u);
  In(*a_, RequestKind::kPointWrite, 7);
  PointSelector three;
  three.ids = {PointId::Num(3)};
  EXPECT_EQ(a_->ClearPayload(kNs, "c", three, Durability::kApplied)->count, 1u);
  In(*a_, RequestKind::kRead, 7);
  auto got = a_->Get(kNs, "c", {PointId::Num(2), PointId::Num(3)}, true, true);
  ASSERT_EQ(Ids(*got), (std::vector<uint64_t>{2, 3}));
  EXPECT_EQ((*got)[0].payload->dump(), R"({"g":0})");
  EXPECT_EQ((*got)[1].payload->dump(), "{}");
  EXPECT_EQ(*(*got)[0].vector, (std::vector<float>{2, 0}));  // the committed vector kept
}

TEST_P(TxnTest, VectorOnlyUpdatesKeepThePayloadTheTransactionSees) {
  ASSERT_TRUE(Up(*a_, 7, {P(2, {2, 0}, {{"mine", 1}})}).ok());
  PointInput keep2 = P(2, {2, 2});
  keep2.keep_payload = true;
  PointInput keep4 = P(4, {4, 4});
  keep4.keep_payload = true;
  PointInput keep40 = P(40, {4, 4});
  keep40.keep_payload = true;
  ASSERT_TRUE(Up(*a_, 7, {keep2, keep4, keep40}).ok());
  In(*a_, RequestKind::kRead, 7);
  auto got = a_->Get(kNs, "c", {PointId::Num(2), PointId::Num(4), PointId::Num(40)}, true, true);
  ASSERT_EQ(Ids(*got), (std::vector<uint64_t>{2, 4, 40}));
  EXPECT_EQ((*got)[0].payload->dump(), R"({"mine":1})");
  EXPECT_EQ((*got)[1].payload->dump(), R"({"g":0,"n":4})");
  EXPECT_EQ((*got)[2].payload->dump(), "{}");
  EXPECT_EQ(*(*got)[0].vector, (std::vector<float>{2, 2}));
}

TEST_P(TxnTest, SubtransactionsUndoTheirChanges) {
  // Top level (1): 1 moves. Savepoint (2): 10 appears, 1 moves again. Nested (3): 1 is deleted.
  ASSERT_TRUE(Up(*a_, 7, {P(1, {1, 1})}, 1).ok());
  ASSERT_TRUE(Up(*a_, 7, {P(10, {10, 0}), P(1, {1, 2})}, 2).ok());
  In(*a_, RequestKind::kPointWrite, 7, 3);
  PointSelector del;
  del.ids = {PointId::Num(1)};
  ASSERT_TRUE(a_->Delete(kNs, "c", del, Durability::kApplied).ok());
  EXPECT_EQ(All(*a_, 7), (std::vector<uint64_t>{2, 3, 4, 5, 10}));
  // ROLLBACK TO the nested savepoint: 1 is back as subtransaction 2 left it.
  In(*a_, RequestKind::kRead, 7, 4, {3});
  auto got = a_->Get(kNs, "c", {PointId::Num(1)}, false, true);
  ASSERT_EQ(Ids(*got), (std::vector<uint64_t>{1}));
  EXPECT_EQ(*(*got)[0].vector, (std::vector<float>{1, 2}));
  // ROLLBACK TO the outer one: as the top level left it.
  In(*a_, RequestKind::kRead, 7, 5, {2});
  got = a_->Get(kNs, "c", {PointId::Num(1), PointId::Num(10)}, false, true);
  ASSERT_EQ(Ids(*got), (std::vector<uint64_t>{1}));
  EXPECT_EQ(*(*got)[0].vector, (std::vector<float>{1, 1}));
}

TEST_P(TxnTest, ReleasedSubtransactionsGoWithTheirParent) {
  // Savepoint p (2), savepoint q (3): 11 written in q; RELEASE q; 12 written in p; ROLLBACK TO p.
  ASSERT_TRUE(Up(*a_, 7, {P(10, {0, 1})}, 1).ok());
  ASSERT_TRUE(Up(*a_, 7, {P(11, {0, 2})}, 3).ok());
  ASSERT_TRUE(Up(*a_, 7, {P(12, {0, 3}), P(10, {0, 9})}, 2).ok());
  EXPECT_EQ(All(*a_, 7), (std::vector<uint64_t>{1, 2, 3, 4, 5, 10, 11, 12}));
  ASSERT_TRUE(Up(*a_, 7, {P(13, {0, 4})}, 4, {2}).ok());  // the next write, in p's new subtransaction
  EXPECT_EQ(All(*a_, 7), (std::vector<uint64_t>{1, 2, 3, 4, 5, 10, 13}));
  In(*a_, RequestKind::kRead, 7);
  auto got = a_->Get(kNs, "c", {PointId::Num(10)}, false, true);
  ASSERT_EQ(Ids(*got), (std::vector<uint64_t>{10}));
  EXPECT_EQ(*(*got)[0].vector, (std::vector<float>{0, 1}));
}

TEST_P(TxnTest, AnotherTokenOrNoContextDiscardsTheOverlay) {
  ASSERT_TRUE(Up(*a_, 7, {P(10, {0, 1})}).ok());
  EXPECT_EQ(All(*a_, 8), (std::vector<uint64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(All(*a_, 7), (std::vector<uint64_t>{1, 2, 3, 4, 5}));  // gone for good, not parked
  ASSERT_TRUE(Up(*a_, 9, {P(10, {0, 1})}).ok());
  Plain(*a_);
  EXPECT_EQ(*a_->Count(kNs, "c", nullptr), 5u);
  EXPECT_EQ(All(*a_, 9), (std::vector<uint64_t>{1, 2, 3, 4, 5}));
}

TEST_P(TxnTest, CollectionsCreatedAndDroppedInTheTransaction) {
  In(*a_, RequestKind::kCollectionWrite, 7);
  CollectionConfig n;
  n.name = "fresh";
  n.dimension = 2;
  n.distance = Distance::kEuclid;
  ASSERT_TRUE(a_->CreateCollection(kNs, n).ok());
  EXPECT_EQ(a_->reserved_version(), 0u);
  ASSERT_TRUE(Up(*a_, 7, {P(1, {1, 0}), P(2, {2, 0})}, 1, {}, "fresh").ok());
  In(*a_, RequestKind::kRead, 7);
  SearchParams sp;
  sp.vector = {1.8f, 0};
  sp.k = 5;
  EXPECT_EQ(Ids(*a_->Search(kNs, "fresh", sp)), (std::vector<uint64_t>{2, 1}));
  EXPECT_EQ(All(*a_, 7, "fresh"), (std::vector<uint64_t>{1, 2}));
  auto listed = a_->ListCollections(kNs);
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[1].config.name, "fresh");
  EXPECT_EQ(listed[1].points, 2u);
  // Nobody else sees it, and a second create in the transaction is a duplicate.
  In(*b_, RequestKind::kRead, 8);
  EXPECT_EQ(b_->ListCollections(kNs).size(), 1u);
  EXPECT_EQ(b_->Count(kNs, "fresh", nullptr).status().code(), StatusCode::kNotFound);
  In(*a_, RequestKind::kCollectionWrite, 7);
  EXPECT_EQ(a_->CreateCollection(kNs, n).code(), StatusCode::kAlreadyExists);

  // Dropping the committed one: gone for the transaction (and its own writes to it with it).
  ASSERT_TRUE(Up(*a_, 7, {P(10, {0, 1})}).ok());
  In(*a_, RequestKind::kCollectionWrite, 7, 2);
  EXPECT_EQ(*a_->DropCollection(kNs, "c"), true);
  In(*a_, RequestKind::kRead, 7, 2);
  EXPECT_EQ(a_->Count(kNs, "c", nullptr).status().message(), "Collection `c` doesn't exist!");
  EXPECT_EQ(a_->Count(kNs, "c", nullptr).status().subject(), SubjectKind::kCollection);
  EXPECT_EQ(a_->ListCollections(kNs).size(), 1u);
  In(*a_, RequestKind::kCollectionWrite, 7, 2);
  EXPECT_EQ(*a_->DropCollection(kNs, "c"), false);
  // ... and created again with another dimension: empty, nothing committed beneath.
  n.name = "c";
  n.dimension = 3;
  ASSERT_TRUE(a_->CreateCollection(kNs, n).ok());
  EXPECT_EQ(All(*a_, 7), (std::vector<uint64_t>{}));
  EXPECT_EQ(engine_->GetCollectionInfo(kNs, "c")->config.dimension, 2u);
  // Rolling the savepoint back brings the committed collection and the transaction's point 10 back.
  EXPECT_EQ(All(*b_, 8), (std::vector<uint64_t>{1, 2, 3, 4, 5}));
  In(*a_, RequestKind::kRead, 7, 3, {2});
  EXPECT_EQ(All(*a_, 7), (std::vector<uint64_t>{1, 2, 3, 4, 5, 10}));
}

TEST_P(TxnTest, PayloadIndexesCreatedInTheTransaction) {
  In(*a_, RequestKind::kCollectionWrite, 7);
  ASSERT_TRUE(a_->CreatePayloadIndex(kNs, "c", "g", PayloadIndexType::kInteger).ok());
  ASSERT_TRUE(a_->CreatePayloadIndex(kNs, "c", "g", PayloadIndexType::kInteger).ok());  // the same again: no change
  Status other = a_->CreatePayloadIndex(kNs, "c", "g", PayloadIndexType::kKeyword);
  EXPECT_EQ(other.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(other.message(), "field \"g\" already has a integer index");
  ASSERT_TRUE(Up(*a_, 7, {P(10, {0, 1}, {{"g", 3}})}).ok());
  In(*a_, RequestKind::kRead, 7);
  auto info = a_->GetCollectionInfo(kNs, "c");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->points, 6u);
  ASSERT_EQ(info->payload_indexes.size(), 1u);
  EXPECT_EQ(info->payload_indexes[0].field, "g");
  EXPECT_EQ(info->payload_indexes[0].points, 6u);
  EXPECT_TRUE(engine_->GetCollectionInfo(kNs, "c")->payload_indexes.empty());
}

// Random tentative writes, savepoints, releases and rollbacks on one transaction, mirrored on a model of what
// the transaction must see; after each write its scroll, count and exact search agree with the model.
class ModelRun {
 public:
  ModelRun(TxnTest* test, TxnSession* s) : test_(test), s_(s) {
    for (uint64_t i = 1; i <= 5; ++i) model_[i] = {{float(i), 0}, {{"g", i % 2}, {"n", i}}};
  }
  // Committed points 6..119, in model and engine.
  std::vector<PointInput> MorePoints() {
    std::vector<PointInput> more;
    for (uint64_t i = 6; i < 120; ++i) {
      model_[i] = {{float(i % 17), float(i % 5)}, {{"g", i % 3}}};
      more.push_back(P(i, model_[i].v, model_[i].payload));
    }
    return more;
  }
  // One step; false when it was a savepoint operation (nothing sent).
  bool Step(int step) {
    int op = Rnd(10);
    if (op <= 2) return Savepoint(op);
    TxnTest::In(*s_, RequestKind::kPointWrite, 7, sub_, aborted_);
    aborted_.clear();
    if (op <= 5) {
      Upsert(step);
    } else if (op == 6) {
      PointSelector sel;
      sel.ids = {PointId::Num(100 + Rnd(60)), PointId::Num(Rnd(120))};
      EXPECT_TRUE(s_->Delete(kNs, "c", sel, Durability::kApplied).ok());
      for (auto& id : sel.ids) model_.erase(id.num());
    } else if (op == 7 && Rnd(3) == 0) {
      int v = Rnd(3);
      PointSelector sel;
      sel.filter = G(v);
      EXPECT_TRUE(s_->Delete(kNs, "c", sel, Durability::kApplied).ok());
      for (auto it = model_.begin(); it != model_.end();)
        it = it->second.payload.value("g", -1) == v ? model_.erase(it) : std::next(it);
    } else {
      PointSelector sel;
      sel.ids = {PointId::Num(Rnd(160)), PointId::Num(Rnd(160))};
      Json set = {{"g", Rnd(3)}, {"set", step}};
      EXPECT_TRUE(s_->SetPayload(kNs, "c", sel, set, false, Durability::kApplied).ok());
      for (auto& id : sel.ids)
        if (model_.count(id.num()))
          for (auto& [k, v] : set.items()) model_[id.num()].payload[k] = v;
    }
    return true;
  }
  void Compare(int step) {
    std::vector<uint64_t> all;
    for (auto& [id, p] : model_) all.push_back(id);
    ASSERT_EQ(test_->All(*s_, 7), all) << "step " << step;
    int v = Rnd(3);
    std::vector<float> q = {float(Rnd(20)), float(Rnd(20))};
    std::vector<float> ranked;
    for (auto& [id, p] : model_)
      if (p.payload.value("g", -1) == v) ranked.push_back(std::sqrt(L2Sqr(q.data(), p.v.data(), 2)));
    std::sort(ranked.begin(), ranked.end());
    ASSERT_EQ(test_->CountIn(*s_, 7, G(v).get()), ranked.size()) << "step " << step;
    TxnTest::In(*s_, RequestKind::kRead, 7);
    SearchParams sp;
    sp.vector = q;
    sp.k = 4;
    sp.exact = true;
    sp.filter = G(v);
    auto hits = s_->Search(kNs, "c", sp);
    ASSERT_TRUE(hits.ok());
    ASSERT_EQ(hits->size(), std::min<size_t>(4, ranked.size())) << "step " << step;
    for (size_t i = 0; i < hits->size(); ++i)
      ASSERT_NEAR((*hits)[i].score, ranked[i], 1e-4) << "step " << step << " rank " << i;
  }

 private:
  struct Pt {
    std::vector<float> v;
    Json payload;
  };
  using Model = std::map<uint64_t, Pt>;

  int Rnd(int n) { return static_cast<int>(rng_() % n); }
  static std::shared_ptr<const Filter> G(int v) {
    return F(R"({"must":[{"key":"g","match":{"value":)" + std::to_string(v) + "}}]}");
  }
  // SAVEPOINT, RELEASE or ROLLBACK TO the innermost savepoint (which stays, with a new number).
  bool Savepoint(int op) {
    if (op == 0 && savepoints_.size() < 4) {
      savepoints_.emplace_back(next_sub_, model_);
      sub_ = next_sub_++;
    } else if (op == 1 && !savepoints_.empty()) {
      savepoints_.pop_back();
      sub_ = savepoints_.empty() ? 1 : savepoints_.back().first;
    } else if (op == 2 && !savepoints_.empty()) {
      aborted_.push_back(savepoints_.back().first);
      model_ = savepoints_.back().second;
      savepoints_.back().first = sub_ = next_sub_++;
    }
    return false;
  }
  void Upsert(int step) {
    std::vector<PointInput> pts;
    for (int i = Rnd(4); i >= 0; --i) {
      PointInput p = P(100 + Rnd(60), {float(Rnd(20)), float(Rnd(20))}, {{"g", Rnd(3)}, {"s", step}});
      p.keep_payload = Rnd(4) == 0;
      pts.push_back(p);
    }
    EXPECT_TRUE(s_->Upsert(kNs, "c", pts, Durability::kApplied).ok());
    // The last occurrence of an id wins; a kept payload is the one from before the batch.
    const Model before = model_;
    for (auto& p : pts) {
      auto it = before.find(p.id.num());
      Json kept = it != before.end() ? it->second.payload : Json::object();
      model_[p.id.num()] = {p.vector, p.keep_payload ? kept : p.payload};
    }
  }

  TxnTest* test_;
  TxnSession* s_;
  Model model_;
  std::mt19937 rng_{11};
  std::vector<std::pair<uint32_t, Model>> savepoints_;  // subxact, model when it began
  uint32_t sub_ = 1, next_sub_ = 2;
  std::vector<uint32_t> aborted_;
};

TEST_P(TxnTest, ReadsAgreeWithAModelOfTheTransaction) {
  ModelRun run(this, a_.get());
  ASSERT_TRUE(engine_->Upsert(kNs, "c", run.MorePoints(), Durability::kApplied).ok());
  for (int step = 0; step < 300; ++step) {
    if (!run.Step(step)) continue;
    ASSERT_NO_FATAL_FAILURE(run.Compare(step));
  }
  // Committed state never moved.
  EXPECT_EQ(*engine_->Count(kNs, "c", nullptr), 119u);
}

// Backends with transactions of their own while an apply worker replays their committed writes: each
// transaction sees exactly its own points over committed state that moves under it, nobody sees another's,
// and every committed write ends in committed state with the version it reserved.
class Pipeline {
 public:
  explicit Pipeline(Engine* engine) : engine_(engine) {}

  // One backend: 40 transactions of 5 points each, a quarter of them rolled back.
  void Backend(int who) {
    TxnSession s(engine_);
    std::mt19937 rng(who);
    auto mine = F(R"({"must":[{"key":"who","match":{"value":)" + std::to_string(who) + "}}]}");
    for (int t = 0; t < 40; ++t) {
      uint64_t token = uint64_t(who) << 32 | uint64_t(t + 1);
      std::vector<PointInput> pts;
      for (int j = 0; j < 5; ++j)
        pts.push_back(P(1000 + who * 1000 + t * 10 + j, {float(rng() % 7), float(rng() % 11), float(j), 1},
                        {{"who", who}, {"t", t}}));
      if (!s.Begin(Txn(RequestKind::kPointWrite, token)).ok()) Fail("begin write");
      auto w = s.Upsert(kNs, "c", pts, Durability::kApplied);
      if (!w.ok() || !s.End(w.status()).ok()) Fail("upsert: " + w.status().ToString());
      if (!s.Begin(Txn(RequestKind::kRead, token)).ok()) Fail("begin read");
      // Its own earlier, committed transactions and this one's five; never another backend's.
      auto n = s.Count(kNs, "c", mine.get());
      if (!n.ok() || *n < 5 || *n > uint64_t(5 * (t + 1))) Fail("count in transaction " + std::to_string(t));
      SearchParams sp;
      sp.vector = pts[0].vector;
      sp.k = 5;
      sp.filter = F(R"({"must":[{"key":"t","match":{"value":)" + std::to_string(t) +
                    R"(}},{"key":"who","match":{"value":)" + std::to_string(who) + "}}]}");
      auto hits = s.Search(kNs, "c", sp);
      if (!hits.ok() || hits->size() != 5) Fail("search: " + hits.status().ToString());
      for (const auto& h : hits.ok() ? *hits : std::vector<ScoredPoint>())
        if (h.version != w->version) Fail("hit " + h.id.ToString());
      if (rng() % 4 == 0) continue;  // rolled back: never reaches the worker
      std::lock_guard<std::mutex> l(mu_);
      queue_.push_back({pts, w->version});
      cv_.notify_all();
    }
  }
  // The apply worker: each committed transaction in turn, one write each.
  void Worker() {
    TxnSession s(engine_);
    uint64_t lsn = 100;
    while (true) {
      Committed next;
      {
        std::unique_lock<std::mutex> l(mu_);
        cv_.wait(l, [&] { return done_ || !queue_.empty(); });
        if (queue_.empty()) return;
        next = std::move(queue_.front());
        queue_.pop_front();
        applied_.push_back(next);
      }
      RequestContext a;
      a.kind = RequestKind::kPointWrite;
      lsn += 10;
      a.apply = ApplyStamp{next.version, {lsn, 0, true, lsn}};
      if (!s.Begin(a).ok()) Fail("begin apply");
      Status st = s.Upsert(kNs, "c", next.points, Durability::kApplied).status();
      if (!st.ok() || !s.End(st).ok() || s.skipped()) Fail("apply: " + st.ToString());
    }
  }
  void Finish() {
    std::lock_guard<std::mutex> l(mu_);
    done_ = true;
    cv_.notify_all();
  }
  void Check() {
    EXPECT_EQ(errors_, 0) << "first: " << first_error_;
    for (const auto& w : applied_) {
      std::vector<PointId> ids;
      for (const auto& p : w.points) ids.push_back(p.id);
      auto got = engine_->Get(kNs, "c", ids, false, false);
      ASSERT_EQ(got->size(), ids.size());
      for (const auto& r : *got) EXPECT_EQ(r.version, w.version);
    }
    EXPECT_EQ(*engine_->Count(kNs, "c", nullptr), 300 + 5 * applied_.size());
    EXPECT_EQ(engine_->GetApplyState(0)->commit_lsn, 100 + 10 * applied_.size());
  }

 private:
  struct Committed {
    std::vector<PointInput> points;
    uint64_t version = 0;
  };
  static RequestContext Txn(RequestKind kind, uint64_t token) {
    RequestContext ctx;
    ctx.kind = kind;
    ctx.txn = TxnContext{token, 1, {}, kind == RequestKind::kPointWrite};
    return ctx;
  }
  void Fail(const std::string& what) {
    std::lock_guard<std::mutex> l(mu_);
    if (errors_++ == 0) first_error_ = what;
  }

  Engine* engine_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Committed> queue_;
  std::vector<Committed> applied_;
  bool done_ = false;
  int errors_ = 0;
  std::string first_error_;
};

TEST(TxnConcurrency, TransactionsAndTheApplyWorkerTogether) {
  TempDir dir;
  EngineOptions o;
  o.data_dir = dir.path();
  o.map_size = size_t{1} << 30;
  o.sync_interval_ms = 20;
  auto opened = Engine::Open(o);
  ASSERT_TRUE(opened.ok());
  std::unique_ptr<Engine> engine = std::move(opened).value();
  CollectionConfig c;
  c.name = "c";
  c.dimension = 4;
  c.distance = Distance::kEuclid;
  ASSERT_TRUE(engine->CreateCollection(kNs, c).ok());
  std::vector<PointInput> base;
  for (uint64_t i = 0; i < 300; ++i) base.push_back(P(i, {float(i % 7), float(i % 11), 0, 1}, {{"who", -1}}));
  ASSERT_TRUE(engine->Upsert(kNs, "c", base, Durability::kApplied).ok());
  Pipeline pipeline(engine.get());
  std::thread worker([&] { pipeline.Worker(); });
  std::vector<std::thread> backends;
  for (int who = 0; who < 3; ++who) backends.emplace_back([&, who] { pipeline.Backend(who); });
  for (auto& b : backends) b.join();
  pipeline.Finish();
  worker.join();
  pipeline.Check();
}

// ---------------------------------------------------------------------------------------------------------
// Through the RPC layer

pb::Request TxnRequest(uint64_t token, uint32_t subxact, bool tentative) {
  pb::Request r;
  r.set_namespace_id(kNs);
  r.mutable_txn()->set_token(token);
  r.mutable_txn()->set_subxact(subxact);
  r.mutable_txn()->set_tentative(tentative);
  return r;
}

TEST_P(TxnTest, RpcAnswersCarryTheReservedVersion) {
  RpcHandler shared(engine_.get(), [] { return nlohmann::json::object(); });
  RpcConnection conn(shared), other(shared);
  pb::Request up = TxnRequest(42, 1, true);
  auto* p = up.mutable_upsert();
  p->set_collection("c");
  for (uint64_t id : {10, 11, 12}) {
    auto* in = p->add_points();
    in->set_id(std::to_string(id));
    in->add_vector(float(id));
    in->add_vector(0);
  }
  pb::Response resp;
  conn.Handle(up, &resp);
  ASSERT_EQ(resp.code(), 0) << resp.message();
  EXPECT_GT(resp.version(), 0u);
  EXPECT_EQ(resp.count(), resp.version());  // as the committed path answers an upsert
  // A failed tentative write: the same error as committed, and no version.
  pb::Request bad = up;
  bad.mutable_upsert()->mutable_points(0)->add_vector(1);
  pb::Response bad_resp;
  conn.Handle(bad, &bad_resp);
  EXPECT_EQ(bad_resp.code(), static_cast<int>(StatusCode::kInvalidArgument));
  EXPECT_EQ(bad_resp.message(), "point 10: Vector dimension error: expected dim: 2, got 3");
  EXPECT_EQ(bad_resp.version(), 0u);
  // Scroll after 4, in the transaction: its own points follow the committed ones, `after` exclusive.
  pb::Request scroll = TxnRequest(42, 1, false);
  scroll.mutable_scroll()->set_collection("c");
  scroll.mutable_scroll()->set_limit(3);
  scroll.mutable_scroll()->set_after("4");
  scroll.mutable_scroll()->set_has_after(true);
  pb::Response page;
  conn.Handle(scroll, &page);
  ASSERT_EQ(page.records_size(), 3);
  EXPECT_EQ(page.records(0).id(), "5");
  EXPECT_EQ(page.records(1).id(), "10");
  EXPECT_EQ(page.records(2).id(), "11");
  EXPECT_EQ(page.records(1).version(), resp.version());
  // The other connection sees committed state; a request without context on this one ends the overlay.
  pb::Request count;
  count.set_namespace_id(kNs);
  count.mutable_count()->set_collection("c");
  pb::Response n;
  other.Handle(count, &n);
  EXPECT_EQ(n.count(), 5u);
  *count.mutable_txn() = scroll.txn();
  n.Clear();
  conn.Handle(count, &n);
  EXPECT_EQ(n.count(), 8u);
  count.clear_txn();
  n.Clear();
  conn.Handle(count, &n);
  EXPECT_EQ(n.count(), 5u);
}

// In memory (the default threshold), everything spilled, and a few points' worth in memory (each point of
// these tests takes some 200 bytes there) before the rest spills.
INSTANTIATE_TEST_SUITE_P(Overlay, TxnTest, ::testing::Values(EngineOptions().txn_spill_bytes, 0, 1000),
                         [](const ::testing::TestParamInfo<size_t>& p) {
                           return p.index == 0 ? std::string("InMemory")
                                               : p.index == 1 ? std::string("AllSpilled") : std::string("PartlySpilled");
                         });

}  // namespace
}  // namespace govector
