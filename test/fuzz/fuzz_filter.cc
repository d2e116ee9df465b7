// libFuzzer target: the filter parser (JSON text as SQL and HTTP give it), and the evaluator on what parses.
#include <cstdint>
#include <string_view>

#include "engine/filter.h"
#include "engine/point_id.h"

namespace {

const govector::Json& Payload() {
  static const govector::Json p = govector::Json::parse(
      R"({"a": 1, "b": "x", "c": [1, 2.5, "y", null, true], "d": {"e": {"f": -3}}, "t": "2024-01-02T03:04:05Z",
          "big": 18446744073709551615, "neg": -9223372036854775808, "f": 0.1})");
  return p;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto filter = govector::ParseFilter(text);
  if (filter.ok()) {
    (void)govector::FilterMatches(**filter, govector::PointId::Num(1), Payload());
    (void)govector::FilterMatches(**filter, govector::PointId::Num(2), govector::Json::object());
  }
  return 0;
}
