// libFuzzer target: point ids from text, JSON and LMDB keys; each parsed id survives its own round trips.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "engine/point_id.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

void RoundTrips(const govector::PointId& id) {
  auto from_key = govector::PointId::FromKey(id.Key());
  Check(from_key.ok() && *from_key == id);
  auto from_text = govector::PointId::FromText(id.ToString());
  // A string id that reads as a number or a UUID (FromText makes those) cannot come from FromText itself.
  if (from_text.ok() && from_text->kind() == id.kind()) Check(*from_text == id);
  auto from_json = govector::PointId::FromJson(id.ToJson());
  if (from_json.ok() && from_json->kind() == id.kind()) Check(*from_json == id);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  if (auto id = govector::PointId::FromText(bytes); id.ok()) {
    RoundTrips(*id);
    Check(govector::PointId::FromText(id->ToString()).ok());
  }
  if (auto id = govector::PointId::FromKey(bytes); id.ok()) {
    RoundTrips(*id);
    Check(id->Key() == bytes);
  }
  nlohmann::json j = nlohmann::json::parse(bytes, nullptr, false);
  if (!j.is_discarded())
    if (auto id = govector::PointId::FromJson(j); id.ok()) RoundTrips(*id);
  return 0;
}
