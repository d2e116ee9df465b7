// The RPC handler a Postgres backend talks to: each operation of proto/govector.proto built as a pb::Request,
// handled in process, and its pb::Response checked (code, message, counts, records, JSON documents).
#include "server/rpc_handler.h"

#include <gtest/gtest.h>

#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine_fixture.h"

namespace govector {
namespace {

constexpr uint32_t kNs = 7;
constexpr int kOk = static_cast<int>(StatusCode::kOk);
constexpr int kInvalidArgument = static_cast<int>(StatusCode::kInvalidArgument);
constexpr int kNotFound = static_cast<int>(StatusCode::kNotFound);
constexpr int kAlreadyExists = static_cast<int>(StatusCode::kAlreadyExists);
constexpr int kInvalidFilter = static_cast<int>(StatusCode::kInvalidFilter);

class RpcHandlerTest : public testing::OpenEngineTest {
 protected:
  void SetUp() override {
    OpenEngineTest::SetUp();
    if (HasFatalFailure()) return;
    handler_ = std::make_unique<RpcHandler>(engine_.get(), [this] { return status_json_(); });
  }

  pb::Response Call(const pb::Request& req) {
    pb::Response resp;
    handler_->Handle(req, &resp);
    return resp;
  }

  static pb::Request Req(uint32_t ns = kNs) {
    pb::Request r;
    r.set_namespace_id(ns);
    return r;
  }

  pb::Response Create(const std::string& name, uint32_t dim, const std::string& distance = "dot",
                      const std::string& index = "hnsw", uint32_t ns = kNs) {
    pb::Request r = Req(ns);
    auto* c = r.mutable_create_collection();
    c->set_name(name);
    c->set_dimension(dim);
    c->set_distance(distance);
    c->set_index(index);
    c->set_quantization("none");
    return Call(r);
  }

  // Upserts points with ids "1".."n", vector {i, 1} and payload {"n": i, "title": "t<i>"}.
  pb::Response UpsertNumbered(const std::string& name, int n) {
    pb::Request r = Req();
    auto* u = r.mutable_upsert();
    u->set_collection(name);
    for (int i = 1; i <= n; ++i) {
      auto* p = u->add_points();
      p->set_id(std::to_string(i));
      p->add_vector(static_cast<float>(i));
      p->add_vector(1);
      p->set_payload_json(Json{{"n", i}, {"title", "t" + std::to_string(i)}}.dump());
    }
    return Call(r);
  }

  std::vector<std::string> Ids(const pb::Response& resp) {
    std::vector<std::string> ids;
    for (const auto& rec : resp.records()) ids.push_back(rec.id());
    return ids;
  }

  pb::Response Scroll(const std::string& name, uint32_t limit, const std::string* after) {
    pb::Request r = Req();
    auto* s = r.mutable_scroll();
    s->set_collection(name);
    s->set_limit(limit);
    if (after) {
      s->set_after(*after);
      s->set_has_after(true);
    }
    return Call(r);
  }

  // The point with its payload and vector; an empty record (and a test failure) when it is not found.
  pb::Record GetOne(const std::string& name, const std::string& id) {
    pb::Request r = Req();
    auto* g = r.mutable_get();
    g->set_collection(name);
    g->add_ids(id);
    g->set_with_payload(true);
    g->set_with_vector(true);
    pb::Response resp = Call(r);
    EXPECT_EQ(resp.records_size(), 1) << id << ": " << resp.message();
    return resp.records_size() == 1 ? resp.records(0) : pb::Record();
  }

  Json Info(const std::string& name) {
    pb::Request r = Req();
    r.mutable_collection_info()->set_name(name);
    pb::Response resp = Call(r);
    EXPECT_EQ(resp.code(), kOk) << resp.message();
    return Json::parse(resp.json());
  }

