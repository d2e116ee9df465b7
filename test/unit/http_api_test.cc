// The Qdrant HTTP API layer in process, without sockets: a request is matched against QdrantRoutes() the way
// the HTTP server matches it (method, then the route's whole-path pattern, first match wins) and answered
// by Serve(); the tests check routes, statuses, error bodies and the JSON shapes of results.
#include "server/http_api.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "engine_fixture.h"

namespace govector {
namespace {

class HttpApiTest : public testing::OpenEngineTest {
 protected:
  void SetUp() override {
    OpenEngineTest::SetUp();
    if (HasFatalFailure()) return;
    api_ = std::make_unique<QdrantApi>(engine_.get(), 0);
  }

  // Answers "METHOD /path[?wait=true]" with the body text; route_ is the path of the route that served it.
  ApiReply Call(const std::string& method, const std::string& target, const std::string& body = "") {
    std::string path = target.substr(0, target.find('?'));
    bool wait = target.size() > path.size() && target.substr(path.size()) == "?wait=true";
    for (const ApiRoute& route : QdrantRoutes()) {
      std::smatch m;
      if (method != route.method || !std::regex_match(path, m, std::regex(RoutePattern(route)))) continue;
      ApiRequest request;
      if (m.size() > 1) request.name = m[1].str();
      if (m.size() > 2) request.key = m[2].str();
      request.wait = wait;
      route_ = route.path;
      return Serve(*api_, route, request, body);
    }
    route_.clear();
    return {404, nullptr};
  }

  // The result of a request that must succeed.
  Json Ok(const std::string& method, const std::string& target, const std::string& body = "") {
    ApiReply r = Call(method, target, body);
    EXPECT_EQ(r.status, 200) << method << " " << target << ": " << r.body.dump();
    EXPECT_EQ(r.body.value("status", Json()), "ok") << r.body.dump();
    return r.body.value("result", Json());
  }

  // The error message of a request that must fail with the status; the body must be the error envelope alone.
  std::string Error(int status, const std::string& method, const std::string& target, const std::string& body = "") {
    ApiReply r = Call(method, target, body);
    EXPECT_EQ(r.status, status) << method << " " << target << ": " << r.body.dump();
    EXPECT_EQ(r.body.size(), 1u) << r.body.dump();
    if (!r.body.contains("status") || !r.body["status"].is_object()) {
      ADD_FAILURE() << "not an error envelope: " << r.body.dump();
      return "";
    }
    return r.body["status"].value("error", "");
  }

  // A Dot collection "c" of 2-dimensional vectors with points 1..n: vector {i, 1}, payload {"n": i}.
  void Numbered(int n) {
    ASSERT_EQ(Ok("PUT", "/collections/c", R"({"vectors": {"size": 2, "distance": "Dot"}})"), true);
    Json points = Json::array();
    for (int i = 1; i <= n; ++i) points.push_back({{"id", i}, {"vector", {i, 1}}, {"payload", {{"n", i}}}});
    Ok("PUT", "/collections/c/points?wait=true", Json{{"points", points}}.dump());
  }

  static std::vector<Json> Ids(const Json& points) {
    std::vector<Json> ids;
    for (const Json& p : points) ids.push_back(p["id"]);
    return ids;
  }

