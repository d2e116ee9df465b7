// Integers in JSON values, read one way by the filter's parser, its evaluator and the payload indexes.
// nlohmann keeps a JSON integer as an int64, or as a uint64 when it is above INT64_MAX; a float with no
// fraction (1.0) is still a float.
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>

#include <nlohmann/json.hpp>

namespace govector {

// True for a JSON integer, signed or unsigned; false for floats and non-numbers.
inline bool IsJsonInteger(const nlohmann::json& v) { return v.is_number_integer() || v.is_number_unsigned(); }

// A JSON integer as an int64; nullopt for floats, non-numbers and unsigned values above INT64_MAX (no int64
// equals those, so no integer match condition holds for them). nlohmann's is_number_integer() is true for
// unsigned values too, so those are checked first.
inline std::optional<int64_t> JsonInt64(const nlohmann::json& v) {
  if (v.is_number_unsigned()) {
    uint64_t u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
    return static_cast<int64_t>(u);
  }
  if (v.is_number_integer()) return v.get<int64_t>();
  return std::nullopt;
}

// A JSON integer exactly (an __int128 holds every int64 and uint64); nullopt for anything else.
inline std::optional<__int128> JsonInteger(const nlohmann::json& v) {
  if (v.is_number_unsigned()) return static_cast<__int128>(v.get<uint64_t>());
  if (v.is_number_integer()) return static_cast<__int128>(v.get<int64_t>());
  return std::nullopt;
}

// Compares a finite double with an integer exactly (-1, 0, 1): converting the integer to a double would round
// it (10000000000000000001 would equal the double 1e19), and Postgres compares a numeric column exactly.
inline int CompareDoubleInteger(double x, __int128 k) {
  constexpr double kTwo126 = 85070591730234615865843651857942052864.0;  // 2^126: beyond every int64 / uint64
  if (x >= kTwo126) return 1;
  if (x <= -kTwo126) return -1;
  double f = std::floor(x);
  __int128 fi = static_cast<__int128>(f);  // exact: f is integral and within range
  if (fi < k) return -1;
  if (fi > k) return 1;
  return x > f ? 1 : 0;
}

}  // namespace govector