  std::function<Json()> status_json_ = [] { return Json{{"pid", 1234}}; };
  std::unique_ptr<RpcHandler> handler_;
};

TEST_F(RpcHandlerTest, CreateListAndDescribeCollections) {
  pb::Request r = Req();
  auto* c = r.mutable_create_collection();
  c->set_name("docs");
  c->set_dimension(3);
  c->set_distance("L2");
  c->set_index("hnsw");
  c->set_quantization("sq8");
  c->set_m(8);
  c->set_ef(40);
  ASSERT_EQ(Call(r).code(), kOk);
  ASSERT_EQ(Create("flat", 2, "cosine", "flat").code(), kOk);

  pb::Request list = Req();
  list.mutable_list_collections();
  pb::Response resp = Call(list);
  ASSERT_EQ(resp.code(), kOk);
  ASSERT_EQ(resp.collections_size(), 2);
  EXPECT_EQ(resp.collections(0).name(), "docs");
  EXPECT_EQ(resp.collections(0).dimension(), 3u);
  EXPECT_EQ(resp.collections(0).distance(), "euclid");
  EXPECT_EQ(resp.collections(0).index(), "hnsw");
  EXPECT_EQ(resp.collections(0).points(), 0u);
  EXPECT_EQ(resp.collections(1).name(), "flat");
  EXPECT_EQ(resp.collections(1).index(), "flat");

  Json info = Info("docs");
  EXPECT_EQ(info["name"], "docs");
  EXPECT_EQ(info["dimension"], 3);
  EXPECT_EQ(info["distance"], "euclid");
  EXPECT_EQ(info["index"], "hnsw");
  EXPECT_EQ(info["m"], 8);
  EXPECT_EQ(info["ef_construct"], kDefaultEfConstruct);  // 0 on the wire: the engine's default
  EXPECT_EQ(info["ef"], 40);
  EXPECT_EQ(info["quantization"], "sq8");
  EXPECT_EQ(info["points"], 0);
  EXPECT_EQ(info["status"], "green");
  EXPECT_EQ(info["payload_indexes"], Json::array());
  for (const char* key : {"indexed_vectors", "graph_elements", "graph_deleted", "index_memory_bytes",
                          "vector_memory_bytes", "pending_memory_bytes", "snapshot_pending"})
    EXPECT_TRUE(info.contains(key)) << key;

  // Another namespace sees none of them.
  pb::Request other = Req(kNs + 1);
  other.mutable_list_collections();
  EXPECT_EQ(Call(other).collections_size(), 0);
}

TEST_F(RpcHandlerTest, CreateCollectionErrors) {
  pb::Response resp = Create("a", 3, "");
  EXPECT_EQ(resp.code(), kInvalidArgument);
  EXPECT_FALSE(resp.message().empty());
  EXPECT_EQ(resp.subject_kind(), GV_SUBJECT_NONE);
  EXPECT_EQ(Create("a", 3, "dot", "ivf").code(), kInvalidArgument);
  ASSERT_EQ(Create("a", 3).code(), kOk);
  resp = Create("a", 3);
  EXPECT_EQ(resp.code(), kAlreadyExists);
  EXPECT_EQ(resp.message(), "Collection `a` already exists!");
  EXPECT_EQ(resp.subject_kind(), GV_SUBJECT_COLLECTION);
  EXPECT_EQ(resp.subject_name(), "a");
}

TEST_F(RpcHandlerTest, DropCollection) {
  pb::Request r = Req();
  r.mutable_drop_collection()->set_name("nope");
  pb::Response resp = Call(r);
  EXPECT_EQ(resp.code(), kNotFound);
  EXPECT_EQ(resp.message(), "Collection `nope` doesn't exist!");
  EXPECT_EQ(resp.subject_kind(), GV_SUBJECT_COLLECTION);
  EXPECT_EQ(resp.subject_name(), "nope");

  r.mutable_drop_collection()->set_if_exists(true);
  resp = Call(r);
  EXPECT_EQ(resp.code(), kOk);
  EXPECT_EQ(resp.count(), 0u);

  ASSERT_EQ(Create("a", 2).code(), kOk);
  r.mutable_drop_collection()->set_name("a");
  resp = Call(r);
  EXPECT_EQ(resp.code(), kOk);
  EXPECT_EQ(resp.count(), 1u);
  pb::Request info = Req();
  info.mutable_collection_info()->set_name("a");
  EXPECT_EQ(Call(info).code(), kNotFound);
}

TEST_F(RpcHandlerTest, UpsertAndGetWithColumns) {
  ASSERT_EQ(Create("c", 2).code(), kOk);
  pb::Response up = UpsertNumbered("c", 3);
  ASSERT_EQ(up.code(), kOk) << up.message();
  EXPECT_GT(up.count(), 0u);  // the write's version

  pb::Request r = Req();
  auto* g = r.mutable_get();
  g->set_collection("c");
  for (const char* id : {"2", "missing", "1"}) g->add_ids(id);
  g->set_with_payload(true);
  g->set_with_vector(true);
  auto* col = g->add_columns();
  col->set_key("title");
  col->set_type("text");
  col = g->add_columns();
  col->set_key("absent");
  col->set_type("number");
  pb::Response resp = Call(r);
  ASSERT_EQ(resp.code(), kOk) << resp.message();
  ASSERT_EQ(Ids(resp), (std::vector<std::string>{"2", "1"}));  // request order, unknown ids left out
  const pb::Record& two = resp.records(0);
  EXPECT_EQ(Json::parse(two.payload_json()), (Json{{"n", 2}, {"title", "t2"}}));
  EXPECT_EQ(std::vector<float>(two.vector().begin(), two.vector().end()), (std::vector<float>{2, 1}));
  EXPECT_GT(two.version(), 0u);
  ASSERT_EQ(two.columns_size(), 2);
  EXPECT_EQ(two.columns(0).text(), "t2");
  EXPECT_FALSE(two.columns(0).is_null());
  EXPECT_TRUE(two.columns(1).is_null());

  // Columns need the payload, but it is sent only when asked for.
  g->set_with_payload(false);
  g->set_with_vector(false);
  resp = Call(r);
  ASSERT_EQ(resp.records_size(), 2);
  EXPECT_TRUE(resp.records(0).payload_json().empty());
  EXPECT_EQ(resp.records(0).vector_size(), 0);
  EXPECT_EQ(resp.records(0).columns(0).text(), "t2");

  col->set_type("date");
  resp = Call(r);
  EXPECT_EQ(resp.code(), kInvalidArgument);
  EXPECT_EQ(resp.records_size(), 0);
}

TEST_F(RpcHandlerTest, UpsertKeepsPayloadAndRejectsBadInput) {
  ASSERT_EQ(Create("c", 2).code(), kOk);
  ASSERT_EQ(UpsertNumbered("c", 1).code(), kOk);
  pb::Request r = Req();
  auto* p = r.mutable_upsert();
  p->set_collection("c");
  auto* point = p->add_points();
  point->set_id("1");
  point->add_vector(5);
  point->add_vector(6);
  point->set_keep_payload(true);
  ASSERT_EQ(Call(r).code(), kOk);
  pb::Record one = GetOne("c", "1");
  EXPECT_EQ(Json::parse(one.payload_json(), nullptr, false).value("title", ""), "t1");
  ASSERT_EQ(one.vector_size(), 2);
  EXPECT_EQ(one.vector(0), 5);

  point->set_keep_payload(false);
  point->set_payload_json("[1]");
  pb::Response resp = Call(r);
  EXPECT_EQ(resp.code(), kInvalidArgument);
  EXPECT_EQ(resp.message(), "payload must be a JSON object, got array");
  point->set_payload_json("{not json");
  EXPECT_EQ(Call(r).message(), "payload is not valid JSON");
  point->set_payload_json("");
  point->set_id("");
  EXPECT_EQ(Call(r).code(), kInvalidArgument);
  point->set_id("3");
  p->set_collection("nope");
  EXPECT_EQ(Call(r).code(), kNotFound);
}

TEST_F(RpcHandlerTest, DeleteAndCount) {
  ASSERT_EQ(Create("c", 2).code(), kOk);
  ASSERT_EQ(UpsertNumbered("c", 6).code(), kOk);
  pb::Request count = Req();
  count.mutable_count()->set_collection("c");
  EXPECT_EQ(Call(count).count(), 6u);
  count.mutable_count()->set_filter_json(R"({"must": [{"key": "n", "range": {"gte": 5}}]})");
  EXPECT_EQ(Call(count).count(), 2u);
  count.mutable_count()->set_filter_json("{bad");
  EXPECT_EQ(Call(count).code(), kInvalidFilter);

  pb::Request del = Req();
  del.mutable_delete_()->set_collection("c");
  del.mutable_delete_()->add_ids("1");
  del.mutable_delete_()->add_ids("99");
  pb::Response resp = Call(del);
  ASSERT_EQ(resp.code(), kOk) << resp.message();
  EXPECT_EQ(resp.count(), 1u);

  pb::Request by_filter = Req();
  by_filter.mutable_delete_()->set_collection("c");
  by_filter.mutable_delete_()->set_has_filter(true);
  by_filter.mutable_delete_()->set_filter_json(R"({"must": [{"key": "n", "range": {"lte": 3}}]})");
  resp = Call(by_filter);
  ASSERT_EQ(resp.code(), kOk) << resp.message();
  EXPECT_EQ(resp.count(), 2u);  // 2 and 3; 1 is gone already
  count.mutable_count()->clear_filter_json();
  EXPECT_EQ(Call(count).count(), 3u);
}

TEST_F(RpcHandlerTest, SearchByVectorAndById) {
  ASSERT_EQ(Create("c", 2, "euclid").code(), kOk);
  ASSERT_EQ(UpsertNumbered("c", 5).code(), kOk);
  pb::Request r = Req();
  auto* s = r.mutable_search();
  s->set_collection("c");
  s->add_vector(2.1f);
  s->add_vector(1);
  s->set_k(3);
  s->set_exact(true);
  s->set_with_payload(true);
  pb::Response resp = Call(r);
  ASSERT_EQ(resp.code(), kOk) << resp.message();
  ASSERT_EQ(Ids(resp), (std::vector<std::string>{"2", "3", "1"}));
  EXPECT_NEAR(resp.records(0).score(), 0.1f, 1e-4);
  EXPECT_LT(resp.records(0).score(), resp.records(1).score());  // euclid: nearest first
  EXPECT_EQ(Json::parse(resp.records(0).payload_json())["n"], 2);
  EXPECT_EQ(resp.records(0).vector_size(), 0);

  s->set_offset(1);  // k results after the first
  EXPECT_EQ(Ids(Call(r)), (std::vector<std::string>{"3", "1", "4"}));
  s->set_offset(0);
  s->set_has_score_threshold(true);
  s->set_score_threshold(1.0f);
  EXPECT_EQ(Ids(Call(r)), (std::vector<std::string>{"2", "3"}));
  s->set_has_score_threshold(false);

  s->clear_vector();
  s->set_query_id("1");  // its own point is not returned
  resp = Call(r);
  ASSERT_EQ(resp.code(), kOk) << resp.message();
  EXPECT_EQ(Ids(resp), (std::vector<std::string>{"2", "3", "4"}));
  s->set_query_id("99");
  resp = Call(r);
  EXPECT_EQ(resp.code(), kNotFound);
  EXPECT_EQ(resp.message(), "No point with id 99 found");
  EXPECT_EQ(resp.subject_kind(), GV_SUBJECT_POINT);
  EXPECT_EQ(resp.subject_name(), "99");
  s->set_query_id("1");

  s->set_filter_json("[");
  EXPECT_EQ(Call(r).code(), kInvalidFilter);
  s->clear_filter_json();
  s->set_collection("nope");
  resp = Call(r);
  EXPECT_EQ(resp.code(), kNotFound);
  EXPECT_EQ(resp.message(), "Collection `nope` doesn't exist!");
  EXPECT_EQ(resp.subject_name(), "nope");
  EXPECT_EQ(resp.records_size(), 0);
}

// SQL's keyset pagination: `after` is exclusive, whether or not that id still exists.
TEST_F(RpcHandlerTest, ScrollAfterIsExclusive) {
  ASSERT_EQ(Create("c", 2).code(), kOk);
  ASSERT_EQ(UpsertNumbered("c", 5).code(), kOk);
  EXPECT_EQ(Ids(Scroll("c", 2, nullptr)), (std::vector<std::string>{"1", "2"}));
  std::string after = "2";
  EXPECT_EQ(Ids(Scroll("c", 2, &after)), (std::vector<std::string>{"3", "4"}));
  after = "4";
  EXPECT_EQ(Ids(Scroll("c", 2, &after)), (std::vector<std::string>{"5"}));
  after = "5";
  EXPECT_TRUE(Ids(Scroll("c", 2, &after)).empty());

  pb::Request del = Req();
  del.mutable_delete_()->set_collection("c");
  del.mutable_delete_()->add_ids("2");
  ASSERT_EQ(Call(del).code(), kOk);
  after = "2";
  EXPECT_EQ(Ids(Scroll("c", 2, &after)), (std::vector<std::string>{"3", "4"}));

  pb::Response resp = Scroll("c", 0, nullptr);
  EXPECT_EQ(resp.code(), kInvalidArgument);
  EXPECT_EQ(resp.message(), "limit must be between 1 and 100000, got 0");
  EXPECT_EQ(Scroll("c", kMaxScrollLimit + 1, nullptr).code(), kInvalidArgument);
  after = "";
  EXPECT_EQ(Scroll("c", 2, &after).code(), kInvalidArgument);
  after = "3";  // the largest page starts after an id too
  EXPECT_EQ(Ids(Scroll("c", kMaxScrollLimit, &after)), (std::vector<std::string>{"4", "5"}));
}

// The engine's scroll offset and MMR, as the RPC carries them.
TEST_F(RpcHandlerTest, ScrollOffsetAndSearchMmr) {
  ASSERT_EQ(Create("c", 2, "cosine").code(), kOk);
  ASSERT_EQ(UpsertNumbered("c", 5).code(), kOk);
  pb::Request scroll = Req();
  auto* sc = scroll.mutable_scroll();
  sc->set_collection("c");
  sc->set_limit(2);
  sc->set_offset(1);
  sc->set_after("1");
  sc->set_has_after(true);
  EXPECT_EQ(Ids(Call(scroll)), (std::vector<std::string>{"3", "4"}));
  sc->set_offset(kMaxOffset + 1);
  EXPECT_EQ(Call(scroll).message(), "offset must be at most 100000");

  // Vectors {i, 1}: 4 and 5 nearly repeat each other, 1 points elsewhere.
  pb::Request r = Req();
  auto* s = r.mutable_search();
  s->set_collection("c");
  s->add_vector(5);
  s->add_vector(1);
  s->set_k(2);
  s->set_exact(true);
  EXPECT_EQ(Ids(Call(r)), (std::vector<std::string>{"5", "4"}));
  s->set_has_mmr(true);
  s->set_mmr_diversity(1);
  s->set_mmr_candidates(5);
  pb::Response resp = Call(r);
  ASSERT_EQ(resp.code(), kOk) << resp.message();
  EXPECT_EQ(Ids(resp), (std::vector<std::string>{"5", "1"}));
  EXPECT_EQ(resp.records(0).vector_size(), 0);
  s->set_mmr_diversity(2);
  EXPECT_EQ(Call(r).code(), kInvalidArgument);
}

TEST_F(RpcHandlerTest, PayloadOperations) {
  ASSERT_EQ(Create("c", 2).code(), kOk);
  ASSERT_EQ(UpsertNumbered("c", 2).code(), kOk);
  auto payload_of = [&](const std::string& id) { return Json::parse(GetOne("c", id).payload_json(), nullptr, false); };

  pb::Request set = Req();
  auto* sp = set.mutable_set_payload();
  sp->set_collection("c");
  sp->add_ids("1");
  sp->set_payload_json(R"({"city": "Oslo"})");
  pb::Response resp = Call(set);
  ASSERT_EQ(resp.code(), kOk) << resp.message();
  EXPECT_EQ(resp.count(), 1u);
  EXPECT_EQ(payload_of("1"), (Json{{"n", 1}, {"title", "t1"}, {"city", "Oslo"}}));
  sp->set_overwrite(true);
  ASSERT_EQ(Call(set).code(), kOk);
  EXPECT_EQ(payload_of("1"), (Json{{"city", "Oslo"}}));
  sp->set_payload_json("7");
  EXPECT_EQ(Call(set).code(), kInvalidArgument);

  pb::Request del = Req();
  auto* dp = del.mutable_delete_payload();
  dp->set_collection("c");
  dp->add_ids("2");
  dp->add_keys("title");
  resp = Call(del);
  ASSERT_EQ(resp.code(), kOk) << resp.message();
  EXPECT_EQ(resp.count(), 1u);
  EXPECT_EQ(payload_of("2"), (Json{{"n", 2}}));
  dp->clear_keys();
  dp->set_clear(true);
  ASSERT_EQ(Call(del).code(), kOk);
  EXPECT_EQ(payload_of("2"), Json::object());
}

TEST_F(RpcHandlerTest, CreatePayloadIndex) {
  ASSERT_EQ(Create("c", 2).code(), kOk);
  ASSERT_EQ(UpsertNumbered("c", 3).code(), kOk);
  pb::Request r = Req();
  auto* pi = r.mutable_create_payload_index();
  pi->set_collection("c");
  pi->set_field("n");
  pi->set_type("integer");
  ASSERT_EQ(Call(r).code(), kOk);
  EXPECT_EQ(Info("c")["payload_indexes"], (Json::array({{{"field", "n"}, {"type", "integer"}, {"points", 3}}})));
  pi->set_type("geo");
  pb::Response resp = Call(r);
  EXPECT_EQ(resp.code(), kInvalidArgument);
  EXPECT_EQ(resp.message(), "unsupported payload index type \"geo\": use keyword, integer, float, bool or datetime");
}

TEST_F(RpcHandlerTest, SyncAndEngineStatus) {
  pb::Request sync = Req();
  sync.mutable_sync();
  EXPECT_EQ(Call(sync).code(), kOk);
  pb::Request status = Req();
  status.mutable_engine_status();
  pb::Response resp = Call(status);
  ASSERT_EQ(resp.code(), kOk);
  EXPECT_EQ(Json::parse(resp.json()), (Json{{"pid", 1234}}));
}

TEST_F(RpcHandlerTest, Namespaces) {
  ASSERT_EQ(Create("a", 2, "dot", "hnsw", 9).code(), kOk);
  ASSERT_EQ(Create("b", 2, "dot", "hnsw", 9).code(), kOk);
  ASSERT_EQ(Create("a", 2, "dot", "hnsw", 4).code(), kOk);
  pb::Request list = Req(0);
  list.mutable_list_namespaces();
  pb::Response resp = Call(list);
  EXPECT_EQ(std::vector<uint32_t>(resp.namespaces().begin(), resp.namespaces().end()), (std::vector<uint32_t>{4, 9}));

  pb::Request drop = Req(0);
  drop.mutable_drop_namespace()->set_namespace_id(0);
  resp = Call(drop);
  EXPECT_EQ(resp.code(), kInvalidArgument);
  EXPECT_EQ(resp.message(), "namespace 0 (the standalone server's) cannot be dropped");
  drop.mutable_drop_namespace()->set_namespace_id(9);
  resp = Call(drop);
  ASSERT_EQ(resp.code(), kOk) << resp.message();
  EXPECT_EQ(resp.count(), 2u);
  resp = Call(list);
  EXPECT_EQ(std::vector<uint32_t>(resp.namespaces().begin(), resp.namespaces().end()), (std::vector<uint32_t>{4}));
  drop.mutable_drop_namespace()->set_namespace_id(12345);
  resp = Call(drop);
  EXPECT_EQ(resp.code(), kOk);
  EXPECT_EQ(resp.count(), 0u);
}

TEST_F(RpcHandlerTest, RequestWithoutOperation) {
  pb::Response resp = Call(Req());
  EXPECT_EQ(resp.code(), kInvalidArgument);
  EXPECT_EQ(resp.message(), "request has no operation (client and engine versions differ?)");
}

// An exception inside an operation becomes an error response, and nothing of a half-built answer stays.
TEST_F(RpcHandlerTest, ExceptionsBecomeErrors) {
  pb::Request status = Req();
  status.mutable_engine_status();
  status_json_ = []() -> Json { throw std::runtime_error("boom"); };
  pb::Response resp = Call(status);
  EXPECT_EQ(resp.code(), static_cast<int>(StatusCode::kInternal));
  EXPECT_EQ(resp.message(), "unexpected error: boom");
  EXPECT_TRUE(resp.json().empty());
  status_json_ = []() -> Json { throw std::bad_alloc(); };
  resp = Call(status);
  EXPECT_EQ(resp.code(), static_cast<int>(StatusCode::kResourceExhausted));
  EXPECT_EQ(resp.message(), "the engine is out of memory");
}

}  // namespace
}  // namespace govector