  std::unique_ptr<QdrantApi> api_;
  std::string route_;
};

TEST_F(HttpApiTest, RouteTable) {
  std::set<std::pair<std::string, std::string>> seen;
  for (const ApiRoute& route : QdrantRoutes())
    EXPECT_TRUE(seen.emplace(route.method, route.path).second) << route.method << " " << route.path;
  ApiRoute get_point{"GET", "/collections/{name}/points/{id}", nullptr};
  EXPECT_EQ(RoutePattern(get_point), "/collections/([^/]+)/points/([^/]+)/?");

  Numbered(1);
  Call("POST", "/collections/c/points/scroll", "{}");
  EXPECT_EQ(route_, "/collections/{name}/points/scroll");
  Call("POST", "/collections/c/points/query/batch", R"({"searches": []})");
  EXPECT_EQ(route_, "/collections/{name}/points/query/batch");
  Call("GET", "/collections/c/points/1/");  // a trailing slash is fine
  EXPECT_EQ(route_, "/collections/{name}/points/{id}");
  Call("GET", "/collections/c/exists");
  EXPECT_EQ(route_, "/collections/{name}/exists");
  EXPECT_EQ(Call("PATCH", "/collections/c").status, 404);
  EXPECT_EQ(Call("GET", "/collections/c/points/1/more").status, 404);
  EXPECT_EQ(route_, "");
}

TEST_F(HttpApiTest, CollectionLifecycle) {
  EXPECT_EQ(Ok("GET", "/collections"), (Json{{"collections", Json::array()}}));
  EXPECT_EQ(Ok("PUT", "/collections/c", R"({"vectors": {"size": 4, "distance": "Euclid"}})"), true);
  EXPECT_EQ(Ok("GET", "/collections"), (Json{{"collections", {{{"name", "c"}}}}}));
  EXPECT_EQ(Ok("GET", "/collections/c/exists"), (Json{{"exists", true}}));
  EXPECT_EQ(Error(409, "PUT", "/collections/c", R"({"vectors": {"size": 4, "distance": "Dot"}})"),
            "Wrong input: Collection `c` already exists!");

  Json info = Ok("GET", "/collections/c");
  EXPECT_EQ(info["status"], "green");
  EXPECT_EQ(info["optimizer_status"], "ok");
  EXPECT_EQ(info["points_count"], 0);
  EXPECT_EQ(info["indexed_vectors_count"], 0);
  EXPECT_EQ(info["segments_count"], 1);
  EXPECT_EQ(info["config"]["params"]["vectors"], (Json{{"size", 4}, {"distance", "Euclid"}}));
  EXPECT_EQ(info["config"]["params"]["shard_number"], 1);
  EXPECT_EQ(info["config"]["hnsw_config"]["m"], kDefaultM);
  EXPECT_EQ(info["config"]["hnsw_config"]["ef_construct"], kDefaultEfConstruct);
  EXPECT_EQ(info["config"]["wal_config"], (Json{{"wal_capacity_mb", 32}, {"wal_segments_ahead", 0}}));
  EXPECT_TRUE(info["config"]["optimizer_config"].is_object());
  EXPECT_TRUE(info["config"]["quantization_config"].is_null());
  EXPECT_EQ(info["payload_schema"], Json::object());

  EXPECT_EQ(Ok("DELETE", "/collections/c"), true);
  EXPECT_EQ(Ok("DELETE", "/collections/c"), false);
  EXPECT_EQ(Ok("GET", "/collections/c/exists"), (Json{{"exists", false}}));
  EXPECT_EQ(Error(404, "GET", "/collections/c"), "Not found: Collection `c` doesn't exist!");
}

TEST_F(HttpApiTest, CreateCollectionOptionsAndErrors) {
  Ok("PUT", "/collections/flat",
     R"({"vectors": {"size": 3, "distance": "Cosine"}, "hnsw_config": {"m": 0},
         "quantization_config": {"scalar": {"type": "int8"}}})");
  Json flat = Ok("GET", "/collections/flat")["config"];
  EXPECT_EQ(flat["hnsw_config"]["m"], 0);
  EXPECT_EQ(flat["quantization_config"], (Json{{"scalar", {{"type", "int8"}, {"always_ram", true}}}}));
  // The unnamed vector given as the "" entry of the named-vector map; its own hnsw_config counts.
  Ok("PUT", "/collections/named", R"({"vectors": {"": {"size": 2, "distance": "Manhattan",
                                       "hnsw_config": {"m": 8, "ef_construct": 50}}}})");
  Json named = Ok("GET", "/collections/named")["config"];
  EXPECT_EQ(named["params"]["vectors"], (Json{{"size", 2}, {"distance", "Manhattan"}}));
  EXPECT_EQ(named["hnsw_config"]["m"], 8);
  EXPECT_EQ(named["hnsw_config"]["ef_construct"], 50);

  EXPECT_EQ(Error(422, "PUT", "/collections/x", "[]"), "Validation error in JSON body: expected an object");
  EXPECT_EQ(Error(422, "PUT", "/collections/x", "{}"),
            "Validation error in JSON body: vectors: expected {\"size\": n, \"distance\": ...}");
  EXPECT_EQ(Error(422, "PUT", "/collections/x", R"({"vectors": {"size": 0, "distance": "Dot"}})"),
            "Validation error in JSON body: vectors.size must be between 1 and 16000, got 0");
  EXPECT_EQ(Error(422, "PUT", "/collections/x", R"({"vectors": {"size": 2}})"),
            "Validation error in JSON body: vectors.distance: expected Cosine, Euclid, Dot or Manhattan");
  EXPECT_EQ(Error(400, "PUT", "/collections/x", R"({"vectors": {"a": {}, "b": {}}})"),
            "Wrong input: named vectors are not supported yet (`vectors.a`): give one unnamed vector "
            "{\"size\", \"distance\"}");
  EXPECT_EQ(Error(400, "PUT", "/collections/x", R"({"vectors": {"v": {"size": 2, "distance": "Dot"}}})"),
            "Wrong input: named vectors are not supported yet (`vectors.v`): give one unnamed vector "
            "{\"size\", \"distance\"}");
  EXPECT_EQ(Error(400, "PUT", "/collections/x", R"({"vectors": {"size": 2, "distance": "Dot"}, "shard_number": 3})"),
            "Wrong input: `shard_number` = 3 is not supported: a govector collection is one shard");
  EXPECT_EQ(Error(422, "PUT", "/collections/x",
                  R"({"vectors": {"size": 2, "distance": "Dot"}, "hnsw_config": {"ef_construct": 0}})"),
            "Validation error in JSON body: ef_construct must be between 1 and 10000, got 0");
  EXPECT_EQ(Error(400, "PUT", "/collections/x",
                  R"({"vectors": {"size": 2, "distance": "Dot"}, "quantization_config": {"product": {}}})"),
            "Wrong input: only scalar (int8) quantization is supported");
  EXPECT_EQ(Error(400, "PUT", "/collections/x", R"({"vectors": {"size": 2, "distance": "Hamming"}})")
                .rfind("Wrong input: ", 0),
            0u);
  EXPECT_EQ(Ok("GET", "/collections/x/exists"), (Json{{"exists", false}}));
}

TEST_F(HttpApiTest, BodyThatIsNotJson) {
  std::string message = Error(400, "PUT", "/collections/c", "{\"vectors\": ");
  EXPECT_EQ(message.rfind("Format error in JSON body: ", 0), 0u) << message;
  // Numbers the engine would not keep as written: refused, not rounded.
  Numbered(1);
  message = Error(400, "PUT", "/collections/c/points",
                  R"({"points": [{"id": 2, "vector": [1, 1], "payload": {"n": 123456789012345678901234567890}}]})");
  EXPECT_NE(message.find("cannot be stored exactly"), std::string::npos) << message;
  message = Error(400, "POST", "/collections/c/points/payload", R"({"points": [1], "payload": {"n": 1e400}})");
  EXPECT_NE(message.find("beyond the range of a double"), std::string::npos) << message;
  EXPECT_EQ(Ok("POST", "/collections/c/points/count", "{}").value("count", 0), 1);
}

