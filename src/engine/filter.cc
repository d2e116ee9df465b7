// Filter parsing and evaluation (the grammar is described in filter.h).
#include <re2/re2.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "engine/filter.h"
#include "engine/json_path.h"
#include "engine/payload_codec.h"

namespace govector {

namespace {

// ---------------------------------------------------------------------------------------------------------
// Parsing

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

bool IsInteger(const Json& v) { return v.is_number_integer() || v.is_number_unsigned(); }

Result<int64_t> AsInt64(const Json& v, const std::string& where) {
  if (v.is_number_unsigned()) {
    uint64_t u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(INT64_MAX)) return Bad(where, "integer out of range");
    return static_cast<int64_t>(u);
  }
  return v.get<int64_t>();
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
    if (!v.is_string() && !IsInteger(v) && !v.is_boolean())
      return Bad(at, "match.value must be a string, integer or boolean");
    if (IsInteger(v)) {
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
      } else if (IsInteger(e)) {
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

// A JSON integer, exactly (nlohmann keeps one as an int64 or a uint64; an __int128 holds either).
std::optional<__int128> JsonInteger(const Json& v) {
  if (v.is_number_unsigned()) return static_cast<__int128>(v.get<uint64_t>());
  if (v.is_number_integer()) return static_cast<__int128>(v.get<int64_t>());
  return std::nullopt;
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

Result<Condition> ParseCondition(const Json& j, const std::string& where, bool in_nested, int depth) {
  if (!j.is_object()) return Bad(where, "a condition must be a JSON object");
  Condition c;
  if (j.contains("key")) {
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

// ---------------------------------------------------------------------------------------------------------
// Evaluation

bool StringMatches(const MatchCondition& m, const std::string& s) {
  switch (m.kind) {
    case MatchCondition::Kind::kText:
    case MatchCondition::Kind::kContains: return s.find(m.text) != std::string::npos;
    case MatchCondition::Kind::kPrefix: return s.compare(0, m.text.size(), m.text) == 0;
    case MatchCondition::Kind::kRegex: return RE2::PartialMatch(s, *m.regex);
    default: return false;
  }
}

// A JSON integer as int64 (false for floats and for unsigned values above INT64_MAX). nlohmann's
// is_number_integer() is true for unsigned values too, so those are checked first.
bool IntegerValue(const Json& v, int64_t* out) {
  if (v.is_number_unsigned()) {
    uint64_t u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(INT64_MAX)) return false;
    *out = static_cast<int64_t>(u);
    return true;
  }
  if (v.is_number_integer()) {
    *out = v.get<int64_t>();
    return true;
  }
  return false;
}

// Whether one value (never an array: paths flatten the final array) satisfies the match.
bool ValueMatches(const MatchCondition& m, const Json& v) {
  switch (m.kind) {
    case MatchCondition::Kind::kValue: {
      const Json& want = m.value;
      if (want.is_string()) return v.is_string() && v.get_ref<const std::string&>() == want.get_ref<const std::string&>();
      if (want.is_boolean()) return v.is_boolean() && v.get<bool>() == want.get<bool>();
      int64_t i;
      return IntegerValue(v, &i) && i == want.get<int64_t>();
    }
    case MatchCondition::Kind::kAny: {
      if (v.is_string()) return m.string_set.count(v.get_ref<const std::string&>()) > 0;
      int64_t i;
      return IntegerValue(v, &i) && m.integer_set.count(i) > 0;
    }
    case MatchCondition::Kind::kExcept: {
      if (v.is_string()) return m.string_set.count(v.get_ref<const std::string&>()) == 0;
      int64_t i;
      if (IntegerValue(v, &i)) return m.integer_set.count(i) == 0;
      return true;  // a value of another type is not in the list
    }
    default: return v.is_string() && StringMatches(m, v.get_ref<const std::string&>());
  }
}

bool InRange(const RangeCondition& r, double x) {
  return (!r.gt || x > *r.gt) && (!r.gte || x >= *r.gte) && (!r.lt || x < *r.lt) && (!r.lte || x <= *r.lte);
}

bool CountInRange(const ValuesCountCondition& c, uint64_t n) {
  return (!c.gt || n > *c.gt) && (!c.gte || n >= *c.gte) && (!c.lt || n < *c.lt) && (!c.lte || n <= *c.lte);
}

bool NumbersEqual(const Json& a, const Json& b) {
  if (a.is_number_unsigned() && b.is_number_unsigned()) return a.get<uint64_t>() == b.get<uint64_t>();
  if (a.is_number_unsigned() != b.is_number_unsigned() && !a.is_number_float() && !b.is_number_float()) {
    // One unsigned, one signed integer: equal only when the signed one is non-negative and the same.
    const Json& u = a.is_number_unsigned() ? a : b;
    const Json& i = a.is_number_unsigned() ? b : a;
    return i.get<int64_t>() >= 0 && static_cast<uint64_t>(i.get<int64_t>()) == u.get<uint64_t>();
  }
  if (a.is_number_integer() && b.is_number_integer()) return a.get<int64_t>() == b.get<int64_t>();
  return a.get<double>() == b.get<double>();
}

// Postgres jsonb @> : does `have` contain `want`?
bool Contains(const Json& have, const Json& want) {
  if (want.is_object()) {
    if (!have.is_object()) return false;
    for (auto it = want.begin(); it != want.end(); ++it) {
      auto h = have.find(it.key());
      if (h == have.end() || !Contains(*h, it.value())) return false;
    }
    return true;
  }
  if (want.is_array()) {
    if (!have.is_array()) return false;
    for (const Json& w : want) {
      bool found = false;
      for (const Json& h : have) {
        if (Contains(h, w)) {
          found = true;
          break;
        }
      }
      if (!found) return false;
    }
    return true;
  }
  if (want.is_number()) return have.is_number() && NumbersEqual(have, want);
  return have == want;
}

// Values at a path, without allocating, with the "missing" case told apart from "present but empty".
bool AnyValue(const FieldPath& path, const Json& payload, FunctionRef<bool(const Json&)> pred) {
  bool found = false;
  ForEachPathValue(path, payload, [&](const Json& v) {
    if (pred(v)) {
      found = true;
      return false;
    }
    return true;
  });
  return found;
}

bool FieldConditionHolds(const Condition& c, const Json& payload) {
  if (c.match) {
    // For except: true when at least one value is not in the list, so a missing field does not match.
    const MatchCondition& m = *c.match;
    if (!AnyValue(c.key, payload, [&](const Json& v) { return ValueMatches(m, v); })) return false;
  }
  if (c.range) {
    const RangeCondition& r = *c.range;
    bool ok = AnyValue(c.key, payload, [&](const Json& v) {
      if (r.datetime) {
        if (!v.is_string()) return false;
        auto t = ParseDatetimeMicros(v.get_ref<const std::string&>());
        return t && InRange(r, static_cast<double>(*t));
      }
      return v.is_number() && InRange(r, v.get<double>());
    });
    if (!ok) return false;
  }
  if (c.values_count) {
    // A missing key fails; a key holding [] or null has zero values (as in Qdrant).
    uint64_t n = 0;
    bool present = false;
    ForEachPathNode(c.key, payload, [&](const Json& node) {
      present = true;
      n += node.is_array() ? node.size() : node.is_null() ? 0 : 1;
      return true;
    });
    if (!present || !CountInRange(*c.values_count, n)) return false;
  }
  if (c.is_empty) {
    bool has_non_null = AnyValue(c.key, payload, [](const Json& v) { return !v.is_null(); });
    if (*c.is_empty == has_non_null) return false;
  }
  if (c.is_null) {
    // {"key": k, "is_null": b} holds when is_null(k) == b: "false" is the plain negation (a missing key is
    // not null), as "is_empty": false is of is_empty.
    bool has_null = AnyValue(c.key, payload, [](const Json& v) { return v.is_null(); });
    if (*c.is_null != has_null) return false;
  }
  return true;
}

// SQL semantics: the column's value or NULL (column.h), and any comparison with NULL is false.
bool ColumnHolds(const ColumnCondition& c, const Json& payload) {
  using Op = ColumnCondition::Op;
  const Json* v = nullptr;
  if (payload.is_object()) {
    auto it = payload.find(c.key);
    if (it != payload.end()) v = &*it;
  }
  bool is_null = v == nullptr || (v->is_null() && c.type != ColumnType::kJson) ||
                 (c.type == ColumnType::kNumber && !v->is_number()) ||
                 (c.type == ColumnType::kBool && !v->is_boolean());
  if (c.op == Op::kIsNull) return is_null;
  if (c.op == Op::kIsNotNull) return !is_null;
  if (is_null) return false;
  if (c.type == ColumnType::kNumber) {
    // Integers with integers exactly, anything else as doubles (see ColumnCondition::integers). A double
    // precision column's operands arrive with a fraction, so they compare as doubles, as Postgres does.
    std::optional<__int128> n = JsonInteger(*v);
    double x = v->get<double>();
    auto compare = [&](size_t i) {
      if (n && c.integers[i]) return *n < *c.integers[i] ? -1 : *n > *c.integers[i] ? 1 : 0;
      return x < c.numbers[i] ? -1 : x > c.numbers[i] ? 1 : 0;
    };
    auto any_equal = [&] {
      for (size_t i = 0; i < c.numbers.size(); ++i)
        if (compare(i) == 0) return true;
      return false;
    };
    switch (c.op) {
      case Op::kEq: return compare(0) == 0;
      case Op::kNe: return compare(0) != 0;
      case Op::kLt: return compare(0) < 0;
      case Op::kLe: return compare(0) <= 0;
      case Op::kGt: return compare(0) > 0;
      case Op::kGe: return compare(0) >= 0;
      case Op::kIn: return any_equal();
      case Op::kNotIn: return !any_equal();
      default: return false;
    }
  }
  std::string text = c.type == ColumnType::kBool ? (v->get<bool>() ? "true" : "false")
                                                  : *ColumnText(payload, c.key, c.type);
  switch (c.op) {
    case Op::kEq: return text == c.texts[0];
    case Op::kNe: return text != c.texts[0];
    case Op::kIn: return std::find(c.texts.begin(), c.texts.end(), text) != c.texts.end();
    case Op::kNotIn: return std::find(c.texts.begin(), c.texts.end(), text) == c.texts.end();
    case Op::kPrefix: return text.compare(0, c.texts[0].size(), c.texts[0]) == 0;
    case Op::kNotPrefix: return text.compare(0, c.texts[0].size(), c.texts[0]) != 0;
    default: return false;
  }
}

bool Holds(const Condition& c, const PointId& id, const Json& payload);

bool Evaluate(const Filter& f, const PointId& id, const Json& payload) {
  for (const Condition& c : f.must)
    if (!Holds(c, id, payload)) return false;
  for (const Condition& c : f.must_not)
    if (Holds(c, id, payload)) return false;
  if (f.has_should) {
    bool any = false;
    for (const Condition& c : f.should) {
      if (Holds(c, id, payload)) {
        any = true;
        break;
      }
    }
    if (!any) return false;
  }
  if (f.min_should) {
    size_t n = 0;
    for (const Condition& c : f.min_should->conditions) {
      if (Holds(c, id, payload) && ++n >= f.min_should->min_count) break;
    }
    if (n < f.min_should->min_count) return false;
  }
  return true;
}

bool Holds(const Condition& c, const PointId& id, const Json& payload) {
  switch (c.type) {
    case Condition::Type::kField: return FieldConditionHolds(c, payload);
    case Condition::Type::kIsEmpty: return !AnyValue(c.key, payload, [](const Json& v) { return !v.is_null(); });
    case Condition::Type::kIsNull: return AnyValue(c.key, payload, [](const Json& v) { return v.is_null(); });
    case Condition::Type::kHasId: return c.ids.count(id) > 0;
    case Condition::Type::kNested:
      return AnyValue(c.key, payload, [&](const Json& element) {
        return element.is_object() && Evaluate(*c.filter, id, element);
      });
    case Condition::Type::kPayloadContains: return Contains(payload, c.contains);
    case Condition::Type::kColumn: return ColumnHolds(c.column, payload);
    case Condition::Type::kFilter: return Evaluate(*c.filter, id, payload);
  }
  return false;
}

// ---------------------------------------------------------------------------------------------------------
// Datetimes

bool Digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool LeapYear(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

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

bool FilterMatches(const Filter& filter, const PointId& id, const Json& payload) {
  static const Json kEmpty = Json::object();
  return Evaluate(filter, id, payload.is_null() ? kEmpty : payload);
}

std::optional<int64_t> ParseDatetimeMicros(std::string_view s) {
  int year, month, day, hour = 0, minute = 0, second = 0;
  if (!Digits(s, 0, 4, &year) || s.size() < 10 || s[4] != '-' || !Digits(s, 5, 2, &month) || s[7] != '-' ||
      !Digits(s, 8, 2, &day))
    return std::nullopt;
  size_t pos = 10;
  int64_t micros = 0;
  if (pos < s.size() && (s[pos] == 'T' || s[pos] == 't' || s[pos] == ' ')) {
    ++pos;
    if (!Digits(s, pos, 2, &hour) || pos + 2 >= s.size() || s[pos + 2] != ':' || !Digits(s, pos + 3, 2, &minute))
      return std::nullopt;
    pos += 5;
    if (pos < s.size() && s[pos] == ':') {
      if (!Digits(s, pos + 1, 2, &second)) return std::nullopt;
      pos += 3;
      if (pos < s.size() && s[pos] == '.') {
        ++pos;
        size_t start = pos;
        int64_t frac = 0;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
          if (pos - start < 6) frac = frac * 10 + (s[pos] - '0');
          ++pos;
        }
        size_t n = pos - start;
        if (n == 0 || n > 9) return std::nullopt;
        for (size_t i = n; i < 6; ++i) frac *= 10;
        micros = frac;
      }
    }
  }
  int offset_minutes = 0;
  if (pos < s.size() && pos == 10) return std::nullopt;  // a zone (or anything else) after a bare date
  if (pos < s.size()) {
    char c = s[pos];
    if ((c == 'Z' || c == 'z') && pos + 1 == s.size()) {
      pos += 1;
    } else if (c == '+' || c == '-') {
      int oh, om = 0;
      if (!Digits(s, pos + 1, 2, &oh)) return std::nullopt;
      size_t p = pos + 3;
      if (p < s.size() && s[p] == ':') {
        if (!Digits(s, p + 1, 2, &om)) return std::nullopt;
        p += 3;
      } else if (p + 2 <= s.size() && Digits(s, p, 2, &om)) {
        p += 2;
      }
      if (p != s.size() || oh > 23 || om > 59) return std::nullopt;
      offset_minutes = (c == '+' ? 1 : -1) * (oh * 60 + om);
      pos = p;
    } else {
      return std::nullopt;
    }
  }
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1) return std::nullopt;
  int max_day = kDays[month - 1] + (month == 2 && LeapYear(year) ? 1 : 0);
  if (day > max_day || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  int64_t days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
  return secs * 1000000 + micros;
}

}  // namespace govector
