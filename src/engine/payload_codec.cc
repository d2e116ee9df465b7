#include "engine/payload_codec.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include <bit>
#include <cstring>

#include <utility>
#include <vector>

namespace govector {

void JsonToValue(const nlohmann::json& j, pb::Value* out) {
  switch (j.type()) {
    case nlohmann::json::value_t::null: out->set_null_value(true); break;
    case nlohmann::json::value_t::boolean: out->set_bool_value(j.get<bool>()); break;
    case nlohmann::json::value_t::number_integer: out->set_int_value(j.get<int64_t>()); break;
    case nlohmann::json::value_t::number_unsigned: {
      uint64_t u = j.get<uint64_t>();
      if (u <= static_cast<uint64_t>(INT64_MAX))
        out->set_int_value(static_cast<int64_t>(u));
      else
        out->set_uint_value(u);
      break;
    }
    case nlohmann::json::value_t::number_float: out->set_double_value(j.get<double>()); break;
    case nlohmann::json::value_t::string: out->set_string_value(j.get_ref<const std::string&>()); break;
    case nlohmann::json::value_t::array: {
      auto* list = out->mutable_list_value();
      for (const auto& e : j) JsonToValue(e, list->add_values());
      break;
    }
    case nlohmann::json::value_t::object: {
      auto* s = out->mutable_struct_value();
      for (auto it = j.begin(); it != j.end(); ++it) {
        auto* f = s->add_fields();
        f->set_key(it.key());
        JsonToValue(it.value(), f->mutable_value());
      }
      break;
    }
    default: out->set_null_value(true); break;
  }
}

nlohmann::json ValueToJson(const pb::Value& v) {
  switch (v.kind_case()) {
    case pb::Value::kNullValue: return nullptr;
    case pb::Value::kBoolValue: return v.bool_value();
    case pb::Value::kIntValue: return v.int_value();
    case pb::Value::kUintValue: return v.uint_value();
    case pb::Value::kDoubleValue: return v.double_value();
    case pb::Value::kStringValue: return v.string_value();
    case pb::Value::kListValue: {
      nlohmann::json a = nlohmann::json::array();
      for (const auto& e : v.list_value().values()) a.push_back(ValueToJson(e));
      return a;
    }
    case pb::Value::kStructValue: return StructToJson(v.struct_value());
    case pb::Value::KIND_NOT_SET: break;
  }
  return nullptr;
}

bool JsonDeeperThan(const nlohmann::json& j, size_t limit) {
  std::vector<std::pair<const nlohmann::json*, size_t>> stack{{&j, 1}};
  while (!stack.empty()) {
    auto [v, depth] = stack.back();
    stack.pop_back();
    if (!v->is_structured()) continue;
    if (depth > limit) return true;
    for (const auto& child : *v) stack.emplace_back(&child, depth + 1);
  }
  return false;
}

bool JsonHasNul(const nlohmann::json& j) {
  std::vector<const nlohmann::json*> stack{&j};
  while (!stack.empty()) {
    const nlohmann::json* v = stack.back();
    stack.pop_back();
    if (v->is_string()) {
      if (v->get_ref<const std::string&>().find('\0') != std::string::npos) return true;
    } else if (v->is_object()) {
      for (auto it = v->begin(); it != v->end(); ++it) {
        if (it.key().find('\0') != std::string::npos) return true;
        stack.push_back(&it.value());
      }
    } else if (v->is_array()) {
      for (const auto& child : *v) stack.push_back(&child);
    }
  }
  return false;
}

bool ParsePoint(std::string_view bytes, pb::Point* out) {
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  // Each JSON level is up to three message levels (Value, Struct, Field).
  in.SetRecursionLimit(static_cast<int>(4 * kMaxPayloadDepth + 16));
  return out->ParseFromCodedStream(&in) && in.ConsumedEntireMessage();
}

bool ParsePointVector(std::string_view bytes, std::vector<float>* out) {
  using google::protobuf::internal::WireFormatLite;
  static_assert(std::endian::native == std::endian::little, "packed floats are read as they lie in memory");
  constexpr int kVectorField = pb::Point::kVectorFieldNumber;
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  in.SetRecursionLimit(static_cast<int>(4 * kMaxPayloadDepth + 16));
  out->clear();
  while (uint32_t tag = in.ReadTag()) {
    int field = WireFormatLite::GetTagFieldNumber(tag);
    auto type = WireFormatLite::GetTagWireType(tag);
    if (field == kVectorField && type == WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
      uint32_t len;
      if (!in.ReadVarint32(&len) || len % sizeof(float) != 0) return false;
      size_t at = out->size();
      out->resize(at + len / sizeof(float));
      if (!in.ReadRaw(out->data() + at, static_cast<int>(len))) return false;
    } else if (field == kVectorField && type == WireFormatLite::WIRETYPE_FIXED32) {
      uint32_t bits;
      if (!in.ReadLittleEndian32(&bits)) return false;
      out->push_back(std::bit_cast<float>(bits));
    } else if (!WireFormatLite::SkipField(&in, tag)) {  // a length-delimited payload is skipped whole
      return false;
    }
  }
  return in.ConsumedEntireMessage();
}

Status JsonToStruct(const nlohmann::json& j, pb::Struct* out) {
  if (j.is_null()) return Status::OK();
  if (!j.is_object()) return Status::InvalidArgument("payload must be a JSON object, got " + std::string(j.type_name()));
  if (JsonDeeperThan(j, kMaxPayloadDepth))
    return Status::InvalidArgument("payload nests more than " + std::to_string(kMaxPayloadDepth) + " levels deep");
  for (auto it = j.begin(); it != j.end(); ++it) {
    auto* f = out->add_fields();
    f->set_key(it.key());
    JsonToValue(it.value(), f->mutable_value());
  }
  return Status::OK();
}

nlohmann::json StructToJson(const pb::Struct& s) {
  nlohmann::json o = nlohmann::json::object();
  for (const auto& f : s.fields()) o[f.key()] = ValueToJson(f.value());
  return o;
}

}  // namespace govector
