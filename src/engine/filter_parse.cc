// Filter parsing: JSON text to the immutable Filter of filter.h, with every error naming where it is
// (`filter.must[1].match: ...`). The grammar is described in filter.h.
#include <re2/re2.h>

#include "engine/datetime.h"
#include "engine/filter.h"
#include "engine/json_number.h"
#include "engine/json_path.h"
#include "engine/payload_codec.h"

namespace govector {

namespace {

Status Bad(const std::string& where, const std::string& what) { return Status::InvalidFilter(where + ": " + what); }

// Filters nest (nested filters, nested conditions); a bound keeps a hostile filter from exhausting the stack
// of the parser and, since evaluation follows the parsed structure, of the evaluator.
constexpr int kMaxFilterDepth = 32;
constexpr size_t kMaxFilterJsonDepth = 128;

std::string Quote(const std::string& s) { return "\"" + s + "\""; }

Result<std::shared_ptr<const Filter>> ParseFilterAt(const Json& j, const std::string& where, bool in_nested,
                                                   int depth);

Result<FieldPath> ParseKey(const Json& j, const std::string& where) {
  if (!j.is_string()) return Bad(where, "key must be a string");
  auto path = ParseFieldPath(j.get_ref<const std::string&>());
  if (!path.ok()) return Bad(where, path.status().message());
  return path;
}

Result<int64_t> AsInt64(const Json& v, const std::string& where) {
  std::optional<int64_t> i = JsonInt64(v);
  if (!i) return Bad(where, "integer out of range");
  return *i;
}

Result<MatchCondition> ParseMatch(const Json& j, const std::string& where) {
  if (!j.is_object()) return Bad(where, "match must be an object");
  if (j.size() != 1)
    return Bad(where, "match must have exactly one of value, any, except, text, prefix, contains, regex");
  MatchCondition m;
  const std::string& kind = j.begin().key();
  const Json& v = j.begin().value();
  const std::string at = where + "." + kind;
  if (kind == "value") {
    m.kind = MatchCondition::Kind::kValue;
    if (v.is_number_float())
      return Bad(at, "match.value must be a string, integer or boolean; use range for numbers with a fraction");
    if (!v.is_string() && !IsJsonInteger(v) && !v.is_boolean())
      return Bad(at, "match.value must be a string, integer or boolean");
    if (IsJsonInteger(v)) {
      GV_ASSIGN_OR_RETURN(int64_t i, AsInt64(v, at));
      m.value = i;
    } else {
      m.value = v;
    }
  } else if (kind == "any" || kind == "except") {
    m.kind = kind == "any" ? MatchCondition::Kind::kAny : MatchCondition::Kind::kExcept;
    if (!v.is_array()) return Bad(at, "must be an array of strings or of integers");
    bool strings = false, integers = false;
    for (size_t idx = 0; idx < v.size(); ++idx) {
      const Json& e = v[idx];
      const std::string at_e = at + "[" + std::to_string(idx) + "]";
      if (e.is_string()) {
        strings = true;
        m.strings.push_back(e.get<std::string>());
        m.string_set.insert(e.get<std::string>());
      } else if (IsJsonInteger(e)) {
        integers = true;
        GV_ASSIGN_OR_RETURN(int64_t i, AsInt64(e, at_e));
        m.integers.push_back(i);
        m.integer_set.insert(i);
      } else {
        return Bad(at_e, "must be a string or an integer (all of one kind), found " + std::string(e.type_name()));
      }
    }
    if (strings && integers) return Bad(at, "mixes strings and integers; use one kind");
  } else if (kind == "text" || kind == "prefix" || kind == "contains" || kind == "regex") {
    if (!v.is_string()) return Bad(at, "must be a string");
    m.text = v.get<std::string>();
    if (kind == "text") {
      m.kind = MatchCondition::Kind::kText;
    } else if (kind == "prefix") {
      m.kind = MatchCondition::Kind::kPrefix;
    } else if (kind == "contains") {
      m.kind = MatchCondition::Kind::kContains;
    } else {
      m.kind = MatchCondition::Kind::kRegex;
      RE2::Options options;
      options.set_log_errors(false);
      auto re = std::make_shared<const RE2>(m.text, options);
      if (!re->ok()) return Bad(at, "invalid regular expression: " + re->error());
      m.regex = std::move(re);
    }
  } else {
    return Bad(where, "unknown match type " + Quote(kind) +
                          " (use value, any, except, text, prefix, contains or regex)");
  }
  return m;
}

Result<RangeCondition> ParseRange(const Json& j, const std::string& where, bool datetime_only) {
  if (!j.is_object() || j.empty()) return Bad(where, "range must be an object with gt, gte, lt or lte");
  RangeCondition r;
  bool numbers = false, strings = false;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    const Json& v = it.value();
    std::optional<double>* slot = k == "gt" ? &r.gt : k == "gte" ? &r.gte : k == "lt" ? &r.lt : k == "lte" ? &r.lte : nullptr;
    if (!slot) return Bad(where, "unknown range bound " + Quote(k) + " (use gt, gte, lt, lte)");
    if (v.is_null()) continue;
    if (v.is_number() && !datetime_only) {
      numbers = true;
      *slot = v.get<double>();
    } else if (v.is_string()) {
      strings = true;
      auto t = ParseDatetimeMicros(v.get_ref<const std::string&>());
      if (!t) return Bad(where + "." + k, "cannot parse " + Quote(v.get<std::string>()) + " as a datetime (RFC 3339)");
      *slot = static_cast<double>(*t);
    } else {
      return Bad(where + "." + k, datetime_only ? "must be a datetime string" : "must be a number or a datetime string");
    }
  }
  if (numbers && strings) return Bad(where, "mixes numbers and datetime strings");
  if (!numbers && !strings) return Bad(where, "range needs at least one of gt, gte, lt, lte");
  r.datetime = strings;
  return r;
}

Result<ValuesCountCondition> ParseValuesCount(const Json& j, const std::string& where) {
  if (!j.is_object() || j.empty()) return Bad(where, "values_count must be an object with gt, gte, lt or lte");
  ValuesCountCondition c;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    std::optional<uint64_t>* slot = k == "gt" ? &c.gt : k == "gte" ? &c.gte : k == "lt" ? &c.lt : k == "lte" ? &c.lte : nullptr;
    if (!slot) return Bad(where, "unknown bound " + Quote(k) + " (use gt, gte, lt, lte)");
    if (it.value().is_null()) continue;
    if (!it.value().is_number_unsigned() && !(it.value().is_number_integer() && it.value().get<int64_t>() >= 0))
      return Bad(where + "." + k, "must be a non-negative integer");
    *slot = it.value().get<uint64_t>();
  }
  return c;
}

