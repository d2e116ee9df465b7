// Checks shared by committed writes and transaction overlays: see point_checks.h.
#include "engine/point_checks.h"

#include <cmath>
#include <cstring>
#include <unordered_map>

#include "engine/distance.h"
#include "engine/mmr.h"
#include "engine/payload_codec.h"

namespace govector {

namespace {
// Postgres's text and jsonb cannot hold U+0000: a payload with it could be written but never read from SQL.
const char* const kNulMessage =
    "payload has a NUL character (\\u0000) in a string or key, which Postgres text and jsonb cannot hold";
}  // namespace

Status CheckVector(const std::vector<float>& v, uint32_t dimension, Distance distance, const char* what) {
  if (v.empty()) return Status::InvalidArgument(std::string(what) + " must not be empty");
  if (v.size() != dimension)
    return Status::InvalidArgument("Vector dimension error: expected dim: " + std::to_string(dimension) + ", got " +
                                   std::to_string(v.size()));
  // The common case in one pass the compiler vectorises (no early exit): every component finite (exponent
  // bits not all ones) and, for cosine, one of them non-zero. Only a vector that fails is looked at again,
  // for the message.
  uint32_t non_finite = 0, any_bits = 0;
  for (float x : v) {
    uint32_t bits;
    std::memcpy(&bits, &x, sizeof(bits));
    non_finite |= static_cast<uint32_t>((bits & 0x7f800000u) == 0x7f800000u);
    any_bits |= bits & 0x7fffffffu;
  }
  if (non_finite == 0 && (any_bits != 0 || distance != Distance::kCosine)) return Status::OK();
  bool nonzero = false;
  for (size_t i = 0; i < v.size(); ++i) {
    if (!std::isfinite(v[i]))
      return Status::InvalidArgument(std::string(what) + " component " + std::to_string(i) + " is " +
                                     (std::isnan(v[i]) ? "NaN" : "infinite") + "; every component must be finite");
    if (v[i] != 0) nonzero = true;
  }
  if (!nonzero && distance == Distance::kCosine)
    return Status::InvalidArgument(std::string(what) +
                                   " is all zeros, which has no direction: cosine collections need a non-zero "
                                   "vector");
  return Status::OK();
}

Status PrepareUpsert(std::vector<PointInput>* points_in, uint32_t dimension, Distance distance) {
  std::vector<PointInput>& points = *points_in;
  if (points.empty()) return Status::InvalidArgument("no points to upsert");
  if (points.size() > kMaxBatchPoints)
    return Status::InvalidArgument("a batch holds at most " + std::to_string(kMaxBatchPoints) + " points");
  for (size_t i = 0; i < points.size(); ++i) {
    Status s = CheckVector(points[i].vector, dimension, distance, "vector");
    if (!s.ok()) return Status(s.code(), "point " + points[i].id.ToString() + ": " + s.message());
    if (!points[i].payload.is_object() && !points[i].payload.is_null())
      return Status::InvalidArgument("point " + points[i].id.ToString() + ": payload must be a JSON object");
    if (JsonDeeperThan(points[i].payload, kMaxPayloadDepth))
      return Status::InvalidArgument("point " + points[i].id.ToString() + ": payload nests more than " +
                                     std::to_string(kMaxPayloadDepth) + " levels deep");
    if (JsonHasNul(points[i].payload))
      return Status::InvalidArgument("point " + points[i].id.ToString() + ": " + kNulMessage);
    if (points[i].payload.is_null()) points[i].payload = Json::object();
  }
  // The last occurrence of an id in a batch wins.
  std::unordered_map<PointId, size_t, PointIdHash> last;
  for (size_t i = 0; i < points.size(); ++i) last[points[i].id] = i;
  if (last.size() != points.size()) {
    std::vector<PointInput> unique;
    for (size_t i = 0; i < points.size(); ++i)
      if (last[points[i].id] == i) unique.push_back(std::move(points[i]));
    points.swap(unique);
  }
  // A cosine collection keeps each vector as written; what it indexes and scores is a normalised copy
  // (Collection::IndexedVector), so a vector reads back as it was given.
  return Status::OK();
}

Status CheckPayloadUpdate(PayloadMode mode, const Json& payload) {
  if ((mode == PayloadMode::kMerge || mode == PayloadMode::kOverwrite) && !payload.is_object())
    return Status::InvalidArgument("payload must be a JSON object");
  if (JsonDeeperThan(payload, kMaxPayloadDepth))
    return Status::InvalidArgument("payload nests more than " + std::to_string(kMaxPayloadDepth) + " levels deep");
  if (JsonHasNul(payload)) return Status::InvalidArgument(kNulMessage);
  return Status::OK();
}

Json UpdatedPayload(const Json& stored, PayloadMode mode, const Json& payload, const std::vector<std::string>& keys) {
  Json p = stored.is_object() ? stored : Json::object();
  switch (mode) {
    case PayloadMode::kMerge:
      for (auto it = payload.begin(); it != payload.end(); ++it) p[it.key()] = it.value();
      break;
    case PayloadMode::kOverwrite: p = payload; break;
    case PayloadMode::kDeleteKeys:
      for (const auto& k : keys) p.erase(k);
      break;
    case PayloadMode::kClear: p = Json::object(); break;
  }
  return p;
}

namespace {

Status CheckOffset(uint32_t offset) {
  if (offset > kMaxOffset) return Status::InvalidArgument("offset must be at most " + std::to_string(kMaxOffset));
  return Status::OK();
}

Status CheckMmr(const SearchParams& p) {
  if (!(p.mmr->diversity >= 0 && p.mmr->diversity <= 1))
    return Status::InvalidArgument("mmr diversity must be between 0 and 1, got " + Json(p.mmr->diversity).dump());
  if (MmrPoolSize(p) > kMaxK)
    return Status::InvalidArgument("mmr draws from at most " + std::to_string(kMaxK) +
                                   " candidates (the larger of its candidates and k + offset), got " +
                                   std::to_string(MmrPoolSize(p)));
  return Status::OK();
}

}  // namespace

Status CheckSearchParams(const SearchParams& p) {
  if (p.k < 1 || p.k > kMaxK)
    return Status::InvalidArgument("k (limit) must be between 1 and " + std::to_string(kMaxK) + ", got " +
                                   std::to_string(p.k));
  GV_RETURN_IF_ERROR(CheckOffset(p.offset));
  if (p.ef > kMaxEf) return Status::InvalidArgument("ef must be at most " + std::to_string(kMaxEf));
  if (p.score_threshold && !std::isfinite(*p.score_threshold))
    return Status::InvalidArgument("score_threshold must be a finite number");
  if (p.mmr) GV_RETURN_IF_ERROR(CheckMmr(p));
  return Status::OK();
}

bool PassesThreshold(Distance d, float score, float threshold) {
  return HigherIsBetter(d) ? score > threshold : score < threshold;
}

Status CheckScrollParams(const ScrollParams& p) {
  if (p.limit < 1 || p.limit > kMaxScrollLimit)
    return Status::InvalidArgument("limit must be between 1 and " + std::to_string(kMaxScrollLimit) + ", got " +
                                   std::to_string(p.limit));
  return CheckOffset(p.offset);
}

}  // namespace govector
