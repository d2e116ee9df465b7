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

// Deepest nesting of arrays and objects allowed in a payload. Payload code recurses, and a stored point
// must stay parseable (protobuf limits message nesting), so deeper payloads are rejected at the door.
inline constexpr size_t kMaxPayloadDepth = 64;
// True when j nests arrays/objects more than limit levels deep. Iterative: safe on any input.
bool JsonDeeperThan(const nlohmann::json& j, size_t limit);
// Whether a string or key anywhere in j holds a NUL character (which Postgres text and jsonb cannot hold).
bool JsonHasNul(const nlohmann::json& j);
// Parses a stored point, allowing the nesting a kMaxPayloadDepth payload needs.
bool ParsePoint(std::string_view bytes, pb::Point* out);
// Reads only the vector of a stored point (pb::Point.vector), skipping the payload unparsed: what
// rescoring needs, at a fraction of ParsePoint's cost. False when the record is malformed.
bool ParsePointVector(std::string_view bytes, std::vector<float>* out);

}  // namespace govector