TEST_F(HttpApiTest, UpsertForms) {
  ASSERT_EQ(Ok("PUT", "/collections/c", R"({"vectors": {"size": 2, "distance": "Dot"}})"), true);
  Json w = Ok("PUT", "/collections/c/points?wait=true", R"({"points": [{"id": 1, "vector": [1, 2]}]})");
  EXPECT_EQ(w["status"], "completed");
  EXPECT_GT(w["operation_id"].get<uint64_t>(), 0u);
  w = Ok("PUT", "/collections/c/points",
         R"({"batch": {"ids": [2, "5c56c793-69f3-4fbf-87e6-c4bf54c28c26"], "vectors": [[3, 4], [5, 6]],
             "payloads": [{"a": 1}, null]}})");
  EXPECT_EQ(w["status"], "acknowledged");
  EXPECT_EQ(Ok("POST", "/collections/c/points/count", "{}"), (Json{{"count", 3}}));
  EXPECT_EQ(Ok("PUT", "/collections/c/points", R"({"points": []})"),
            (Json{{"operation_id", 0}, {"status", "acknowledged"}}));

  EXPECT_EQ(Error(400, "PUT", "/collections/c/points", R"({"points": [{"id": 3, "vector": [1, 2, 3]}]})"),
            "Wrong input: Vector dimension error: expected dim: 2, got 3");
  EXPECT_EQ(Error(422, "PUT", "/collections/c/points", R"({"points": [{"id": "12", "vector": [1, 2]}]})"),
            "Validation error in JSON body: value 12 is not a valid point ID, valid values are either an unsigned "
            "integer or a UUID");
  EXPECT_EQ(Error(422, "PUT", "/collections/c/points", R"({"points": [{"id": 3}]})"),
            "Validation error in JSON body: each point needs an id and a vector");
  EXPECT_EQ(Error(422, "PUT", "/collections/c/points", R"({"batch": {"ids": [3], "vectors": []}})"),
            "Validation error in JSON body: batch: ids, vectors and payloads must have the same length");
  EXPECT_EQ(Error(422, "PUT", "/collections/c/points", R"({"points": [{"id": 3, "vector": [1, 2], "payload": 4}]})"),
            "Validation error in JSON body: payload: expected an object");
  EXPECT_EQ(Error(422, "PUT", "/collections/c/points", "{}"),
            "Validation error in JSON body: expected \"points\" or \"batch\"");
  EXPECT_EQ(Error(400, "PUT", "/collections/c/points", R"({"points": [{"id": 3, "vector": {"a": [1], "b": [2]}}]})"),
            "Wrong input: named vectors are not supported; send the vector as an array of numbers");
  EXPECT_EQ(Error(404, "PUT", "/collections/nope/points", R"({"points": [{"id": 3, "vector": [1, 2]}]})"),
            "Not found: Collection `nope` doesn't exist!");
}

TEST_F(HttpApiTest, RetrieveAndGetPoint) {
  Numbered(3);
  Ok("POST", "/collections/c/points/payload?wait=true", R"({"payload": {"b": "x"}, "points": [2]})");
  EXPECT_EQ(Ok("POST", "/collections/c/points", R"({"ids": [2, 9]})"),
            (Json::array({{{"id", 2}, {"payload", {{"n", 2}, {"b", "x"}}}}})));
  EXPECT_EQ(Ok("POST", "/collections/c/points", R"({"ids": [2], "with_payload": ["b"], "with_vector": true})"),
            (Json::array({{{"id", 2}, {"payload", {{"b", "x"}}}, {"vector", {2.0, 1.0}}}})));
  EXPECT_EQ(Ok("POST", "/collections/c/points", R"({"ids": [2], "with_payload": {"exclude": ["b"]}})"),
            (Json::array({{{"id", 2}, {"payload", {{"n", 2}}}}})));
  EXPECT_EQ(Ok("POST", "/collections/c/points", R"({"ids": [1], "with_payload": false})"),
            (Json::array({{{"id", 1}}})));
  EXPECT_EQ(Error(422, "POST", "/collections/c/points", "{}"), "Validation error in JSON body: ids: required");
  EXPECT_EQ(Error(422, "POST", "/collections/c/points", R"({"ids": [-1]})").rfind("Validation error in JSON body: ", 0),
            0u);

  EXPECT_EQ(Ok("GET", "/collections/c/points/3"), (Json{{"id", 3}, {"payload", {{"n", 3}}}, {"vector", {3.0, 1.0}}}));
  EXPECT_EQ(Error(404, "GET", "/collections/c/points/9"), "Not found: No point with id 9 found");
  EXPECT_EQ(Error(404, "GET", "/collections/c/points/scroll"), "Not found: No point with id scroll found");
}

TEST_F(HttpApiTest, ScrollPagesAndCount) {
  Numbered(5);
  Json page = Ok("POST", "/collections/c/points/scroll", R"({"limit": 2})");
  EXPECT_EQ(Ids(page["points"]), (std::vector<Json>{1, 2}));
  EXPECT_EQ(page["points"][0], (Json{{"id", 1}, {"payload", {{"n", 1}}}}));
  EXPECT_EQ(page["next_page_offset"], 3);
  page = Ok("POST", "/collections/c/points/scroll", R"({"limit": 3, "offset": 3, "with_payload": false})");
  EXPECT_EQ(page["points"], (Json::array({{{"id", 3}}, {{"id", 4}}, {{"id", 5}}})));
  EXPECT_TRUE(page["next_page_offset"].is_null());
  page = Ok("POST", "/collections/c/points/scroll", R"({"filter": {"must": [{"key": "n", "range": {"gt": 3}}]}})");
  EXPECT_EQ(Ids(page["points"]), (std::vector<Json>{4, 5}));

  EXPECT_EQ(Error(400, "POST", "/collections/c/points/scroll", R"({"order_by": "n"})").rfind(
                "Bad request: No range index for `order_by` key: `n`.", 0),
            0u);
  EXPECT_EQ(Error(422, "POST", "/collections/c/points/scroll", R"({"limit": 0})"),
            "Validation error in JSON body: limit must be between 1 and 100000, got 0");
  EXPECT_EQ(Error(422, "POST", "/collections/c/points/scroll", R"({"limit": "2"})"),
            "Validation error in JSON body: limit: expected a non-negative integer, got \"2\"");

  EXPECT_EQ(Ok("POST", "/collections/c/points/count", R"({"filter": {"must": [{"key": "n", "match": {"value": 2}}]}})"),
            (Json{{"count", 1}}));
  EXPECT_EQ(Error(400, "POST", "/collections/c/points/count", R"({"filter": {"must": 3}})").rfind("Wrong input: ", 0),
            0u);
}

TEST_F(HttpApiTest, DeletePoints) {
  Numbered(5);
  Json w = Ok("POST", "/collections/c/points/delete?wait=true", R"({"points": [1, 2]})");
  EXPECT_EQ(w["status"], "completed");
  Ok("POST", "/collections/c/points/delete", R"({"filter": {"must": [{"key": "n", "range": {"gte": 5}}]}})");
  EXPECT_EQ(Ids(Ok("POST", "/collections/c/points/scroll", "{}")["points"]), (std::vector<Json>{3, 4}));
  EXPECT_EQ(Error(422, "POST", "/collections/c/points/delete", "{}"),
            "Validation error in JSON body: expected \"points\" (a list of ids) or \"filter\"");
}

