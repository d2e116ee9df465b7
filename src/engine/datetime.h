// Datetimes in payloads and filters: the text forms Qdrant accepts, read as microseconds since the Unix epoch
// (UTC). The filter's datetime ranges and the datetime payload index both read values through this one parser,
// so an index holds exactly the values a range condition would compare.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace govector {

// Parses a datetime string as Qdrant accepts it: RFC 3339 ("2024-01-02T03:04:05.123Z", "+02:00" offsets) or
// "YYYY-MM-DD", "YYYY-MM-DD HH:MM", "YYYY-MM-DDTHH:MM:SS[.frac]" without zone (UTC). Microseconds since epoch;
// nullopt for anything else, including impossible dates (2001-02-29) and times (25:00).
std::optional<int64_t> ParseDatetimeMicros(std::string_view text);

}  // namespace govector
