// The QdrantApi's errors. Its operations are in http_collections.cc, http_points.cc and http_query.cc, written
// with the JSON helpers of http_json.cc.
#include "server/http_api.h"

namespace govector {

ApiError ErrorFromStatus(const Status& s) {
  switch (s.code()) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kInvalidFilter:
      return {400, "Wrong input: " + s.message()};
    case StatusCode::kNotFound: return {404, "Not found: " + s.message()};
    case StatusCode::kAlreadyExists: return {409, "Wrong input: " + s.message()};
    case StatusCode::kResourceExhausted: return {507, "Insufficient storage: " + s.message()};
    case StatusCode::kUnavailable: return {503, "Service unavailable: " + s.message()};
    default: return {500, "Service internal error: " + s.message()};
  }
}

ApiError ValidationError(const std::string& what) { return {422, "Validation error in JSON body: " + what}; }

}  // namespace govector
