// Filter evaluation: whether one point's id and payload satisfy a parsed Filter (the rule of each condition
// is next to its code below; the grammar is described in filter.h).
#include <re2/re2.h>

#include <algorithm>

#include "engine/datetime.h"
#include "engine/filter.h"
#include "engine/json_number.h"
#include "engine/json_path.h"

namespace govector {

namespace {

bool StringMatches(const MatchCondition& m, const std::string& s) {
  switch (m.kind) {
    case MatchCondition::Kind::kText:
    case MatchCondition::Kind::kContains: return s.find(m.text) != std::string::npos;
    case MatchCondition::Kind::kPrefix: return s.compare(0, m.text.size(), m.text) == 0;
    case MatchCondition::Kind::kRegex: return RE2::PartialMatch(s, *m.regex);
    default: return false;
  }
}

// Whether one value (never an array: paths flatten the final array) satisfies the match.
bool ValueMatches(const MatchCondition& m, const Json& v) {
  switch (m.kind) {
    case MatchCondition::Kind::kValue: {
      const Json& want = m.value;
      if (want.is_string()) return v.is_string() && v.get_ref<const std::string&>() == want.get_ref<const std::string&>();
      if (want.is_boolean()) return v.is_boolean() && v.get<bool>() == want.get<bool>();
      std::optional<int64_t> i = JsonInt64(v);
      return i && *i == want.get<int64_t>();
    }
    case MatchCondition::Kind::kAny: {
      if (v.is_string()) return m.string_set.count(v.get_ref<const std::string&>()) > 0;
      std::optional<int64_t> i = JsonInt64(v);
      return i && m.integer_set.count(*i) > 0;
    }
    case MatchCondition::Kind::kExcept: {
      if (v.is_string()) return m.string_set.count(v.get_ref<const std::string&>()) == 0;
      if (std::optional<int64_t> i = JsonInt64(v)) return m.integer_set.count(*i) == 0;
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
    // A missing key, [] and null all have zero values (as in Qdrant: {"lt": 1} matches a point without
    // the key).
    uint64_t n = 0;
    ForEachPathNode(c.key, payload, [&](const Json& node) {
      n += node.is_array() ? node.size() : node.is_null() ? 0 : 1;
      return true;
    });
    if (!CountInRange(*c.values_count, n)) return false;
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
      // An integer operand with a payload double: exactly, as Postgres compares the numeric it reads.
      if (c.integers[i]) return CompareDoubleInteger(x, *c.integers[i]);
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

}  // namespace

bool FilterMatches(const Filter& filter, const PointId& id, const Json& payload) {
  static const Json kEmpty = Json::object();
  return Evaluate(filter, id, payload.is_null() ? kEmpty : payload);
}

}  // namespace govector