TEST_F(HttpApiTest, PayloadOperations) {
  Numbered(2);
  auto payload = [&](int id) { return Ok("GET", "/collections/c/points/" + std::to_string(id))["payload"]; };
  Ok("POST", "/collections/c/points/payload", R"({"payload": {"a": 1}, "points": [1]})");
  EXPECT_EQ(payload(1), (Json{{"n", 1}, {"a", 1}}));
  Ok("PUT", "/collections/c/points/payload", R"({"payload": {"b": 2}, "points": [1]})");
  EXPECT_EQ(payload(1), (Json{{"b", 2}}));
  Ok("POST", "/collections/c/points/payload", R"({"payload": {"c": 3}, "filter": {}})");
  EXPECT_EQ(payload(2), (Json{{"n", 2}, {"c", 3}}));

  // A missing point fails the whole operation, and nothing changes.
  EXPECT_EQ(Error(404, "POST", "/collections/c/points/payload", R"({"payload": {"d": 4}, "points": [2, 42]})"),
            "Not found: No point with id 42 found");
  EXPECT_EQ(payload(2), (Json{{"n", 2}, {"c", 3}}));
  EXPECT_EQ(Error(400, "POST", "/collections/c/points/payload", R"({"payload": {"d": 4}, "points": [2], "key": "x"})"),
            "Wrong input: setting a payload at a nested key is not supported");
  EXPECT_EQ(Error(422, "POST", "/collections/c/points/payload", R"({"payload": [1], "points": [2]})"),
            "Validation error in JSON body: payload: expected an object");

  Json w = Ok("POST", "/collections/c/points/payload/delete?wait=true", R"({"keys": ["n"], "points": [2]})");
  EXPECT_EQ(w["status"], "completed");
  EXPECT_EQ(payload(2), (Json{{"c", 3}}));
  EXPECT_EQ(Error(422, "POST", "/collections/c/points/payload/delete", R"({"keys": [1], "points": [2]})"),
            "Validation error in JSON body: keys: expected strings");
  EXPECT_EQ(Error(404, "POST", "/collections/c/points/payload/clear", R"({"points": [7]})"),
            "Not found: No point with id 7 found");
  Ok("POST", "/collections/c/points/payload/clear", R"({"points": [1, 2]})");
  EXPECT_EQ(payload(1), Json::object());
  EXPECT_EQ(payload(2), Json::object());
}

TEST_F(HttpApiTest, FieldIndexes) {
  Numbered(3);
  EXPECT_EQ(Ok("PUT", "/collections/c/index", R"({"field_name": "n", "field_schema": "integer"})"),
            (Json{{"operation_id", 0}, {"status", "acknowledged"}}));
  EXPECT_EQ(Ok("PUT", "/collections/c/index?wait=true", R"({"field_name": "k", "field_schema": {"type": "keyword"}})"),
            (Json{{"operation_id", 0}, {"status", "completed"}}));
  EXPECT_EQ(Ok("GET", "/collections/c")["payload_schema"],
            (Json{{"n", {{"data_type", "integer"}, {"points", 3}}}, {"k", {{"data_type", "keyword"}, {"points", 0}}}}));
  EXPECT_EQ(Error(422, "PUT", "/collections/c/index", R"({"field_schema": "integer"})"),
            "Validation error in JSON body: field_name: expected a string");
  EXPECT_EQ(Error(400, "PUT", "/collections/c/index", R"({"field_name": "g", "field_schema": "geo"})"),
            "Wrong input: unsupported payload index type \"geo\": use keyword, integer, float, bool or datetime");
  EXPECT_EQ(Error(400, "DELETE", "/collections/c/index/n"), "Wrong input: payload indexes cannot be deleted yet");
}

// with_payload paths into nested objects and arrays, as Qdrant selects them.
TEST_F(HttpApiTest, NestedPayloadSelection) {
  ASSERT_EQ(Ok("PUT", "/collections/c", R"({"vectors": {"size": 2, "distance": "Dot"}})"), true);
  Ok("PUT", "/collections/c/points?wait=true", R"({"points": [{"id": 1, "vector": [1, 0], "payload": {
        "country": {"name": "DE", "code": 49}, "cities": [{"name": "a", "pop": 1}, {"name": "b", "pop": 2}],
        "a.b": 5, "top": true}}]})");
  auto payload = [&](const std::string& selector) {
    return Ok("POST", "/collections/c/points", R"({"ids": [1], "with_payload": )" + selector + "}")[0]["payload"];
  };
  EXPECT_EQ(payload(R"(["country.name"])"), (Json{{"country", {{"name", "DE"}}}}));
  EXPECT_EQ(payload(R"({"include": ["country.name", "country.code", "top"]})"),
            (Json{{"country", {{"name", "DE"}, {"code", 49}}}, {"top", true}}));
  EXPECT_EQ(payload(R"(["cities[].name"])"), (Json{{"cities", Json::array({{{"name", "a"}}, {{"name", "b"}}})}}));
  EXPECT_EQ(payload(R"(["country.missing", "nothing.here"])"), Json::object());
  EXPECT_EQ(payload(R"(["a.b"])"), (Json{{"a.b", 5}}));  // a top-level key with a dot in its name
  EXPECT_EQ(payload(R"({"exclude": ["country.code", "cities[].pop", "a.b", "top"]})"),
            (Json{{"country", {{"name", "DE"}}}, {"cities", Json::array({{{"name", "a"}}, {{"name", "b"}}})}}));
}

// Vectors and scores are float32: printed as the shortest decimal that reads back as the same float, as
// Qdrant prints them, not as the double a float widens to.
TEST_F(HttpApiTest, FloatsPrintedShortest) {
  ASSERT_EQ(Ok("PUT", "/collections/c", R"({"vectors": {"size": 3, "distance": "Dot"}})"), true);
  Ok("PUT", "/collections/c/points?wait=true", R"({"points": [{"id": 1, "vector": [0.05, 0.1, -1e-7]}]})");
  Json got = Ok("POST", "/collections/c/points", R"({"ids": [1], "with_vector": true})");
  EXPECT_EQ(got[0]["vector"].dump(), "[0.05,0.1,-1e-07]");
  Json hits = Ok("POST", "/collections/c/points/query", R"({"query": [1, 0.5, 0], "limit": 1})");
  EXPECT_EQ(hits["points"][0]["score"].dump(), "0.1");  // 0.05 + 0.05 in float32
}

