// The JSON input and output helpers the Qdrant routes (http_collections.cc, http_points.cc, http_query.cc) are
// written with: reading fields of a request body with Qdrant's validation errors, and building the points and
// update results they answer with.
//
// Contract: a helper that finds the request wrong throws a Failure, and only Guard() catches it; every route
// runs its body inside Guard(), so no exception leaves the QdrantApi. Nothing here is for use outside those
// routes (they live in govector::http so that their short names stay out of the rest of the server).
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/http_api.h"

namespace govector::http {

using Json = nlohmann::json;

// The exception that carries a route's error to Guard().
struct Failure {
  ApiError error;
};

[[noreturn]] void Fail(ApiError e);
// 422: the body does not have the expected shape.
[[noreturn]] void Invalid(const std::string& what);
// Fails with the ApiError of a status that is not OK.
void Check(const Status& s);
template <typename T>
T Take(Result<T> r) {
  if (!r.ok()) Fail(ErrorFromStatus(r.status()));
  return std::move(r).value();
}

// Runs a route: its JSON result, or the error it failed with (500 for any other exception).
ApiResult Guard(const std::function<Json()>& fn);

// body[key] when body is an object that has it and it is not null; else nullptr.
const Json* Field(const Json& body, const char* key);
// An integer field between min and max; fallback when absent.
uint32_t UInt(const Json& body, const char* key, uint32_t fallback, uint32_t min, uint32_t max);
// A boolean field; fallback when absent.
bool Flag(const Json& body, const char* key, bool fallback);

// Honest configuration: Qdrant settings govector does not implement are refused (400, naming the field), never
// accepted and dropped. `where` is the path of `obj` in the body ("" at the top, "hnsw_config", ...).
// Refuses every key of obj that is not one of `known` (and not null).
void KnownFields(const Json& obj, const std::string& where, std::initializer_list<std::string_view> known);
// Refuses obj[key] unless it is absent, null, or equal to `value` (what govector does anyway). `why` says what
// govector does instead.
void OnlyValue(const Json& obj, const std::string& where, const char* key, const Json& value, const std::string& why);
// Refuses obj[key] unless it is absent or null.
void NotSupported(const Json& obj, const std::string& where, const char* key, const std::string& why);
// A positive integer field that govector fixes at 1 (shards, replicas): 0 is Qdrant's 422, above 1 a 400.
void OnlyOne(const Json& obj, const char* key, const std::string& why);

// A point id as Qdrant accepts it (see http_json.cc).
PointId IdFromJson(const Json& j);
std::vector<PointId> IdList(const Json& j, const char* what);
// A vector: an array of numbers, or a map with one unnamed ("") vector.
std::vector<float> VectorFromJson(const Json& j, const char* what);
// The body's "filter", or nullptr when it has none.
std::shared_ptr<const Filter> FilterFromJson(const Json& body);
// The body's "points" (a list of ids) or "filter": which points a delete or payload operation touches.
PointSelector SelectorFromJson(const Json& body);

// ?wait=true: answer once the write is on disk.
Durability ToDurability(bool wait);
// The result of a write: {"operation_id", "status": "completed" (waited for) or "acknowledged"}.
Json UpdateResult(uint64_t version, bool wait);

// with_payload: true/false, a list of keys, {"include": [...]} or {"exclude": [...]}.
struct PayloadSelector {
  bool enabled = false;
  std::vector<std::string> include, exclude;

  static PayloadSelector From(const Json& body, bool fallback);
  // The payload with only the selected keys.
  Json Apply(const Json& payload) const;
};

// with_vector: a boolean, or a list of vector names (non-empty: the vector).
bool WithVector(const Json& body, bool fallback);

// A float32 as Qdrant prints it: the shortest decimal that reads back as the same float (0.05, not the
// double 0.05000000074505806), as the double nearest that decimal.
double ShortestDouble(float f);
Json FloatsJson(const std::vector<float>& v);

// A point as Qdrant shows it: {"id"}, the "payload" when selected (as the selector filters it) and the
// "vector" when it was read.
Json PointJson(const PointId& id, const std::optional<Json>& payload, const std::optional<std::vector<float>>& vector,
               const PayloadSelector& sel);
// The same for any engine point (Record, ScoredPoint).
template <typename Point>
Json PointJson(const Point& p, const PayloadSelector& sel) {
  return PointJson(p.id, p.payload, p.vector, sel);
}
// Qdrant stores a cosine collection's vectors normalised and reads them back so; govector keeps them as
// written (SQL reads them back unchanged). The routes show them as Qdrant would: normalised, for cosine.
void NormalizeForCosine(Engine* engine, uint32_t ns, const std::string& name,
                        std::vector<std::optional<std::vector<float>>*> vectors);
template <typename Point>
void QdrantVectors(Engine* engine, uint32_t ns, const std::string& name, std::vector<Point>* points) {
  std::vector<std::optional<std::vector<float>>*> vectors;
  for (Point& p : *points)
    if (p.vector) vectors.push_back(&p.vector);
  if (!vectors.empty()) NormalizeForCosine(engine, ns, name, std::move(vectors));
}
// A query result: the point with its "version" and "score".
template <typename Point>
Json ScoredJson(const Point& p, float score, const PayloadSelector& sel) {
  Json r = PointJson(p, sel);
  r["version"] = p.version;
  r["score"] = ShortestDouble(score);
  return r;
}

}  // namespace govector::http
