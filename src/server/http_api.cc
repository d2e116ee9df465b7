// Qdrant's routes, the envelope of their answers and the errors they give. The operations themselves are in
// http_collections.cc, http_points.cc and http_query.cc, written with the JSON helpers of http_json.cc.
#include "server/http_api.h"

#include <regex>

#include "engine/json_exact.h"

namespace govector {

ApiError ErrorFromStatus(const Status& s) {
  switch (s.code()) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kInvalidFilter:
      return {400, "Wrong input: " + s.message()};
    case StatusCode::kNotFound: return {404, "Not found: " + s.message()};
    case StatusCode::kAlreadyExists: return {409, "Wrong input: " + s.message()};
    case StatusCode::kResourceExhausted:
    case StatusCode::kDiskFull: return {507, "Insufficient storage: " + s.message()};
    case StatusCode::kUnavailable: return {503, "Service unavailable: " + s.message()};
    // What Qdrant answers a write it does not take (a read-only API key or node).
    case StatusCode::kReadOnly: return {403, "Forbidden: " + s.message()};
    default: return {500, "Service internal error: " + s.message()};
  }
}

ApiError ValidationError(const std::string& what) { return {422, "Validation error in JSON body: " + what}; }

const std::vector<ApiRoute>& QdrantRoutes() {
  using Q = QdrantApi;
  using R = ApiRequest;
  using J = nlohmann::json;
  static const std::vector<ApiRoute> routes = {
      {"GET", "/collections", [](Q& a, const R&, const J&) { return a.ListCollections(); }},
      {"PUT", "/collections/{name}", [](Q& a, const R& r, const J& b) { return a.CreateCollection(r.name, b); }},
      {"DELETE", "/collections/{name}", [](Q& a, const R& r, const J&) { return a.DeleteCollection(r.name); }},
      {"GET", "/collections/{name}", [](Q& a, const R& r, const J&) { return a.GetCollection(r.name); }},
      {"GET", "/collections/{name}/exists", [](Q& a, const R& r, const J&) { return a.CollectionExists(r.name); }},
      {"PUT", "/collections/{name}/index",
       [](Q& a, const R& r, const J& b) { return a.CreateFieldIndex(r.name, b, r.wait); }},
      {"DELETE", "/collections/{name}/index/{field}",
       [](Q&, const R&, const J&) {
         return ApiResult(ApiError{400, "Wrong input: payload indexes cannot be deleted yet"});
       }},
      {"PUT", "/collections/{name}/points", [](Q& a, const R& r, const J& b) { return a.Upsert(r.name, b, r.wait); }},
      {"POST", "/collections/{name}/points", [](Q& a, const R& r, const J& b) { return a.Retrieve(r.name, b); }},
      {"POST", "/collections/{name}/points/scroll", [](Q& a, const R& r, const J& b) { return a.Scroll(r.name, b); }},
      {"POST", "/collections/{name}/points/count", [](Q& a, const R& r, const J& b) { return a.Count(r.name, b); }},
      {"POST", "/collections/{name}/facet", [](Q& a, const R& r, const J& b) { return a.Facet(r.name, b); }},
      {"POST", "/collections/{name}/points/delete",
       [](Q& a, const R& r, const J& b) { return a.DeletePoints(r.name, b, r.wait); }},
      {"POST", "/collections/{name}/points/payload",
       [](Q& a, const R& r, const J& b) { return a.SetPayload(r.name, b, false, r.wait); }},
      {"PUT", "/collections/{name}/points/payload",
       [](Q& a, const R& r, const J& b) { return a.SetPayload(r.name, b, true, r.wait); }},
      {"POST", "/collections/{name}/points/payload/delete",
       [](Q& a, const R& r, const J& b) { return a.DeletePayload(r.name, b, r.wait); }},
      {"POST", "/collections/{name}/points/payload/clear",
       [](Q& a, const R& r, const J& b) { return a.ClearPayload(r.name, b, r.wait); }},
      {"POST", "/collections/{name}/points/batch",
       [](Q& a, const R& r, const J& b) { return a.UpdateBatch(r.name, b, r.wait); }},
      {"POST", "/collections/{name}/points/query", [](Q& a, const R& r, const J& b) { return a.Query(r.name, b); }},
      {"POST", "/collections/{name}/points/query/batch",
       [](Q& a, const R& r, const J& b) { return a.QueryBatch(r.name, b); }},
      {"POST", "/collections/{name}/points/search", [](Q& a, const R& r, const J& b) { return a.Search(r.name, b); }},
      {"POST", "/collections/{name}/points/search/batch",
       [](Q& a, const R& r, const J& b) { return a.SearchBatch(r.name, b); }},
      {"POST", "/collections/{name}/points/recommend",
       [](Q& a, const R& r, const J& b) { return a.Recommend(r.name, b); }},
      {"POST", "/collections/{name}/points/recommend/batch",
       [](Q& a, const R& r, const J& b) { return a.RecommendBatch(r.name, b); }},
      // After the fixed sub-paths above, so "scroll", "count" and the rest are not taken for ids.
      {"GET", "/collections/{name}/points/{id}", [](Q& a, const R& r, const J&) { return a.GetPoint(r.name, r.key); }},
  };
  return routes;
}

std::string RoutePattern(const ApiRoute& route) {
  static const std::regex kParameter(R"(\{[^/{}]+\})");
  return std::regex_replace(route.path, kParameter, "([^/]+)") + "/?";
}

ApiReply ErrorReply(const ApiError& error) { return {error.status, {{"status", {{"error", error.message}}}}}; }

ApiReply Serve(QdrantApi& api, const ApiRoute& route, const ApiRequest& request, const std::string& body) {
  nlohmann::json json = nlohmann::json::object();
  if (!body.empty()) {
    if (Status exact = CheckJsonNumbers(body); !exact.ok())
      return ErrorReply({400, "Format error in JSON body: " + exact.message()});
    try {
      json = nlohmann::json::parse(body);
    } catch (const std::exception& e) {
      return ErrorReply({400, std::string("Format error in JSON body: ") + e.what()});
    }
  }
  ApiResult r = route.run(api, request, json);
  if (!r.ok()) return ErrorReply(r.error());
  return {200, {{"result", r.result()}, {"status", "ok"}}};
}

}  // namespace govector
