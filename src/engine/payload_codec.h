// Conversion between JSON payloads (nlohmann::json) and their stored protobuf form (pb::Struct / pb::Value).
// Integers stay integers and floats stay floats, so a round trip keeps what filters distinguish.
#pragma once

#include <nlohmann/json.hpp>

#include "engine/status.h"
#include "govector.pb.h"

namespace govector {

// Payloads must be JSON objects (or null, meaning {}). Non-finite numbers cannot occur in parsed JSON.
Status JsonToStruct(const nlohmann::json& j, pb::Struct* out);
nlohmann::json StructToJson(const pb::Struct& s);

void JsonToValue(const nlohmann::json& j, pb::Value* out);
nlohmann::json ValueToJson(const pb::Value& v);

}  // namespace govector