TEST_F(HttpApiTest, PayloadIndexParams) {
  Numbered(2);
  EXPECT_EQ(Ok("PUT", "/collections/c/index?wait=true",
               R"({"field_name": "n", "field_schema": {"type": "integer", "lookup": true, "range": false}})")["status"],
            "completed");
  EXPECT_EQ(Ok("PUT", "/collections/c/index?wait=true",
               R"({"field_name": "k", "field_schema": {"type": "keyword", "is_tenant": false, "on_disk": false}})")["status"],
            "completed");
  EXPECT_EQ(Error(422, "PUT", "/collections/c/index",
                  R"({"field_name": "m", "field_schema": {"type": "integer", "lookup": false, "range": false}})"),
            "Validation error in JSON body: field_schema: an integer index needs lookup or range (or both)");
  EXPECT_EQ(Error(400, "PUT", "/collections/c/index",
                  R"({"field_name": "m", "field_schema": {"type": "keyword", "is_tenant": true}})"),
            "Wrong input: `field_schema.is_tenant` = true is not supported: govector's payload indexes have no "
            "storage or layout options");
  EXPECT_EQ(Error(400, "PUT", "/collections/c/index",
                  R"({"field_name": "m", "field_schema": {"type": "keyword", "lookup": true}})"),
            "Wrong input: `field_schema.lookup` is not supported: only an integer index has it");
  EXPECT_EQ(Error(400, "PUT", "/collections/c/index",
                  R"({"field_name": "m", "field_schema": {"type": "text", "tokenizer": "word"}})"),
            "Wrong input: unknown or unsupported field `field_schema.tokenizer`");
  EXPECT_FALSE(Ok("GET", "/collections/c")["payload_schema"].contains("m"));
}

// POST /points/batch: the operations in order, one update result each; a bad operation anywhere changes nothing.
TEST_F(HttpApiTest, UpdateBatch) {
  Numbered(3);
  Json r = Ok("POST", "/collections/c/points/batch?wait=true", R"({"operations": [
      {"upsert": {"points": [{"id": 10, "vector": [1, 1], "payload": {"n": 10}}]}},
      {"set_payload": {"payload": {"tag": "new"}, "points": [10, 1]}},
      {"overwrite_payload": {"payload": {"only": true}, "points": [2]}},
      {"delete_payload": {"keys": ["n"], "points": [1]}},
      {"clear_payload": {"points": [3]}},
      {"delete": {"points": [3]}}]})");
  ASSERT_EQ(r.size(), 6u);
  for (const Json& u : r) EXPECT_EQ(u["status"], "completed");
  Json all = Ok("POST", "/collections/c/points/scroll", R"({"limit": 10})")["points"];
  EXPECT_EQ(all, (Json::array({{{"id", 1}, {"payload", {{"tag", "new"}}}},
                               {{"id", 2}, {"payload", {{"only", true}}}},
                               {{"id", 10}, {"payload", {{"n", 10}, {"tag", "new"}}}}})));
  // Checked before anything runs: the upsert ahead of the bad operation is not written.
  EXPECT_EQ(Error(404, "POST", "/collections/c/points/batch", R"({"operations": [
      {"upsert": {"points": [{"id": 11, "vector": [1, 1]}]}},
      {"set_payload": {"payload": {"a": 1}, "points": [99]}}]})"),
            "Not found: No point with id 99 found");
  EXPECT_EQ(Error(400, "POST", "/collections/c/points/batch", R"({"operations": [
      {"upsert": {"points": [{"id": 11, "vector": [1, 1]}]}}, {"upsert": {"points": [{"id": 12, "vector": [1]}]}}]})"),
            "Wrong input: Vector dimension error: expected dim: 2, got 1");
  EXPECT_EQ(Error(400, "POST", "/collections/c/points/batch",
                  R"({"operations": [{"update_vectors": {"points": [{"id": 1, "vector": [0, 1]}]}}]})"),
            "Wrong input: `operations[0].update_vectors` is not supported yet: upsert the whole point instead");
  EXPECT_EQ(Error(422, "POST", "/collections/c/points/batch", R"({"operations": [{"frobnicate": {}}]})"),
            "Validation error in JSON body: operations[0]: unknown operation \"frobnicate\" (upsert, delete, "
            "set_payload, overwrite_payload, delete_payload, clear_payload)");
  EXPECT_EQ(Ok("POST", "/collections/c/points/count", "{}")["count"], 3);
}

TEST_F(HttpApiTest, Facet) {
  ASSERT_EQ(Ok("PUT", "/collections/c", R"({"vectors": {"size": 2, "distance": "Dot"}})"), true);
  Ok("PUT", "/collections/c/points?wait=true", R"({"points": [
      {"id": 1, "vector": [1, 0], "payload": {"color": "red", "size": 1, "tags": ["a", "b", "a"]}},
      {"id": 2, "vector": [1, 0], "payload": {"color": "blue", "size": 2, "tags": ["b"]}},
      {"id": 3, "vector": [1, 0], "payload": {"color": "red", "size": 2, "tags": "c"}},
      {"id": 4, "vector": [1, 0], "payload": {"color": 7, "size": "big"}},
      {"id": 5, "vector": [1, 0], "payload": {}}]})");
  EXPECT_EQ(Error(400, "POST", "/collections/c/facet", R"({"key": "color"})"),
            "Bad request: Index required but not found for \"color\" of one of the following types: [keyword, "
            "integer, bool, uuid]. Help: Create an index for this key or use a different filter.");
  Ok("PUT", "/collections/c/index?wait=true", R"({"field_name": "color", "field_schema": "keyword"})");
  Ok("PUT", "/collections/c/index?wait=true", R"({"field_name": "size", "field_schema": "integer"})");
  Ok("PUT", "/collections/c/index?wait=true", R"({"field_name": "tags", "field_schema": "keyword"})");
  EXPECT_EQ(Ok("POST", "/collections/c/facet", R"({"key": "color"})"),
            (Json{{"hits", {{{"value", "red"}, {"count", 2}}, {{"value", "blue"}, {"count", 1}}}}}));
  EXPECT_EQ(Ok("POST", "/collections/c/facet", R"({"key": "size", "exact": true})"),
            (Json{{"hits", {{{"value", 2}, {"count", 2}}, {{"value", 1}, {"count", 1}}}}}));
  // A point counts once per distinct value; ties by value.
  EXPECT_EQ(Ok("POST", "/collections/c/facet", R"({"key": "tags", "limit": 2})"),
            (Json{{"hits", {{{"value", "b"}, {"count", 2}}, {{"value", "a"}, {"count", 1}}}}}));
  EXPECT_EQ(Ok("POST", "/collections/c/facet",
               R"({"key": "color", "filter": {"must": [{"key": "size", "match": {"value": 2}}]}})"),
            (Json{{"hits", {{{"value", "blue"}, {"count", 1}}, {{"value", "red"}, {"count", 1}}}}}));
  EXPECT_EQ(Error(422, "POST", "/collections/c/facet", "{}"), "Validation error in JSON body: key: expected a payload key");
  EXPECT_EQ(Error(404, "POST", "/collections/nope/facet", R"({"key": "color"})"),
            "Not found: Collection `nope` doesn't exist!");
}

