#include "engine/column.h"

#include <algorithm>
#include <cstdio>
#include <vector>

namespace govector {

namespace {

// A JSON number as Postgres's numeric prints it after parsing the same text: plain decimal notation (never
// an exponent), the scale implied by the input (1.50 -> "1.50", 1.5e-7 -> "0.00000015", 1e+20 ->
// "100000000000000000000").
std::string PgNumericText(const std::string& json_number) {
  std::string mantissa = json_number;
  long exponent = 0;
  size_t e = json_number.find_first_of("eE");
  if (e != std::string::npos) {
    mantissa = json_number.substr(0, e);
    exponent = std::strtol(json_number.c_str() + e + 1, nullptr, 10);
  }
  bool negative = !mantissa.empty() && mantissa[0] == '-';
  if (negative) mantissa.erase(0, 1);
  size_t dot = mantissa.find('.');
  std::string digits = mantissa;
  long frac = 0;
  if (dot != std::string::npos) {
    digits = mantissa.substr(0, dot) + mantissa.substr(dot + 1);
    frac = static_cast<long>(mantissa.size() - dot - 1);
  }
  // value = digits * 10^(exponent - frac); Postgres keeps scale max(0, frac - exponent).
  long scale = std::max(0L, frac - exponent);
  long shift = exponent - frac;  // digits * 10^shift
  if (shift > 0) digits.append(static_cast<size_t>(shift), '0');
  // Now value = digits / 10^scale.
  if (static_cast<long>(digits.size()) <= scale) digits.insert(0, static_cast<size_t>(scale - digits.size() + 1), '0');
  std::string intpart = digits.substr(0, digits.size() - static_cast<size_t>(scale));
  std::string fracpart = digits.substr(digits.size() - static_cast<size_t>(scale));
  size_t nz = intpart.find_first_not_of('0');
  intpart = nz == std::string::npos ? "0" : intpart.substr(nz);
  bool zero = intpart == "0" && fracpart.find_first_not_of('0') == std::string::npos;
  std::string out = (negative && !zero) ? "-" : "";
  out += intpart;
  if (scale > 0) out += "." + fracpart;
  return out;
}

void AppendJsonbString(std::string* out, const std::string& s) {
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': *out += "\\\""; break;
      case '\\': *out += "\\\\"; break;
      case '\b': *out += "\\b"; break;
      case '\f': *out += "\\f"; break;
      case '\n': *out += "\\n"; break;
      case '\r': *out += "\\r"; break;
      case '\t': *out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          *out += buf;
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

// JSON text as Postgres prints a jsonb value: object keys ordered by length then bytes, ", " and ": "
// separators, numbers as numeric prints them.
void AppendJsonbText(std::string* out, const nlohmann::json& v) {
  switch (v.type()) {
    case nlohmann::json::value_t::object: {
      std::vector<const std::string*> keys;
      for (auto it = v.begin(); it != v.end(); ++it) keys.push_back(&it.key());
      std::sort(keys.begin(), keys.end(), [](const std::string* a, const std::string* b) {
        return a->size() != b->size() ? a->size() < b->size() : *a < *b;
      });
      out->push_back('{');
      for (size_t i = 0; i < keys.size(); ++i) {
        if (i) *out += ", ";
        AppendJsonbString(out, *keys[i]);
        *out += ": ";
        AppendJsonbText(out, v.at(*keys[i]));
      }
      out->push_back('}');
      break;
    }
    case nlohmann::json::value_t::array:
      out->push_back('[');
      for (size_t i = 0; i < v.size(); ++i) {
        if (i) *out += ", ";
        AppendJsonbText(out, v[i]);
      }
      out->push_back(']');
      break;
    case nlohmann::json::value_t::string: AppendJsonbString(out, v.get_ref<const std::string&>()); break;
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_float: *out += PgNumericText(v.dump()); break;
    default: *out += v.dump(); break;  // true, false, null
  }
}

}  // namespace

std::string JsonbText(const nlohmann::json& v) {
  std::string out;
  AppendJsonbText(&out, v);
  return out;
}

Result<ColumnType> ParseColumnType(std::string_view name) {
  if (name == "text") return ColumnType::kText;
  if (name == "number") return ColumnType::kNumber;
  if (name == "bool") return ColumnType::kBool;
  if (name == "json") return ColumnType::kJson;
  return Status::InvalidArgument("unknown column type \"" + std::string(name) + "\" (use text, number, bool or json)");
}

std::optional<std::string> ColumnText(const nlohmann::json& payload, const std::string& key, ColumnType type) {
  if (!payload.is_object()) return std::nullopt;
  auto it = payload.find(key);
  if (it == payload.end()) return std::nullopt;
  const nlohmann::json& v = *it;
  switch (type) {
    case ColumnType::kText:
      if (v.is_null()) return std::nullopt;
      if (v.is_string()) return v.get<std::string>();
      return JsonbText(v);
    case ColumnType::kNumber:
      if (!v.is_number()) return std::nullopt;
      return JsonbText(v);
    case ColumnType::kBool:
      if (!v.is_boolean()) return std::nullopt;
      return v.get<bool>() ? "true" : "false";
    case ColumnType::kJson: return JsonbText(v);
  }
  return std::nullopt;
}

}  // namespace govector