Result<ColumnCondition> ParseColumn(const Json& j, const std::string& where) {
  using Op = ColumnCondition::Op;
  if (!j.is_object()) return Bad(where, "must be an object with key, type and op");
  ColumnCondition c;
  if (!j.contains("key") || !j["key"].is_string() || j["key"].get_ref<const std::string&>().empty())
    return Bad(where + ".key", "must be a non-empty string (a top-level payload key)");
  c.key = j["key"].get<std::string>();
  if (!j.contains("type") || !j["type"].is_string()) return Bad(where + ".type", "must be text, number, bool or json");
  auto type = ParseColumnType(j["type"].get<std::string>());
  if (!type.ok()) return Bad(where + ".type", type.status().message());
  c.type = *type;
  static const std::pair<const char*, Op> kOps[] = {
      {"eq", Op::kEq},         {"ne", Op::kNe},         {"lt", Op::kLt},           {"le", Op::kLe},
      {"gt", Op::kGt},         {"ge", Op::kGe},         {"in", Op::kIn},           {"not_in", Op::kNotIn},
      {"is_null", Op::kIsNull}, {"is_not_null", Op::kIsNotNull}, {"prefix", Op::kPrefix}, {"not_prefix", Op::kNotPrefix}};
  if (!j.contains("op") || !j["op"].is_string()) return Bad(where + ".op", "must be a string");
  const std::string& op = j["op"].get_ref<const std::string&>();
  bool known = false;
  for (const auto& [name, value] : kOps)
    if (op == name) {
      c.op = value;
      known = true;
    }
  if (!known) return Bad(where + ".op", "unknown operator \"" + op + "\"");
  for (auto it = j.begin(); it != j.end(); ++it)
    if (it.key() != "key" && it.key() != "type" && it.key() != "op" && it.key() != "value" && it.key() != "values")
      return Bad(where, "unknown key \"" + it.key() + "\"");
  bool ordering = c.op == Op::kLt || c.op == Op::kLe || c.op == Op::kGt || c.op == Op::kGe;
  bool prefix = c.op == Op::kPrefix || c.op == Op::kNotPrefix;
  bool nullness = c.op == Op::kIsNull || c.op == Op::kIsNotNull;
  bool list = c.op == Op::kIn || c.op == Op::kNotIn;
  if (ordering && c.type != ColumnType::kNumber) return Bad(where, op + " needs a number column");
  if (prefix && c.type != ColumnType::kText) return Bad(where, op + " needs a text column");
  if (c.type == ColumnType::kJson && !nullness) return Bad(where, "json columns support only is_null and is_not_null");
  if (nullness) return c;
  std::vector<const Json*> operands;
  if (list) {
    if (!j.contains("values") || !j["values"].is_array()) return Bad(where + ".values", "must be an array");
    for (const Json& v : j["values"]) operands.push_back(&v);
  } else {
    if (!j.contains("value")) return Bad(where + ".value", "is required for " + op);
    operands.push_back(&j["value"]);
  }
  for (const Json* v : operands) {
    switch (c.type) {
      case ColumnType::kNumber:
        if (!v->is_number()) return Bad(where, "operands of a number column must be numbers");
        c.numbers.push_back(v->get<double>());
        c.integers.push_back(JsonInteger(*v));
        break;
      case ColumnType::kBool:
        if (!v->is_boolean()) return Bad(where, "operands of a bool column must be booleans");
        c.texts.push_back(v->get<bool>() ? "true" : "false");
        break;
      default:
        if (!v->is_string()) return Bad(where, "operands of a text column must be strings");
        c.texts.push_back(v->get<std::string>());
        break;
    }
  }
  return c;
}

