// QdrantApi: Qdrant's REST operations (shapes in shared/reference/qdrant-rest-api.md) on the engine, without
// anything HTTP-specific: each operation takes the request's JSON body and path parameters and returns the
// result JSON (what goes under "result") or an ApiError naming the HTTP status. QdrantRoutes() says which
// method and path reach which operation, and Serve() answers a request in Qdrant's envelope; http_server.cc
// registers the routes with the HTTP server.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/engine.h"
#include "server/pg_writer.h"

namespace govector {

struct ApiError {
  int status = 400;     // HTTP status
  std::string message;  // the error text, e.g. "Wrong input: ..."
};

// Either a result or an error.
class ApiResult {
 public:
  ApiResult(nlohmann::json result) : result_(std::move(result)) {}  // NOLINT
  ApiResult(ApiError error) : ok_(false), error_(std::move(error)) {}  // NOLINT
  bool ok() const { return ok_; }
  const nlohmann::json& result() const { return result_; }
  const ApiError& error() const { return error_; }

 private:
  bool ok_ = true;
  nlohmann::json result_;
  ApiError error_;
};

// The ApiError for an engine status (400 bad input, 404 unknown, 409 duplicate, 507 a limit hit, 503 not
// ready, 500 otherwise).
ApiError ErrorFromStatus(const Status& s);
// 422 for JSON that parses but does not have the expected shape.
ApiError ValidationError(const std::string& what);

class QdrantApi {
 public:
  // pg: where writes go under Postgres (each one a transaction, logged in WAL); null for the standalone
  // server, whose writes go to the engine directly.
  QdrantApi(Engine* engine, uint32_t namespace_id, PgWriter* pg = nullptr)
      : engine_(engine), ns_(namespace_id), pg_(pg) {}

  // Collections.
  ApiResult ListCollections();
  ApiResult CreateCollection(const std::string& name, const nlohmann::json& body);
  ApiResult DeleteCollection(const std::string& name);
  ApiResult GetCollection(const std::string& name);
  ApiResult CollectionExists(const std::string& name);
  ApiResult CreateFieldIndex(const std::string& name, const nlohmann::json& body, bool wait);

  // Points. `wait` is ?wait=true: answer once the write is on disk.
  ApiResult Upsert(const std::string& name, const nlohmann::json& body, bool wait);
  ApiResult Retrieve(const std::string& name, const nlohmann::json& body);
  ApiResult GetPoint(const std::string& name, const std::string& id);
  ApiResult Scroll(const std::string& name, const nlohmann::json& body);
  ApiResult Count(const std::string& name, const nlohmann::json& body);
  ApiResult Facet(const std::string& name, const nlohmann::json& body);
  ApiResult DeletePoints(const std::string& name, const nlohmann::json& body, bool wait);
  ApiResult SetPayload(const std::string& name, const nlohmann::json& body, bool overwrite, bool wait);
  ApiResult DeletePayload(const std::string& name, const nlohmann::json& body, bool wait);
  ApiResult ClearPayload(const std::string& name, const nlohmann::json& body, bool wait);
  ApiResult UpdateBatch(const std::string& name, const nlohmann::json& body, bool wait);

  // Search.
  ApiResult Query(const std::string& name, const nlohmann::json& body);
  ApiResult QueryBatch(const std::string& name, const nlohmann::json& body);
  ApiResult Search(const std::string& name, const nlohmann::json& body);
  ApiResult SearchBatch(const std::string& name, const nlohmann::json& body);
  ApiResult Recommend(const std::string& name, const nlohmann::json& body);
  ApiResult RecommendBatch(const std::string& name, const nlohmann::json& body);

 private:
  Engine* engine_;
  uint32_t ns_;
  PgWriter* pg_;
};

// The parts of an HTTP request a route reads besides its body.
struct ApiRequest {
  std::string name;   // the path's {name}: the collection
  std::string key;    // the path's second parameter ({id} or {field}), when it has one
  bool wait = false;  // ?wait=true
};

struct ApiRoute {
  const char* method;  // "GET", "POST", "PUT" or "DELETE"
  // The path, with each parameter a whole segment in braces ("/collections/{name}/points/{id}"). It names
  // the route in metrics and gives its pattern (RoutePattern).
  const char* path;
  ApiResult (*run)(QdrantApi& api, const ApiRequest& request, const nlohmann::json& body);
};

// Qdrant's routes, in the order they are to be tried: the first whose method and pattern match a request
// serves it (so "/points/scroll" comes before "/points/{id}").
const std::vector<ApiRoute>& QdrantRoutes();

// The regular expression a request's whole path must match for the route: each {parameter} one path segment,
// captured in order; a trailing slash is allowed.
std::string RoutePattern(const ApiRoute& route);

// An answer: the HTTP status and Qdrant's envelope, {"result": ..., "status": "ok"} or {"status": {"error":
// message}}. The HTTP server adds the envelope's "time".
struct ApiReply {
  int status = 200;
  nlohmann::json body;
};

ApiReply ErrorReply(const ApiError& error);

// Runs a route: parses the body (empty is {}; text that is not JSON is a 400) and answers.
ApiReply Serve(QdrantApi& api, const ApiRoute& route, const ApiRequest& request, const std::string& body);

}  // namespace govector
