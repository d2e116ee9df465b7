// libFuzzer target: payloads as JSON text. The number check never crashes; a payload that converts to its
// stored form converts back to the same JSON.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "engine/json_exact.h"
#include "engine/payload_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  (void)govector::CheckJsonNumbers(text);
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || govector::JsonDeeperThan(j, govector::kMaxPayloadDepth)) return 0;
  (void)govector::JsonHasNul(j);
  govector::pb::Struct s;
  if (!govector::JsonToStruct(j, &s).ok()) return 0;
  if (govector::StructToJson(s) != j) std::abort();
  govector::pb::Point p;
  *p.mutable_payload() = s;
  p.add_vector(1.0f);
  govector::pb::Point back;
  if (!govector::ParsePoint(p.SerializeAsString(), &back) || govector::StructToJson(back.payload()) != j) std::abort();
  return 0;
}