bool IsFilterKey(const std::string& k) {
  return k == "must" || k == "should" || k == "must_not" || k == "min_should";
}

// A field condition: {"key": path, ...} with match, range, datetime_range, values_count, is_empty, is_null.
Result<Condition> ParseFieldCondition(const Json& j, const std::string& where) {
  Condition c;
  c.type = Condition::Type::kField;
  GV_ASSIGN_OR_RETURN(c.key, ParseKey(j["key"], where + ".key"));
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    const Json& v = it.value();
    if (k == "key") continue;
    if (v.is_null()) continue;
    if (k == "match") {
      GV_ASSIGN_OR_RETURN(c.match, ParseMatch(v, where + ".match"));
    } else if (k == "range" || k == "datetime_range") {
      if (c.range) return Bad(where, "give range or datetime_range, not both");
      GV_ASSIGN_OR_RETURN(c.range, ParseRange(v, where + "." + k, k == "datetime_range"));
    } else if (k == "values_count") {
      GV_ASSIGN_OR_RETURN(c.values_count, ParseValuesCount(v, where + ".values_count"));
    } else if (k == "is_empty" || k == "is_null") {
      if (!v.is_boolean()) return Bad(where + "." + k, "must be true or false");
      (k == "is_empty" ? c.is_empty : c.is_null) = v.get<bool>();
    } else if (k.rfind("geo_", 0) == 0) {
      return Bad(where, "unsupported condition " + Quote(k) + ": govector has no geo conditions");
    } else {
      return Bad(where, "unknown field condition " + Quote(k) +
                            " (use match, range, datetime_range, values_count, is_empty or is_null)");
    }
  }
  if (!c.match && !c.range && !c.values_count && !c.is_empty && !c.is_null)
    return Bad(where, "condition on key " + Quote(c.key.text) + " has nothing to check (add match, range, ...)");
  return c;
}

Result<Condition> ParseCondition(const Json& j, const std::string& where, bool in_nested, int depth) {
  if (!j.is_object()) return Bad(where, "a condition must be a JSON object");
  if (j.contains("key")) return ParseFieldCondition(j, where);
  Condition c;
  if (j.size() == 1) {
    const std::string& k = j.begin().key();
    const Json& v = j.begin().value();
    if (k == "is_empty" || k == "is_null") {
      if (!v.is_object() || v.size() != 1 || !v.contains("key"))
        return Bad(where + "." + k, "must be {\"key\": \"...\"}");
      c.type = k == "is_empty" ? Condition::Type::kIsEmpty : Condition::Type::kIsNull;
      GV_ASSIGN_OR_RETURN(c.key, ParseKey(v["key"], where + "." + k + ".key"));
      return c;
    }
    if (k == "has_id") {
      if (in_nested) return Bad(where, "has_id is not allowed inside nested");
      if (!v.is_array()) return Bad(where + ".has_id", "must be an array of point ids");
      c.type = Condition::Type::kHasId;
      for (size_t i = 0; i < v.size(); ++i) {
        auto id = PointId::FromJson(v[i], true);
        if (!id.ok()) return Bad(where + ".has_id[" + std::to_string(i) + "]", id.status().message());
        c.ids.insert(std::move(id).value());
      }
      return c;
    }
    if (k == "nested") {
      if (!v.is_object() || !v.contains("key") || !v.contains("filter") || v.size() != 2)
        return Bad(where + ".nested", "must be {\"key\": \"...\", \"filter\": {...}}");
      c.type = Condition::Type::kNested;
      GV_ASSIGN_OR_RETURN(c.key, ParseKey(v["key"], where + ".nested.key"));
      GV_ASSIGN_OR_RETURN(c.filter, ParseFilterAt(v["filter"], where + ".nested.filter", true, depth + 1));
      return c;
    }
    if (k == "column") {
      c.type = Condition::Type::kColumn;
      GV_ASSIGN_OR_RETURN(c.column, ParseColumn(v, where + ".column"));
      return c;
    }
    if (k == "payload_contains") {
      if (!v.is_object()) return Bad(where + ".payload_contains", "must be a JSON object");
      c.type = Condition::Type::kPayloadContains;
      c.contains = v;
      return c;
    }
  }
  bool all_filter_keys = !j.empty();
  for (auto it = j.begin(); it != j.end(); ++it) all_filter_keys = all_filter_keys && IsFilterKey(it.key());
  if (all_filter_keys) {
    c.type = Condition::Type::kFilter;
    GV_ASSIGN_OR_RETURN(c.filter, ParseFilterAt(j, where, in_nested, depth + 1));
    return c;
  }
  std::string keys;
  for (auto it = j.begin(); it != j.end(); ++it) keys += (keys.empty() ? "" : ", ") + Quote(it.key());
  return Bad(where, "unknown condition type (keys: " + (keys.empty() ? std::string("none") : keys) +
                        "); expected a field condition with \"key\", is_empty, is_null, has_id, nested, "
                        "payload_contains, column or a nested filter");
}

