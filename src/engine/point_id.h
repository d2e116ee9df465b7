// PointId: the identity of a point. One of three kinds, and the kind is part of the identity:
//   - an unsigned 64-bit integer (Qdrant's numeric id),
//   - a UUID (Qdrant's string id), kept as 16 bytes and printed in canonical lowercase hyphenated form,
//   - a string of 1 to kMaxStringIdBytes bytes (govector's extension, from the seed's string ids).
// Ids sort numbers first (by value), then UUIDs (by bytes), then strings (by bytes); that is the order of
// Key(), the LMDB key of a point, so a scroll by key is a scroll by id. The text rule is
// common/govector_id.h's, which the extension shares.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/govector_limits.h"
#include "engine/status.h"

namespace govector {

inline constexpr size_t kMaxStringIdBytes = GV_MAX_ID_BYTES;

class PointId {
 public:
  enum class Kind : uint8_t { kNum = 0, kUuid = 1, kString = 2 };

  PointId() = default;
  static PointId Num(uint64_t n);
  // 16 raw bytes.
  static PointId Uuid(const uint8_t bytes[16]);

  // Text as SQL gives it: a canonical decimal integer that fits in 64 bits ("0", "42"; no sign, no leading
  // zero) is a number; a hyphenated UUID (any case) is a UUID; any other non-empty string of at most
  // kMaxStringIdBytes bytes is a string id.
  static Result<PointId> FromText(std::string_view text);
  // JSON as HTTP and filters give it: a non-negative integer is a number; a string is parsed as FromText does
  // when allow_strings is true, and must be a UUID when it is false (Qdrant's rule).
  static Result<PointId> FromJson(const nlohmann::json& j, bool allow_strings = true);
  // The inverse of Key().
  static Result<PointId> FromKey(std::string_view key);

  Kind kind() const { return kind_; }
  uint64_t num() const { return num_; }
  const std::string& bytes() const { return bytes_; }  // UUID: 16 bytes; string: the string

  // Binary key: one kind byte, then 8 big-endian bytes, 16 UUID bytes, or the string bytes.
  std::string Key() const;
  // Decimal, canonical UUID, or the string itself.
  std::string ToString() const;
  // Number or string.
  nlohmann::json ToJson() const;

  bool operator==(const PointId& o) const { return kind_ == o.kind_ && num_ == o.num_ && bytes_ == o.bytes_; }
  bool operator!=(const PointId& o) const { return !(*this == o); }
  bool operator<(const PointId& o) const;

 private:
  Kind kind_ = Kind::kNum;
  uint64_t num_ = 0;
  std::string bytes_;
};

struct PointIdHash {
  size_t operator()(const PointId& id) const {
    size_t h = std::hash<std::string>()(id.bytes());
    return h ^ (std::hash<uint64_t>()(id.num()) * 31) ^ static_cast<size_t>(id.kind());
  }
};

}  // namespace govector