// Recommendations with the average_vector strategy: query = avg(pos) + (avg(pos) - avg(neg)), examples given by
// id left out of the results.
TEST_F(HttpApiTest, Recommend) {
  ASSERT_EQ(Ok("PUT", "/collections/c", R"({"vectors": {"size": 2, "distance": "Dot"}})"), true);
  Ok("PUT", "/collections/c/points?wait=true", R"({"points": [
      {"id": 1, "vector": [1, 0]}, {"id": 2, "vector": [0.9, 0.1]}, {"id": 3, "vector": [0, 1]},
      {"id": 4, "vector": [-1, 0]}, {"id": 5, "vector": [0.5, 0.5]}]})");
  // Positive 1 alone: query (1, 0); 1 itself is left out.
  Json hits = Ok("POST", "/collections/c/points/query", R"({"query": {"recommend": {"positive": [1]}}, "limit": 2})");
  EXPECT_EQ(Ids(hits["points"]), (std::vector<Json>{2, 5}));
  // Positive 5, negative 1: query 2 * (0.5, 0.5) - (1, 0) = (0, 1): point 3 first, 4 and 2 after 3.
  hits = Ok("POST", "/collections/c/points/query",
            R"({"query": {"recommend": {"positive": [5], "negative": [1], "strategy": "average_vector"}}, "limit": 1})");
  EXPECT_EQ(Ids(hits["points"]), (std::vector<Json>{3}));
  EXPECT_FLOAT_EQ(hits["points"][0]["score"].get<float>(), 1.0f);
  // Vectors as examples are not excluded; the filter still applies.
  hits = Ok("POST", "/collections/c/points/recommend",
            R"({"positive": [[1, 0]], "limit": 3, "filter": {"must_not": [{"has_id": [2]}]}})");
  EXPECT_EQ(Ids(hits), (std::vector<Json>{1, 5, 3}));
  EXPECT_EQ(Error(404, "POST", "/collections/c/points/recommend", R"({"positive": [9]})"),
            "Not found: No point with id 9 found");
  EXPECT_EQ(Error(400, "POST", "/collections/c/points/recommend", R"({"positive": [1], "strategy": "best_score"})"),
            "Wrong input: `recommend.strategy` = \"best_score\" is not supported: only the average_vector strategy "
            "is implemented yet");
  EXPECT_EQ(Error(400, "POST", "/collections/c/points/recommend", R"({"negative": [1]})"),
            "Wrong input: recommend with the average_vector strategy needs at least one positive example");
  EXPECT_EQ(Error(400, "POST", "/collections/c/points/recommend", R"({"positive": [[1, 0, 0]]})"),
            "Wrong input: Vector dimension error: expected dim: 2, got 3");
  Json batch = Ok("POST", "/collections/c/points/recommend/batch",
                  R"({"searches": [{"positive": [1], "limit": 1}, {"positive": [3], "limit": 1}]})");
  EXPECT_EQ(Ids(batch[0]), (std::vector<Json>{2}));
  EXPECT_EQ(Ids(batch[1]), (std::vector<Json>{5}));
}

// Scroll ordered by a payload key with a range index: by value then id, a point once per value, from
// start_from on, no next page.
TEST_F(HttpApiTest, ScrollOrderBy) {
  ASSERT_EQ(Ok("PUT", "/collections/c", R"({"vectors": {"size": 2, "distance": "Dot"}})"), true);
  Ok("PUT", "/collections/c/points?wait=true", R"({"points": [
      {"id": 1, "vector": [1, 0], "payload": {"price": 30, "at": "2024-03-01T00:00:00Z"}},
      {"id": 2, "vector": [1, 0], "payload": {"price": 10, "at": "2024-01-01T00:00:00Z"}},
      {"id": 3, "vector": [1, 0], "payload": {"price": [20, 40], "at": "2024-02-01T00:00:00+01:00"}},
      {"id": 4, "vector": [1, 0], "payload": {"price": 10}},
      {"id": 5, "vector": [1, 0], "payload": {"price": "cheap"}}]})");
  Ok("PUT", "/collections/c/index?wait=true", R"({"field_name": "price", "field_schema": "integer"})");
  Ok("PUT", "/collections/c/index?wait=true", R"({"field_name": "at", "field_schema": "datetime"})");
  auto ids = [&](const std::string& body) {
    Json page = Ok("POST", "/collections/c/points/scroll", body);
    EXPECT_TRUE(page["next_page_offset"].is_null());
    return Ids(page["points"]);
  };
  EXPECT_EQ(ids(R"({"order_by": "price"})"), (std::vector<Json>{2, 4, 3, 1, 3}));
  EXPECT_EQ(ids(R"({"order_by": {"key": "price", "direction": "desc"}, "limit": 3})"), (std::vector<Json>{3, 1, 3}));
  EXPECT_EQ(ids(R"({"order_by": {"key": "price", "start_from": 15}})"), (std::vector<Json>{3, 1, 3}));
  EXPECT_EQ(ids(R"({"order_by": {"key": "price", "direction": "desc", "start_from": 25}})"),
            (std::vector<Json>{3, 2, 4}));
  EXPECT_EQ(ids(R"({"order_by": "price", "filter": {"must": [{"has_id": [1, 2]}]}})"), (std::vector<Json>{2, 1}));
  EXPECT_EQ(ids(R"({"order_by": {"key": "at", "start_from": "2024-01-15T00:00:00Z"}})"), (std::vector<Json>{3, 1}));
  Json page = Ok("POST", "/collections/c/points/scroll", R"({"order_by": "price", "limit": 1, "with_payload": ["price"]})");
  EXPECT_EQ(page["points"][0], (Json{{"id", 2}, {"payload", {{"price", 10}}}}));
  EXPECT_EQ(Error(400, "POST", "/collections/c/points/scroll", R"({"order_by": "price", "offset": 2})"),
            "Bad request: Cannot use an `offset` when using `order_by`");
  EXPECT_EQ(Error(422, "POST", "/collections/c/points/scroll", R"({"order_by": {"key": "price", "direction": "up"}})"),
            "Validation error in JSON body: order_by.direction: expected asc or desc");
}