Status ParseClause(const Json& v, const std::string& where, bool in_nested, int depth, std::vector<Condition>* out) {
  if (v.is_array()) {
    for (size_t i = 0; i < v.size(); ++i) {
      GV_ASSIGN_OR_RETURN(Condition c, ParseCondition(v[i], where + "[" + std::to_string(i) + "]", in_nested, depth));
      out->push_back(std::move(c));
    }
    return Status::OK();
  }
  if (v.is_object()) {
    GV_ASSIGN_OR_RETURN(Condition c, ParseCondition(v, where, in_nested, depth));
    out->push_back(std::move(c));
    return Status::OK();
  }
  return Bad(where, "must be a condition or an array of conditions");
}

Result<std::shared_ptr<const Filter>> ParseFilterAt(const Json& j, const std::string& where, bool in_nested,
                                                   int depth) {
  if (depth > kMaxFilterDepth)
    return Bad(where, "filters nest more than " + std::to_string(kMaxFilterDepth) + " levels deep");
  if (!j.is_object()) return Bad(where, "a filter must be a JSON object");
  auto f = std::make_shared<Filter>();
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    const Json& v = it.value();
    const std::string at = where + "." + k;
    if (!IsFilterKey(k)) return Bad(where, "unknown key " + Quote(k) + " (use must, should, must_not, min_should)");
    if (v.is_null()) continue;
    if (k == "must") {
      GV_RETURN_IF_ERROR(ParseClause(v, at, in_nested, depth, &f->must));
    } else if (k == "should") {
      f->has_should = true;
      GV_RETURN_IF_ERROR(ParseClause(v, at, in_nested, depth, &f->should));
    } else if (k == "must_not") {
      GV_RETURN_IF_ERROR(ParseClause(v, at, in_nested, depth, &f->must_not));
    } else {
      if (!v.is_object()) return Bad(at, "must be {\"conditions\": [...], \"min_count\": n}");
      MinShould ms;
      bool has_conditions = false, has_count = false;
      for (auto m = v.begin(); m != v.end(); ++m) {
        if (m.key() == "conditions") {
          has_conditions = true;
          GV_RETURN_IF_ERROR(ParseClause(m.value(), at + ".conditions", in_nested, depth, &ms.conditions));
        } else if (m.key() == "min_count") {
          has_count = true;
          if (!m.value().is_number_unsigned() && !(m.value().is_number_integer() && m.value().get<int64_t>() >= 0))
            return Bad(at + ".min_count", "must be a non-negative integer");
          ms.min_count = m.value().get<size_t>();
        } else {
          return Bad(at, "unknown key " + Quote(m.key()) + " (use conditions and min_count)");
        }
      }
      if (!has_conditions || !has_count) return Bad(at, "needs both conditions and min_count");
      f->min_should = std::move(ms);
    }
  }
  return std::shared_ptr<const Filter>(std::move(f));
}

}  // namespace

Result<std::shared_ptr<const Filter>> ParseFilterJson(const Json& j) {
  // Parsing and evaluation recurse along the JSON (payload_contains documents, error messages): bound it.
  if (JsonDeeperThan(j, kMaxFilterJsonDepth))
    return Status::InvalidFilter("filter: JSON nests more than " + std::to_string(kMaxFilterJsonDepth) +
                                 " levels deep");
  return ParseFilterAt(j, "filter", false, 0);
}

Result<std::shared_ptr<const Filter>> ParseFilter(std::string_view json_text) {
  Json j = Json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    // Parse again with exceptions only to get nlohmann's description of where it went wrong.
    try {
      Json ignored = Json::parse(json_text);
      (void)ignored;
    } catch (const std::exception& e) {
      return Status::InvalidFilter(std::string("filter: malformed JSON: ") + e.what());
    }
    return Status::InvalidFilter("filter: malformed JSON");
  }
  return ParseFilterJson(j);
}

}  // namespace govector
