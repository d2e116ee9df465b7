// Transaction overlays (engine/txn_session.h, txn_overlay.h): a transaction's tentative writes are validated
// as committed ones, visible to its own reads and to no one else's, merged into searches, counts, scrolls and
// gets, undone with their subtransactions and discarded with the transaction. Checked directly on sessions,
// against a model of what the transaction should see, and through the RPC layer (server/rpc_txn.h).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

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

class TxnTest : public ::testing::Test {
 protected:
  void SetUp() override {
    EngineOptions o;
    o.data_dir = dir_.path();
    o.map_size = size_t{1} << 30;
    o.background_indexing = false;
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

  TempDir dir_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<TxnSession> a_, b_;
};

TEST_F(TxnTest, OwnWritesAreSeenByTheTransactionOnly) {
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

TEST_F(TxnTest, TentativeWritesAreValidatedAsCommittedOnes) {
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
  check([&] { return a_->CreatePayloadIndex(kNs, "c", "g", pb::PAYLOAD_INDEX_UNSPECIFIED); },
        [&] { return engine_->CreatePayloadIndex(kNs, "c", "g", pb::PAYLOAD_INDEX_UNSPECIFIED); });
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

TEST_F(TxnTest, CosineVectorsAreNormalisedAsStored) {
  CollectionConfig c;
  c.name = "cos";
  c.dimension = 2;
  ASSERT_TRUE(engine_->CreateCollection(kNs, c).ok());
  ASSERT_TRUE(Up(*a_, 7, {P(1, {3, 4})}, 1, {}, "cos").ok());
  In(*a_, RequestKind::kRead, 7);
  auto got = a_->Get(kNs, "cos", {PointId::Num(1)}, false, true);
  ASSERT_EQ(got->size(), 1u);
  EXPECT_NEAR((*got)[0].vector->at(0), 0.6f, 1e-6);
  EXPECT_NEAR((*got)[0].vector->at(1), 0.8f, 1e-6);
  SearchParams sp;
  sp.vector = {6, 8};
  sp.k = 1;
  auto hits = a_->Search(kNs, "cos", sp);
  ASSERT_TRUE(hits.ok());
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_NEAR((*hits)[0].score, 1.0f, 1e-5);
}

TEST_F(TxnTest, SearchMergesTheOverlayIntoCommittedResults) {
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

TEST_F(TxnTest, SearchByIdUsesTheVectorTheTransactionSees) {
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
}

TEST_F(TxnTest, ScrollKeepsIdOrderAndPages) {
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

TEST_F(TxnTest, CountAdjustsForTheOverlay) {
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

TEST_F(TxnTest, FilterWritesTakeEffectOnWhatMatchesNow) {
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

TEST_F(TxnTest, VectorOnlyUpdatesKeepThePayloadTheTransactionSees) {
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

TEST_F(TxnTest, SubtransactionsUndoTheirChanges) {
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

TEST_F(TxnTest, ReleasedSubtransactionsGoWithTheirParent) {
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

TEST_F(TxnTest, AnotherTokenOrNoContextDiscardsTheOverlay) {
  ASSERT_TRUE(Up(*a_, 7, {P(10, {0, 1})}).ok());
  EXPECT_EQ(All(*a_, 8), (std::vector<uint64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(All(*a_, 7), (std::vector<uint64_t>{1, 2, 3, 4, 5}));  // gone for good, not parked
  ASSERT_TRUE(Up(*a_, 9, {P(10, {0, 1})}).ok());
  Plain(*a_);
  EXPECT_EQ(*a_->Count(kNs, "c", nullptr), 5u);
  EXPECT_EQ(All(*a_, 9), (std::vector<uint64_t>{1, 2, 3, 4, 5}));
}

TEST_F(TxnTest, CollectionsCreatedAndDroppedInTheTransaction) {
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
  EXPECT_EQ(listed[1].meta.name(), "fresh");
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
  EXPECT_EQ(a_->ListCollections(kNs).size(), 1u);
  In(*a_, RequestKind::kCollectionWrite, 7, 2);
  EXPECT_EQ(*a_->DropCollection(kNs, "c"), false);
  // ... and created again with another dimension: empty, nothing committed beneath.
  n.name = "c";
  n.dimension = 3;
  ASSERT_TRUE(a_->CreateCollection(kNs, n).ok());
  EXPECT_EQ(All(*a_, 7), (std::vector<uint64_t>{}));
  EXPECT_EQ(engine_->GetCollectionInfo(kNs, "c")->meta.dimension(), 2u);
  // Rolling the savepoint back brings the committed collection and the transaction's point 10 back.
  EXPECT_EQ(All(*b_, 8), (std::vector<uint64_t>{1, 2, 3, 4, 5}));
  In(*a_, RequestKind::kRead, 7, 3, {2});
  EXPECT_EQ(All(*a_, 7), (std::vector<uint64_t>{1, 2, 3, 4, 5, 10}));
}

TEST_F(TxnTest, PayloadIndexesCreatedInTheTransaction) {
  In(*a_, RequestKind::kCollectionWrite, 7);
  ASSERT_TRUE(a_->CreatePayloadIndex(kNs, "c", "g", pb::INTEGER).ok());
  ASSERT_TRUE(a_->CreatePayloadIndex(kNs, "c", "g", pb::INTEGER).ok());  // the same again: no change
  Status other = a_->CreatePayloadIndex(kNs, "c", "g", pb::KEYWORD);
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

// Random tentative writes (with savepoints, releases and rollbacks) against a model of what the transaction
// must see: after each step, its get, count, scroll and exact search agree with the model.
TEST_F(TxnTest, ReadsAgreeWithAModelOfTheTransaction) {
  struct Pt {
    std::vector<float> v;
    Json payload;
  };
  using Model = std::map<uint64_t, Pt>;
  Model model;
  for (uint64_t i = 1; i <= 5; ++i) model[i] = {{float(i), 0}, {{"g", i % 2}, {"n", i}}};
  std::vector<PointInput> more;
  for (uint64_t i = 6; i < 120; ++i) {
    model[i] = {{float(i % 17), float(i % 5)}, {{"g", i % 3}}};
    more.push_back(P(i, model[i].v, model[i].payload));
  }
  ASSERT_TRUE(engine_->Upsert(kNs, "c", more, Durability::kApplied).ok());
  std::mt19937 rng(11);
  auto rnd = [&](int n) { return static_cast<int>(rng() % n); };
  std::vector<std::pair<uint32_t, Model>> savepoints;  // subxact, model when it began
  uint32_t sub = 1, next_sub = 2;
  std::vector<uint32_t> aborted;
  auto g = [&](int v) { return F(R"({"must":[{"key":"g","match":{"value":)" + std::to_string(v) + "}}]}"); };

  for (int step = 0; step < 300; ++step) {
    int op = rnd(10);
    if (op == 0 && savepoints.size() < 4) {  // SAVEPOINT
      savepoints.emplace_back(next_sub, model);
      sub = next_sub++;
      continue;
    }
    if (op == 1 && !savepoints.empty()) {  // RELEASE the innermost
      savepoints.pop_back();
      sub = savepoints.empty() ? 1 : savepoints.back().first;
      continue;
    }
    if (op == 2 && !savepoints.empty()) {  // ROLLBACK TO the innermost (it stays, with a new number)
      aborted.push_back(savepoints.back().first);
      model = savepoints.back().second;
      savepoints.back().first = sub = next_sub++;
      continue;
    }
    In(*a_, RequestKind::kPointWrite, 7, sub, aborted);
    aborted.clear();
    PointSelector sel;
    if (op <= 5) {
      std::vector<PointInput> pts;
      for (int i = rnd(4); i >= 0; --i) {
        uint64_t id = 100 + rnd(60);
        PointInput p = P(id, {float(rnd(20)), float(rnd(20))}, {{"g", rnd(3)}, {"s", step}});
        p.keep_payload = rnd(4) == 0;
        pts.push_back(p);
      }
      ASSERT_TRUE(a_->Upsert(kNs, "c", pts, Durability::kApplied).ok());
      // The last occurrence of an id wins; a kept payload is the one from before the batch.
      const Model before = model;
      for (auto& p : pts) {
        auto it = before.find(p.id.num());
        Json kept = it != before.end() ? it->second.payload : Json::object();
        model[p.id.num()] = {p.vector, p.keep_payload ? kept : p.payload};
      }
    } else if (op == 6) {
      sel.ids = {PointId::Num(100 + rnd(60)), PointId::Num(rnd(120))};
      ASSERT_TRUE(a_->Delete(kNs, "c", sel, Durability::kApplied).ok());
      for (auto& id : sel.ids) model.erase(id.num());
    } else if (op == 7 && rnd(3) == 0) {
      int v = rnd(3);
      sel.filter = g(v);
      ASSERT_TRUE(a_->Delete(kNs, "c", sel, Durability::kApplied).ok());
      for (auto it = model.begin(); it != model.end();)
        it = it->second.payload.value("g", -1) == v ? model.erase(it) : std::next(it);
    } else {
      sel.ids = {PointId::Num(rnd(160)), PointId::Num(rnd(160))};
      Json set = {{"g", rnd(3)}, {"set", step}};
      ASSERT_TRUE(a_->SetPayload(kNs, "c", sel, set, false, Durability::kApplied).ok());
      for (auto& id : sel.ids)
        if (model.count(id.num()))
          for (auto& [k, v] : set.items()) model[id.num()].payload[k] = v;
    }

    // Reads, compared with the model.
    std::vector<uint64_t> expect_all;
    for (auto& [id, p] : model) expect_all.push_back(id);
    ASSERT_EQ(All(*a_, 7), expect_all) << "step " << step;
    int v = rnd(3);
    uint64_t expect_count = 0;
    for (auto& [id, p] : model) expect_count += p.payload.value("g", -1) == v;
    ASSERT_EQ(CountIn(*a_, 7, g(v).get()), expect_count) << "step " << step;
    std::vector<float> q = {float(rnd(20)), float(rnd(20))};
    std::vector<std::pair<float, uint64_t>> ranked;
    for (auto& [id, p] : model)
      if (p.payload.value("g", -1) == v) ranked.emplace_back(L2Sqr(q.data(), p.v.data(), 2), id);
    std::sort(ranked.begin(), ranked.end());
    In(*a_, RequestKind::kRead, 7);
    SearchParams sp;
    sp.vector = q;
    sp.k = 4;
    sp.exact = true;
    sp.filter = g(v);
    auto hits = a_->Search(kNs, "c", sp);
    ASSERT_TRUE(hits.ok());
    ASSERT_EQ(hits->size(), std::min<size_t>(4, ranked.size())) << "step " << step;
    for (size_t i = 0; i < hits->size(); ++i)
      ASSERT_NEAR((*hits)[i].score, std::sqrt(ranked[i].first), 1e-4) << "step " << step << " rank " << i;
  }
  // Committed state never moved.
  EXPECT_EQ(*engine_->Count(kNs, "c", nullptr), 119u);
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

TEST_F(TxnTest, RpcAnswersCarryTheReservedVersion) {
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

}  // namespace
}  // namespace govector