TEST_F(HttpApiTest, SearchResults) {
  Numbered(4);
  Json hits = Ok("POST", "/collections/c/points/search", R"({"vector": [1, 0], "limit": 2})");
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(Ids(hits), (std::vector<Json>{4, 3}));
  EXPECT_EQ(hits[0]["score"], 4.0);
  EXPECT_TRUE(hits[0]["version"].is_number_unsigned());
  EXPECT_EQ(hits[0].size(), 3u);  // id, version, score: no payload unless asked for
  hits = Ok("POST", "/collections/c/points/search",
            R"({"vector": [1, 0], "limit": 1, "offset": 1, "with_payload": true, "with_vector": true})");
  EXPECT_EQ(hits[0]["id"], 3);
  EXPECT_EQ(hits[0]["payload"], (Json{{"n", 3}}));
  EXPECT_EQ(hits[0]["vector"], (Json{3.0, 1.0}));
  hits = Ok("POST", "/collections/c/points/search", R"({"vector": [1, 0], "score_threshold": 2.5})");
  EXPECT_EQ(Ids(hits), (std::vector<Json>{4, 3}));
  hits = Ok("POST", "/collections/c/points/search",
            R"({"vector": [1, 0], "filter": {"must": [{"key": "n", "range": {"lt": 3}}]}, "params": {"exact": true}})");
  EXPECT_EQ(Ids(hits), (std::vector<Json>{2, 1}));

  EXPECT_EQ(Error(422, "POST", "/collections/c/points/search", "{}"),
            "Validation error in JSON body: vector: required");
  EXPECT_EQ(Error(422, "POST", "/collections/c/points/search", R"({"vector": [1, 0], "limit": 0})"),
            "Validation error in JSON body: limit must be between 1 and 10000, got 0");
  EXPECT_EQ(Error(422, "POST", "/collections/c/points/search", R"({"vector": [1, 0], "params": {"exact": 1}})"),
            "Validation error in JSON body: exact: expected true or false, got 1");
  EXPECT_EQ(Error(422, "POST", "/collections/c/points/search", R"({"vector": [1, "a"]})"),
            "Validation error in JSON body: vector: expected numbers, got \"a\"");
  EXPECT_EQ(Error(404, "POST", "/collections/nope/points/search", R"({"vector": [1, 0]})"),
            "Not found: Collection `nope` doesn't exist!");
}

TEST_F(HttpApiTest, QueryForms) {
  Numbered(4);
  auto ids = [&](const std::string& body) { return Ids(Ok("POST", "/collections/c/points/query", body)["points"]); };
  EXPECT_EQ(ids(R"({"query": [1, 0], "limit": 2})"), (std::vector<Json>{4, 3}));
  EXPECT_EQ(ids(R"({"query": {"nearest": [1, 0]}, "limit": 2})"), (std::vector<Json>{4, 3}));
  EXPECT_EQ(ids(R"({"query": 4, "limit": 2})"), (std::vector<Json>{3, 2}));  // by id: the point itself left out
  EXPECT_EQ(ids(R"({"query": [1, 0], "limit": 2, "using": ""})"), (std::vector<Json>{4, 3}));

  EXPECT_EQ(Error(400, "POST", "/collections/c/points/query", R"({"query": [1, 0], "using": "image"})"),
            "Wrong input: named vectors are not supported (\"using\")");
  EXPECT_EQ(Error(400, "POST", "/collections/c/points/query", R"({"prefetch": {"query": [1, 0]}})"),
            "Wrong input: prefetch is not supported");
  EXPECT_EQ(Error(400, "POST", "/collections/c/points/query", R"({"query": {"discover": {}}})"),
            "Wrong input: unsupported query \"discover\" (use a vector, a point id, {\"nearest\": ...} or "
            "{\"recommend\": ...})");
  EXPECT_EQ(Error(422, "POST", "/collections/c/points/query", R"({"query": true})"),
            "Validation error in JSON body: query: expected a vector, a point id or {\"nearest\": ...}");
  EXPECT_EQ(Error(422, "POST", "/collections/c/points/query", "[]"),
            "Validation error in JSON body: expected an object");
}

// No query: points in id order with score 0, the offset skipped.
TEST_F(HttpApiTest, QueryWithoutVector) {
  Numbered(5);
  Json points =
      Ok("POST", "/collections/c/points/query", R"({"limit": 2, "offset": 1, "with_payload": true})")["points"];
  ASSERT_EQ(points.size(), 2u);
  EXPECT_EQ(Ids(points), (std::vector<Json>{2, 3}));
  EXPECT_EQ(points[0]["score"], 0);
  EXPECT_EQ(points[0]["payload"], (Json{{"n", 2}}));
  EXPECT_TRUE(points[0]["version"].is_number_unsigned());
  EXPECT_EQ(Ok("POST", "/collections/c/points/query", R"({"offset": 5})")["points"], Json::array());
  EXPECT_EQ(Ids(Ok("POST", "/collections/c/points/query",
                   R"({"filter": {"must": [{"key": "n", "range": {"gt": 3}}]}})")["points"]),
            (std::vector<Json>{4, 5}));
}

