// QdrantApi: Qdrant's REST operations (shapes in shared/reference/qdrant-rest-api.md) on the engine, without
// anything HTTP-specific: each operation takes the request's JSON body and path parameters and returns the
// result JSON (what goes under "result") or an ApiError naming the HTTP status. http_server.cc routes to it.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/engine.h"

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

// The ApiError for an engine status (400 bad input, 404 unknown, 409 duplicate, 500 otherwise).
ApiError ErrorFromStatus(const Status& s);
// 422 for JSON that parses but does not have the expected shape.
ApiError ValidationError(const std::string& what);

class QdrantApi {
 public:
  QdrantApi(Engine* engine, uint32_t namespace_id) : engine_(engine), ns_(namespace_id) {}

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
  ApiResult DeletePoints(const std::string& name, const nlohmann::json& body, bool wait);
  ApiResult SetPayload(const std::string& name, const nlohmann::json& body, bool overwrite, bool wait);
  ApiResult DeletePayload(const std::string& name, const nlohmann::json& body, bool wait);
  ApiResult ClearPayload(const std::string& name, const nlohmann::json& body, bool wait);

  // Search.
  ApiResult Query(const std::string& name, const nlohmann::json& body);
  ApiResult QueryBatch(const std::string& name, const nlohmann::json& body);
  ApiResult Search(const std::string& name, const nlohmann::json& body);
  ApiResult SearchBatch(const std::string& name, const nlohmann::json& body);

 private:
  Engine* engine_;
  uint32_t ns_;
};

}  // namespace govector