// Maximal marginal relevance: with high diversity the runner-up that nearly repeats the best is passed over.
TEST_F(HttpApiTest, QueryWithMmr) {
  ASSERT_EQ(Ok("PUT", "/collections/m", R"({"vectors": {"size": 2, "distance": "Cosine"}})"), true);
  Ok("PUT", "/collections/m/points?wait=true",
     R"({"points": [{"id": 1, "vector": [1, 0]}, {"id": 2, "vector": [0.99, 0.01]},
                    {"id": 3, "vector": [0.7, 0.7]}]})");
  auto query = [&](const std::string& body) { return Ok("POST", "/collections/m/points/query", body)["points"]; };
  EXPECT_EQ(Ids(query(R"({"query": [1, 0], "limit": 2})")), (std::vector<Json>{1, 2}));
  Json picked =
      query(R"({"query": {"nearest": [1, 0], "mmr": {"diversity": 0.9, "candidates_limit": 3}}, "limit": 2})");
  EXPECT_EQ(Ids(picked), (std::vector<Json>{1, 3}));
  EXPECT_FALSE(picked[0].contains("vector"));  // read for MMR, not returned unless asked for
  EXPECT_NEAR(picked[1]["score"].get<double>(), std::sqrt(0.5), 1e-3);
  picked = query(R"({"query": {"nearest": [1, 0], "mmr": {"diversity": 0.9, "candidates_limit": 3}}, "limit": 1,
                     "offset": 1, "with_vector": true})");
  EXPECT_EQ(Ids(picked), (std::vector<Json>{3}));
  EXPECT_TRUE(picked[0].contains("vector"));
  EXPECT_EQ(Ids(query(R"({"query": {"nearest": [1, 0], "mmr": {"diversity": 0}}, "limit": 2})")),
            (std::vector<Json>{1, 2}));
  EXPECT_EQ(
      Error(400, "POST", "/collections/m/points/query", R"({"query": {"nearest": [1, 0], "mmr": {"diversity": 2}}})"),
      "Wrong input: mmr.diversity must be between 0 and 1");
  EXPECT_EQ(
      Error(422, "POST", "/collections/m/points/query", R"({"query": {"nearest": [1, 0], "mmr": {"diversity": "x"}}})"),
      "Validation error in JSON body: mmr.diversity: expected a number between 0 and 1");
}

TEST_F(HttpApiTest, Batches) {
  Numbered(3);
  Json out = Ok("POST", "/collections/c/points/query/batch",
                R"({"searches": [{"query": [1, 0], "limit": 1}, {"query": 1, "limit": 1}]})");
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(Ids(out[0]["points"]), (std::vector<Json>{3}));
  EXPECT_EQ(Ids(out[1]["points"]), (std::vector<Json>{3}));
  out = Ok("POST", "/collections/c/points/search/batch", R"({"searches": [{"vector": [1, 0], "limit": 2}]})");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(Ids(out[0]), (std::vector<Json>{3, 2}));
  // One failing request fails the batch with its own error.
  EXPECT_EQ(Error(422, "POST", "/collections/c/points/search/batch", R"({"searches": [{"vector": [1, 0]}, {}]})"),
            "Validation error in JSON body: vector: required");
  // Bounded: searches per batch, and points asked for in all (the sum of the limits), before any search runs.
  Json many = Json::array();
  for (int i = 0; i < 1001; ++i) many.push_back({{"query", {1, 0}}, {"limit", 1}});
  EXPECT_EQ(Error(400, "POST", "/collections/c/points/query/batch", Json{{"searches", many}}.dump()),
            "Wrong input: a batch holds at most 1000 queries, not 1001");
  many.erase(many.begin());
  EXPECT_EQ(Ok("POST", "/collections/c/points/query/batch", Json{{"searches", many}}.dump()).size(), 1000u);
  EXPECT_EQ(Error(400, "POST", "/collections/c/points/search/batch",
                  R"({"searches": [{"vector": [1, 0], "limit": 6000}, {"vector": [0, 1], "limit": 4001}]})"),
            "Wrong input: the searches of a batch ask for 10001 points in all (the sum of their limits); at most "
            "10000 are answered at once: split the batch");
  EXPECT_EQ(Ok("POST", "/collections/c/points/search/batch",
               R"({"searches": [{"vector": [1, 0], "limit": 6000}, {"vector": [0, 1], "limit": 4000}]})").size(), 2u);
  EXPECT_EQ(Error(422, "POST", "/collections/c/points/query/batch", "{}"),
            "Validation error in JSON body: searches: expected an array of queries");
  EXPECT_EQ(Error(422, "POST", "/collections/c/points/search/batch", R"({"searches": 1})"),
            "Validation error in JSON body: searches: expected an array of searches");
}

TEST(HttpApiErrors, StatusesOfEngineCodes) {
  EXPECT_EQ(ErrorFromStatus(Status::InvalidArgument("x")).status, 400);
  EXPECT_EQ(ErrorFromStatus(Status::InvalidFilter("x")).message, "Wrong input: x");
  EXPECT_EQ(ErrorFromStatus(Status::NotFound("x")).message, "Not found: x");
  EXPECT_EQ(ErrorFromStatus(Status::AlreadyExists("x")).status, 409);
  ApiError full = ErrorFromStatus(Status::ResourceExhausted("x"));
  EXPECT_EQ(full.status, 507);
  EXPECT_EQ(full.message, "Insufficient storage: x");
  EXPECT_EQ(ErrorFromStatus(Status::Unavailable("x")).status, 503);
  ApiError internal = ErrorFromStatus(Status::IOError("disk"));
  EXPECT_EQ(internal.status, 500);
  EXPECT_EQ(internal.message, "Service internal error: disk");
  EXPECT_EQ(ValidationError("x").status, 422);
  ApiReply reply = ErrorReply({418, "teapot"});
  EXPECT_EQ(reply.status, 418);
  EXPECT_EQ(reply.body, (Json{{"status", {{"error", "teapot"}}}}));
}

}  // namespace
}  // namespace govector
