// Filter parsing and evaluation. The grammar is summarised in filter.h; the rules each condition follows are
// written next to its evaluator below.
//
// Parsing runs once per request and may allocate freely; every error is a StatusCode::kInvalidFilter whose
// message starts with the location of the offending part ("filter.must[1].match: ..."). Evaluation runs once
// per candidate point inside vector search, so it never allocates: paths are walked with an inlined visitor,
// lists use the sets built at parse time, and datetimes are parsed from the string in place.
#include "engine/filter.h"

#include <re2/re2.h>

#include <algorithm>
#include <cstdint>
#include <exception>
#include <limits>
#include <string>
#include <utility>

namespace govector {

namespace {

using ValueT = Json::value_t;

// Nesting limits, so that a hostile filter cannot exhaust the stack of the parser or of the evaluator.
constexpr int kMaxFilterDepth = 64;         // filters inside filters (nested, sub-filters, min_should)
constexpr int kMaxContainsDepth = 128;      // depth of the payload_contains document
constexpr size_t kMaxPathSegments = 128;    // segments of one key path
// Lists at most this long are scanned instead of hashed: cheaper for the short lists filters usually carry.
constexpr size_t kLinearScanMax = 8;

// ---------------------------------------------------------------------------------------------------------
// Small helpers shared by parsing and evaluation

std::string Quoted(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('"');
  out.append(s);
  out.push_back('"');
  return out;
}

Status Invalid(const std::string& where, const std::string& what) {
  return Status::InvalidFilter(where + ": " + what);
}

// The value as an int64 when it is a JSON integer that fits; floats never qualify.
bool AsInt64(const Json& v, int64_t* out) {
  if (v.type() == ValueT::number_integer) {
    *out = *v.get_ptr<const Json::number_integer_t*>();
    return true;
  }
  if (v.type() == ValueT::number_unsigned) {
    uint64_t u = *v.get_ptr<const Json::number_unsigned_t*>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return false;
    *out = static_cast<int64_t>(u);
    return true;
  }
  return false;
}

// Any JSON number (integer, unsigned or float) as a double.
bool AsDouble(const Json& v, double* out) {
  switch (v.type()) {
    case ValueT::number_integer:
      *out = static_cast<double>(*v.get_ptr<const Json::number_integer_t*>());
      return true;
    case ValueT::number_unsigned:
      *out = static_cast<double>(*v.get_ptr<const Json::number_unsigned_t*>());
      return true;
    case ValueT::number_float:
      *out = *v.get_ptr<const Json::number_float_t*>();
      return true;
    default:
      return false;
  }
}

const std::string& StringOf(const Json& v) { return *v.get_ptr<const Json::string_t*>(); }

// A short description of a value for an error message: scalars as JSON, containers by type (dumping an
// arbitrarily deep container would recurse without bound).
std::string Describe(const Json& v) {
  if (v.is_structured()) return v.type_name();
  std::string text = v.dump();
  if (text.size() > 64) text = text.substr(0, 61) + "...";
  return std::string(v.type_name()) + " " + text;
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

bool IsLeapYear(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int y, int m) {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeapYear(y) ? 29 : kDays[m - 1];
}

// Days from 1970-01-01 to the given proleptic Gregorian date. The calendar is shifted to start in March so
// that the leap day is the last day of a "year"; then whole 400-year eras (146097 days each) are counted.
int64_t DaysFromCivil(int y, int m, int d) {
  int64_t year = y - (m <= 2 ? 1 : 0);
  int64_t era = (year >= 0 ? year : year - 399) / 400;
  int64_t year_of_era = year - era * 400;                                  // [0, 399]
  int64_t shifted_month = m > 2 ? m - 3 : m + 9;                           // March = 0
  int64_t day_of_year = (153 * shifted_month + 2) / 5 + d - 1;             // [0, 365]
  int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;                               // 719468: 0000-03-01 to 1970-01-01
}

}  // namespace

std::optional<int64_t> ParseDatetimeMicros(std::string_view s) {
  int year = 0, month = 0, day = 0;
  if (!Digits(s, 0, 4, &year) || s.size() < 10 || s[4] != '-' || !Digits(s, 5, 2, &month) || s[7] != '-' ||
      !Digits(s, 8, 2, &day))
    return std::nullopt;
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month)) return std::nullopt;
  int64_t micros = DaysFromCivil(year, month, day) * 86400LL * 1000000LL;
  if (s.size() == 10) return micros;

  // Time of day: HH:MM, then optional :SS and .fraction.
  char sep = s[10];
  if (sep != 'T' && sep != 't' && sep != ' ') return std::nullopt;
  int hour = 0, minute = 0, second = 0;
  if (!Digits(s, 11, 2, &hour) || s.size() < 16 || s[13] != ':' || !Digits(s, 14, 2, &minute))
    return std::nullopt;
  if (hour > 23 || minute > 59) return std::nullopt;
  size_t pos = 16;
  int64_t fraction_micros = 0;
  if (pos < s.size() && s[pos] == ':') {
    if (!Digits(s, pos + 1, 2, &second) || second > 60) return std::nullopt;  // 60: a leap second
    pos += 3;
    if (pos < s.size() && s[pos] == '.') {
      ++pos;
      size_t start = pos;
      int64_t scale = 100000;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
        if (pos - start >= 9) return std::nullopt;
        fraction_micros += (s[pos] - '0') * scale;  // digits past the sixth have scale 0: truncated
        scale /= 10;
        ++pos;
      }
      if (pos == start) return std::nullopt;
    }
  }
  micros += ((hour * 60LL + minute) * 60LL + second) * 1000000LL + fraction_micros;

  // Zone: none (UTC), Z, or an offset +HH:MM, +HHMM, +HH.
  if (pos == s.size()) return micros;
  char z = s[pos];
  if (z == 'Z' || z == 'z') return pos + 1 == s.size() ? std::optional<int64_t>(micros) : std::nullopt;
  if (z != '+' && z != '-') return std::nullopt;
  int off_h = 0, off_m = 0;
  if (!Digits(s, pos + 1, 2, &off_h)) return std::nullopt;
  size_t rest = pos + 3;
  if (rest == s.size()) {
    // +HH
  } else if (s[rest] == ':') {
    if (!Digits(s, rest + 1, 2, &off_m) || rest + 3 != s.size()) return std::nullopt;
  } else {
    if (!Digits(s, rest, 2, &off_m) || rest + 2 != s.size()) return std::nullopt;
  }
  if (off_h > 23 || off_m > 59) return std::nullopt;
  int64_t offset = (off_h * 60LL + off_m) * 60LL * 1000000LL;
  return z == '+' ? micros - offset : micros + offset;
}

namespace {

// ---------------------------------------------------------------------------------------------------------
// Parsing

Result<std::shared_ptr<const Filter>> ParseFilterAt(const Json& j, const std::string& where, bool in_nested,
                                                    int depth);

Result<FieldPath> ParsePath(const Json& j, const std::string& where) {
  if (!j.is_string()) return Invalid(where, "key must be a string, got " + std::string(j.type_name()));
  const std::string& text = StringOf(j);
  FieldPath path;
  path.text = text;
  if (text.empty()) return Invalid(where, "key must not be empty");
  const std::string bad = "bad key " + Quoted(text) + ": ";
  size_t i = 0;
  while (true) {
    // One segment: a non-empty key, then optionally [] or [N].
    size_t start = i;
    while (i < text.size() && text[i] != '.' && text[i] != '[' && text[i] != ']') ++i;
    if (i == start) {
      if (i < text.size() && text[i] == '[') return Invalid(where, bad + "'[' must follow a key");
      if (i < text.size() && text[i] == ']') return Invalid(where, bad + "unbalanced ']'");
      return Invalid(where, bad + "empty segment");
    }
    if (i < text.size() && text[i] == ']') return Invalid(where, bad + "unbalanced ']'");
    PathSegment key;
    key.kind = PathSegment::Kind::kKey;
    key.key = text.substr(start, i - start);
    path.segments.push_back(std::move(key));
    if (i < text.size() && text[i] == '[') {
      size_t close = text.find(']', i + 1);
      if (close == std::string::npos) return Invalid(where, bad + "unbalanced '['");
      std::string_view inside(text.data() + i + 1, close - i - 1);
      PathSegment seg;
      if (inside.empty()) {
        seg.kind = PathSegment::Kind::kFlatten;
      } else {
        seg.kind = PathSegment::Kind::kIndex;
        size_t n = 0;
        for (char c : inside) {
          if (c < '0' || c > '9' || n > (std::numeric_limits<size_t>::max() - 9) / 10)
            return Invalid(where, bad + "array index must be a non-negative integer, got [" + std::string(inside) +
                                      "]");
          n = n * 10 + static_cast<size_t>(c - '0');
        }
        seg.index = n;
      }
      path.segments.push_back(std::move(seg));
      i = close + 1;
    }
    if (path.segments.size() > kMaxPathSegments) return Invalid(where, bad + "too many segments");
    if (i == text.size()) break;
    if (text[i] != '.') return Invalid(where, bad + "expected '.' after ']'");
    ++i;
    if (i == text.size()) return Invalid(where, bad + "empty segment");
  }
  return path;
}

// Parses an integer list element or match value that must fit in int64.
Status ParseInt64(const Json& v, const std::string& where, int64_t* out) {
  if (!AsInt64(v, out)) return Invalid(where, "integer " + v.dump() + " does not fit in a signed 64-bit integer");
  return Status::OK();
}

Result<MatchCondition> ParseMatch(const Json& j, const std::string& where) {
  if (!j.is_object()) return Invalid(where, "match must be an object, got " + std::string(j.type_name()));
  if (j.size() != 1) {
    if (j.empty()) return Invalid(where, "match must have one of value, any, except, text, prefix, contains, regex");
    std::string keys;
    for (auto it = j.begin(); it != j.end(); ++it) keys += (keys.empty() ? "" : ", ") + Quoted(it.key());
    return Invalid(where, "match must have exactly one key, got " + keys);
  }
  MatchCondition m;
  const std::string& kind = j.begin().key();
  const Json& v = j.begin().value();
  const std::string at = where + "." + kind;
  if (kind == "value") {
    m.kind = MatchCondition::Kind::kValue;
    if (v.is_string() || v.is_boolean()) {
      m.value = v;
    } else if (v.is_number_integer()) {  // signed or unsigned
      int64_t n = 0;
      GV_RETURN_IF_ERROR(ParseInt64(v, at, &n));
      m.value = n;  // normalised to a signed integer
    } else {
      return Invalid(at, "match.value must be a string, integer or boolean; use range for numbers with a fraction");
    }
  } else if (kind == "any" || kind == "except") {
    m.kind = kind == "any" ? MatchCondition::Kind::kAny : MatchCondition::Kind::kExcept;
    if (!v.is_array()) return Invalid(at, "must be an array of strings or of integers");
    bool strings = false, integers = false;
    for (size_t i = 0; i < v.size(); ++i) {
      const Json& e = v[i];
      const std::string ei = at + "[" + std::to_string(i) + "]";
      if (e.is_string()) {
        strings = true;
        m.strings.push_back(StringOf(e));
      } else if (e.is_number_integer()) {
        integers = true;
        int64_t n = 0;
        GV_RETURN_IF_ERROR(ParseInt64(e, ei, &n));
        m.integers.push_back(n);
      } else {
        return Invalid(ei, "list elements must be strings or integers, got " + Describe(e));
      }
      if (strings && integers) return Invalid(at, "list mixes strings and integers");
    }
    m.string_set.insert(m.strings.begin(), m.strings.end());
    m.integer_set.insert(m.integers.begin(), m.integers.end());
  } else if (kind == "text" || kind == "prefix" || kind == "contains" || kind == "regex") {
    if (!v.is_string()) return Invalid(at, "must be a string, got " + std::string(v.type_name()));
    m.text = StringOf(v);
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
      if (!re->ok()) return Invalid(at, "invalid regex " + Quoted(m.text) + ": " + re->error());
      m.regex = std::move(re);
    }
  } else {
    return Invalid(where, "unknown match type " + Quoted(kind));
  }
  return m;
}

// Collects the gt/gte/lt/lte members of a range-like object; null members count as absent.
Status CollectBounds(const Json& j, const std::string& where, const Json* bounds[4]) {
  static constexpr const char* kNames[4] = {"gt", "gte", "lt", "lte"};
  if (!j.is_object()) return Invalid(where, "must be an object with gt, gte, lt or lte, got " + std::string(j.type_name()));
  for (int i = 0; i < 4; ++i) bounds[i] = nullptr;
  bool any = false;
  for (auto it = j.begin(); it != j.end(); ++it) {
    int found = -1;
    for (int i = 0; i < 4; ++i)
      if (it.key() == kNames[i]) found = i;
    if (found < 0) return Invalid(where, "unknown key " + Quoted(it.key()) + " (expected gt, gte, lt, lte)");
    if (it.value().is_null()) continue;
    bounds[found] = &it.value();
    any = true;
  }
  if (!any) return Invalid(where, "needs at least one of gt, gte, lt, lte");
  return Status::OK();
}

Result<RangeCondition> ParseRange(const Json& j, const std::string& where, bool datetime_only) {
  static constexpr const char* kNames[4] = {"gt", "gte", "lt", "lte"};
  const Json* bounds[4];
  GV_RETURN_IF_ERROR(CollectBounds(j, where, bounds));
  RangeCondition r;
  bool numbers = false, strings = false;
  std::optional<double>* slots[4] = {&r.gt, &r.gte, &r.lt, &r.lte};
  for (int i = 0; i < 4; ++i) {
    if (!bounds[i]) continue;
    const Json& b = *bounds[i];
    const std::string at = where + "." + kNames[i];
    double d = 0;
    if (b.is_string()) {
      strings = true;
      auto micros = ParseDatetimeMicros(StringOf(b));
      if (!micros) return Invalid(at, "not a valid datetime: " + Quoted(StringOf(b)));
      d = static_cast<double>(*micros);
    } else if (AsDouble(b, &d)) {
      if (datetime_only) return Invalid(at, "datetime_range bounds must be datetime strings");
      numbers = true;
    } else {
      return Invalid(at, "bound must be a number or a datetime string, got " + std::string(b.type_name()));
    }
    if (numbers && strings) return Invalid(where, "bounds mix numbers and datetime strings");
    *slots[i] = d;
  }
  r.datetime = strings;
  return r;
}

Result<ValuesCountCondition> ParseValuesCount(const Json& j, const std::string& where) {
  static constexpr const char* kNames[4] = {"gt", "gte", "lt", "lte"};
  const Json* bounds[4];
  GV_RETURN_IF_ERROR(CollectBounds(j, where, bounds));
  ValuesCountCondition c;
  std::optional<uint64_t>* slots[4] = {&c.gt, &c.gte, &c.lt, &c.lte};
  for (int i = 0; i < 4; ++i) {
    if (!bounds[i]) continue;
    const Json& b = *bounds[i];
    if (b.type() == ValueT::number_unsigned) {
      *slots[i] = *b.get_ptr<const Json::number_unsigned_t*>();
    } else if (b.type() == ValueT::number_integer && *b.get_ptr<const Json::number_integer_t*>() >= 0) {
      *slots[i] = static_cast<uint64_t>(*b.get_ptr<const Json::number_integer_t*>());
    } else {
      return Invalid(where + "." + kNames[i], "must be a non-negative integer, got " + Describe(b));
    }
  }
  return c;
}

// The object form {"is_empty": {"key": path}} / {"is_null": {"key": path}}.
Result<FieldPath> ParseKeyObject(const Json& j, const std::string& where) {
  if (!j.is_object()) return Invalid(where, "must be an object {\"key\": ...}, got " + std::string(j.type_name()));
  for (auto it = j.begin(); it != j.end(); ++it)
    if (it.key() != "key") return Invalid(where, "unknown key " + Quoted(it.key()) + " (expected only \"key\")");
  auto it = j.find("key");
  if (it == j.end()) return Invalid(where, "missing \"key\"");
  return ParsePath(*it, where + ".key");
}

bool IsFilterKey(const std::string& k) {
  return k == "must" || k == "should" || k == "must_not" || k == "min_should";
}

int ContainsDepth(const Json& j, int limit) {
  if (limit <= 0) return 1;
  int deepest = 0;
  if (j.is_object() || j.is_array())
    for (const Json& e : j) deepest = std::max(deepest, ContainsDepth(e, limit - 1));
  return deepest + 1;
}

Result<Condition> ParseFieldCondition(const Json& j, const std::string& where) {
  Condition c;
  c.type = Condition::Type::kField;
  const Json* range = nullptr;
  const Json* datetime_range = nullptr;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    const Json& v = it.value();
    const std::string at = where + "." + k;
    if (k == "key") {
      GV_ASSIGN_OR_RETURN(c.key, ParsePath(v, at));
    } else if (v.is_null() && (k == "match" || k == "range" || k == "datetime_range" || k == "values_count" ||
                               k == "is_empty" || k == "is_null")) {
      continue;  // an absent optional member, as clients that serialise every field send it
    } else if (k == "match") {
      GV_ASSIGN_OR_RETURN(c.match, ParseMatch(v, at));
    } else if (k == "range") {
      range = &v;
    } else if (k == "datetime_range") {
      datetime_range = &v;
    } else if (k == "values_count") {
      GV_ASSIGN_OR_RETURN(c.values_count, ParseValuesCount(v, at));
    } else if (k == "is_empty" || k == "is_null") {
      if (!v.is_boolean()) return Invalid(at, "must be a boolean, got " + std::string(v.type_name()));
      (k == "is_empty" ? c.is_empty : c.is_null) = v.get<bool>();
    } else if (k.rfind("geo_", 0) == 0) {
      return Invalid(where, "unsupported condition " + Quoted(k) + ": geo conditions are not supported");
    } else {
      return Invalid(where, "unsupported condition " + Quoted(k) +
                                " in a field condition (expected match, range, datetime_range, values_count, "
                                "is_empty, is_null)");
    }
  }
  if (range && datetime_range) return Invalid(where, "range and datetime_range cannot both be given");
  if (range) {
    GV_ASSIGN_OR_RETURN(c.range, ParseRange(*range, where + ".range", false));
  } else if (datetime_range) {
    GV_ASSIGN_OR_RETURN(c.range, ParseRange(*datetime_range, where + ".datetime_range", true));
  }
  if (!c.match && !c.range && !c.values_count && !c.is_empty && !c.is_null)
    return Invalid(where, "field condition on " + Quoted(c.key.text) +
                              " needs one of match, range, datetime_range, values_count, is_empty, is_null");
  return c;
}

Result<Condition> ParseCondition(const Json& j, const std::string& where, bool in_nested, int depth) {
  if (!j.is_object()) return Invalid(where, "condition must be an object, got " + std::string(j.type_name()));
  if (j.contains("key")) return ParseFieldCondition(j, where);

  Condition c;
  if (j.size() == 1) {
    const std::string& k = j.begin().key();
    const Json& v = j.begin().value();
    const std::string at = where + "." + k;
    if (k == "is_empty" || k == "is_null") {
      c.type = k == "is_empty" ? Condition::Type::kIsEmpty : Condition::Type::kIsNull;
      GV_ASSIGN_OR_RETURN(c.key, ParseKeyObject(v, at));
      return c;
    }
    if (k == "has_id") {
      if (in_nested) return Invalid(at, "has_id is not allowed inside nested");
      if (!v.is_array()) return Invalid(at, "must be an array of point ids, got " + std::string(v.type_name()));
      c.type = Condition::Type::kHasId;
      for (size_t i = 0; i < v.size(); ++i) {
        auto id = PointId::FromJson(v[i], /*allow_strings=*/true);
        if (!id.ok()) return Invalid(at + "[" + std::to_string(i) + "]", id.status().message());
        c.ids.insert(std::move(id).value());
      }
      return c;
    }
    if (k == "nested") {
      if (!v.is_object()) return Invalid(at, "must be an object {\"key\", \"filter\"}, got " + std::string(v.type_name()));
      for (auto it = v.begin(); it != v.end(); ++it)
        if (it.key() != "key" && it.key() != "filter")
          return Invalid(at, "unknown key " + Quoted(it.key()) + " (expected \"key\" and \"filter\")");
      auto key = v.find("key");
      auto filter = v.find("filter");
      if (key == v.end()) return Invalid(at, "missing \"key\"");
      if (filter == v.end()) return Invalid(at, "missing \"filter\"");
      c.type = Condition::Type::kNested;
      GV_ASSIGN_OR_RETURN(c.key, ParsePath(*key, at + ".key"));
      GV_ASSIGN_OR_RETURN(c.filter, ParseFilterAt(*filter, at + ".filter", /*in_nested=*/true, depth + 1));
      return c;
    }
    if (k == "payload_contains") {
      if (!v.is_object()) return Invalid(at, "must be a JSON object, got " + std::string(v.type_name()));
      if (ContainsDepth(v, kMaxContainsDepth + 1) > kMaxContainsDepth)
        return Invalid(at, "document nested too deeply");
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
  if (j.empty()) return Invalid(where, "unknown condition type (empty object)");
  std::string keys;
  for (auto it = j.begin(); it != j.end(); ++it) keys += (keys.empty() ? "" : ", ") + Quoted(it.key());
  return Invalid(where, "unknown condition type (keys: " + keys + ")");
}

// A clause value: one condition or an array of them.
Status ParseClause(const Json& j, const std::string& where, bool in_nested, int depth, std::vector<Condition>* out) {
  if (j.is_array()) {
    out->reserve(j.size());
    for (size_t i = 0; i < j.size(); ++i) {
      GV_ASSIGN_OR_RETURN(Condition c, ParseCondition(j[i], where + "[" + std::to_string(i) + "]", in_nested, depth));
      out->push_back(std::move(c));
    }
    return Status::OK();
  }
  GV_ASSIGN_OR_RETURN(Condition c, ParseCondition(j, where, in_nested, depth));
  out->push_back(std::move(c));
  return Status::OK();
}

Result<MinShould> ParseMinShould(const Json& j, const std::string& where, bool in_nested, int depth) {
  if (!j.is_object())
    return Invalid(where, "must be an object {\"conditions\", \"min_count\"}, got " + std::string(j.type_name()));
  for (auto it = j.begin(); it != j.end(); ++it)
    if (it.key() != "conditions" && it.key() != "min_count")
      return Invalid(where, "unknown key " + Quoted(it.key()) + " (expected \"conditions\" and \"min_count\")");
  auto conditions = j.find("conditions");
  auto min_count = j.find("min_count");
  if (conditions == j.end() || conditions->is_null()) return Invalid(where, "missing \"conditions\"");
  if (min_count == j.end() || min_count->is_null()) return Invalid(where, "missing \"min_count\"");
  if (!conditions->is_array())
    return Invalid(where + ".conditions", "must be an array of conditions, got " + std::string(conditions->type_name()));
  MinShould ms;
  if (min_count->type() == ValueT::number_unsigned) {
    ms.min_count = static_cast<size_t>(*min_count->get_ptr<const Json::number_unsigned_t*>());
  } else if (min_count->type() == ValueT::number_integer && *min_count->get_ptr<const Json::number_integer_t*>() >= 0) {
    ms.min_count = static_cast<size_t>(*min_count->get_ptr<const Json::number_integer_t*>());
  } else {
    return Invalid(where + ".min_count", "must be a non-negative integer, got " + Describe(*min_count));
  }
  GV_RETURN_IF_ERROR(ParseClause(*conditions, where + ".conditions", in_nested, depth, &ms.conditions));
  return ms;
}

Result<std::shared_ptr<const Filter>> ParseFilterAt(const Json& j, const std::string& where, bool in_nested,
                                                    int depth) {
  if (depth > kMaxFilterDepth) return Invalid(where, "filter nested too deeply");
  if (!j.is_object()) return Invalid(where, "filter must be a JSON object, got " + std::string(j.type_name()));
  auto f = std::make_shared<Filter>();
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    const Json& v = it.value();
    const std::string at = where + "." + k;
    if (!IsFilterKey(k))
      return Invalid(where, "unknown key " + Quoted(k) + " (expected must, should, must_not, min_should)");
    if (v.is_null()) continue;  // treated as absent
    if (k == "must") {
      GV_RETURN_IF_ERROR(ParseClause(v, at, in_nested, depth, &f->must));
    } else if (k == "should") {
      f->has_should = true;
      GV_RETURN_IF_ERROR(ParseClause(v, at, in_nested, depth, &f->should));
    } else if (k == "must_not") {
      GV_RETURN_IF_ERROR(ParseClause(v, at, in_nested, depth, &f->must_not));
    } else {
      GV_ASSIGN_OR_RETURN(f->min_should, ParseMinShould(v, at, in_nested, depth));
    }
  }
  return std::shared_ptr<const Filter>(std::move(f));
}

// ---------------------------------------------------------------------------------------------------------
// Path resolution. Pred returns true to stop; the walk returns true when it was stopped (so "any value
// satisfies pred" is a single call). With expand_last, an array at the end of the path yields its elements;
// without, it yields the array node itself.

template <typename Pred>
bool WalkPath(const PathSegment* seg, const PathSegment* end, const Json* cur, bool expand_last, Pred& pred) {
  for (; seg != end; ++seg) {
    switch (seg->kind) {
      case PathSegment::Kind::kKey: {
        if (!cur->is_object()) return false;
        auto it = cur->find(seg->key);
        if (it == cur->end()) return false;
        cur = &*it;
        break;
      }
      case PathSegment::Kind::kFlatten: {
        if (!cur->is_array()) return false;
        for (const Json& e : *cur)
          if (WalkPath(seg + 1, end, &e, expand_last, pred)) return true;
        return false;
      }
      case PathSegment::Kind::kIndex: {
        if (!cur->is_array() || seg->index >= cur->size()) return false;
        cur = &(*cur)[seg->index];
        break;
      }
    }
  }
  if (expand_last && cur->is_array()) {
    for (const Json& e : *cur)
      if (pred(e)) return true;
    return false;
  }
  return pred(*cur);
}

// True when pred holds for some value at the path.
template <typename Pred>
bool AnyValue(const FieldPath& path, const Json& payload, Pred&& pred) {
  const std::vector<PathSegment>& s = path.segments;
  return WalkPath(s.data(), s.data() + s.size(), &payload, true, pred);
}

// Visits the nodes at the end of the path without expanding a final array.
template <typename Pred>
bool AnyNode(const FieldPath& path, const Json& payload, Pred&& pred) {
  const std::vector<PathSegment>& s = path.segments;
  return WalkPath(s.data(), s.data() + s.size(), &payload, false, pred);
}

// ---------------------------------------------------------------------------------------------------------
// Evaluation

bool InStrings(const MatchCondition& m, const std::string& s) {
  if (m.strings.size() <= kLinearScanMax) {
    for (const std::string& e : m.strings)
      if (e == s) return true;
    return false;
  }
  return m.string_set.find(s) != m.string_set.end();
}

bool InIntegers(const MatchCondition& m, int64_t n) {
  if (m.integers.size() <= kLinearScanMax) {
    for (int64_t e : m.integers)
      if (e == n) return true;
    return false;
  }
  return m.integer_set.find(n) != m.integer_set.end();
}

// match.value: a string equals, an integer equals an integer payload value (floats never), a bool equals.
// match.any: some value is in the list (an empty list matches nothing). match.except: some value is not in
// the list, where a value of another type than the list's is never in it; no values at all is false.
// text/contains: substring of some string value; prefix: some string value starts with it; regex:
// RE2::PartialMatch on some string value.
bool EvalMatch(const MatchCondition& m, const FieldPath& path, const Json& payload) {
  switch (m.kind) {
    case MatchCondition::Kind::kValue: {
      const Json& target = m.value;
      if (target.is_string()) {
        const std::string& t = StringOf(target);
        return AnyValue(path, payload, [&](const Json& v) { return v.is_string() && StringOf(v) == t; });
      }
      if (target.is_boolean()) {
        bool t = *target.get_ptr<const Json::boolean_t*>();
        return AnyValue(path, payload,
                        [&](const Json& v) { return v.is_boolean() && *v.get_ptr<const Json::boolean_t*>() == t; });
      }
      int64_t t = 0;
      if (!AsInt64(target, &t)) return false;
      return AnyValue(path, payload, [&](const Json& v) {
        int64_t n = 0;
        return AsInt64(v, &n) && n == t;
      });
    }
    case MatchCondition::Kind::kAny: {
      if (!m.strings.empty())
        return AnyValue(path, payload, [&](const Json& v) { return v.is_string() && InStrings(m, StringOf(v)); });
      if (!m.integers.empty())
        return AnyValue(path, payload, [&](const Json& v) {
          int64_t n = 0;
          return AsInt64(v, &n) && InIntegers(m, n);
        });
      return false;
    }
    case MatchCondition::Kind::kExcept: {
      if (!m.strings.empty())
        return AnyValue(path, payload, [&](const Json& v) { return !v.is_string() || !InStrings(m, StringOf(v)); });
      if (!m.integers.empty())
        return AnyValue(path, payload, [&](const Json& v) {
          int64_t n = 0;
          return !AsInt64(v, &n) || !InIntegers(m, n);
        });
      return AnyValue(path, payload, [](const Json&) { return true; });
    }
    case MatchCondition::Kind::kText:
    case MatchCondition::Kind::kContains: {
      const std::string& t = m.text;
      return AnyValue(path, payload,
                      [&](const Json& v) { return v.is_string() && StringOf(v).find(t) != std::string::npos; });
    }
    case MatchCondition::Kind::kPrefix: {
      const std::string& t = m.text;
      return AnyValue(path, payload,
                      [&](const Json& v) { return v.is_string() && StringOf(v).compare(0, t.size(), t) == 0; });
    }
    case MatchCondition::Kind::kRegex: {
      if (!m.regex) return false;
      const RE2& re = *m.regex;
      return AnyValue(path, payload, [&](const Json& v) { return v.is_string() && RE2::PartialMatch(StringOf(v), re); });
    }
  }
  return false;
}

bool InBounds(const RangeCondition& r, double v) {
  if (r.gt && !(v > *r.gt)) return false;
  if (r.gte && !(v >= *r.gte)) return false;
  if (r.lt && !(v < *r.lt)) return false;
  if (r.lte && !(v <= *r.lte)) return false;
  return true;
}

// Numeric range: some number (integer or float) is within all bounds. Datetime range: some string that is a
// datetime is within them (bounds in microseconds).
bool EvalRange(const RangeCondition& r, const FieldPath& path, const Json& payload) {
  if (r.datetime) {
    return AnyValue(path, payload, [&](const Json& v) {
      if (!v.is_string()) return false;
      auto micros = ParseDatetimeMicros(StringOf(v));
      return micros && InBounds(r, static_cast<double>(*micros));
    });
  }
  return AnyValue(path, payload, [&](const Json& v) {
    double d = 0;
    return AsDouble(v, &d) && InBounds(r, d);
  });
}

// values_count: the number of values at the path (an array's elements each count, a scalar counts one, a
// null counts none); false when the path is missing altogether.
bool EvalValuesCount(const ValuesCountCondition& c, const FieldPath& path, const Json& payload) {
  bool found = false;
  uint64_t count = 0;
  AnyNode(path, payload, [&](const Json& node) {
    found = true;
    if (node.is_array()) {
      count += node.size();
    } else if (!node.is_null()) {
      ++count;
    }
    return false;
  });
  if (!found) return false;
  if (c.gt && !(count > *c.gt)) return false;
  if (c.gte && !(count >= *c.gte)) return false;
  if (c.lt && !(count < *c.lt)) return false;
  if (c.lte && !(count <= *c.lte)) return false;
  return true;
}

// is_empty: no values (missing, or an empty array), or every value is null.
bool IsEmptyAt(const FieldPath& path, const Json& payload) {
  return !AnyValue(path, payload, [](const Json& v) { return !v.is_null(); });
}

// is_null: some value is null (the value itself, or an element of the array there).
bool IsNullAt(const FieldPath& path, const Json& payload) {
  return AnyValue(path, payload, [](const Json& v) { return v.is_null(); });
}

bool NumbersEqual(const Json& a, const Json& b) {
  int64_t ia = 0, ib = 0;
  bool a_int = AsInt64(a, &ia), b_int = AsInt64(b, &ib);
  if (a_int && b_int) return ia == ib;
  if (a.type() == ValueT::number_unsigned && b.type() == ValueT::number_unsigned)
    return *a.get_ptr<const Json::number_unsigned_t*>() == *b.get_ptr<const Json::number_unsigned_t*>();
  if (a.is_number_float() || b.is_number_float()) {
    double da = 0, db = 0;
    AsDouble(a, &da);
    AsDouble(b, &db);
    return da == db;
  }
  return false;  // an unsigned above INT64_MAX against a signed integer
}

// Postgres jsonb containment (left @> right) below the top level: objects contain objects key by key, arrays
// contain arrays element by element (each right element contained by some left element), scalars are equal
// (numbers numerically).
bool JsonContains(const Json& left, const Json& right) {
  switch (right.type()) {
    case ValueT::object: {
      if (!left.is_object()) return false;
      for (auto it = right.begin(); it != right.end(); ++it) {
        auto found = left.find(it.key());
        if (found == left.end() || !JsonContains(*found, it.value())) return false;
      }
      return true;
    }
    case ValueT::array: {
      if (!left.is_array()) return false;
      for (const Json& r : right) {
        bool ok = false;
        for (const Json& l : left) {
          if (JsonContains(l, r)) {
            ok = true;
            break;
          }
        }
        if (!ok) return false;
      }
      return true;
    }
    case ValueT::number_integer:
    case ValueT::number_unsigned:
    case ValueT::number_float:
      return left.is_number() && NumbersEqual(left, right);
    case ValueT::string:
      return left.is_string() && StringOf(left) == StringOf(right);
    case ValueT::boolean:
      return left.is_boolean() &&
             *left.get_ptr<const Json::boolean_t*>() == *right.get_ptr<const Json::boolean_t*>();
    case ValueT::null:
      return left.is_null();
    default:
      return false;
  }
}

bool EvalFilter(const Filter& f, const PointId& id, const Json& payload);

bool EvalCondition(const Condition& c, const PointId& id, const Json& payload) {
  switch (c.type) {
    case Condition::Type::kField:
      // Every part given must hold.
      if (c.match && !EvalMatch(*c.match, c.key, payload)) return false;
      if (c.range && !EvalRange(*c.range, c.key, payload)) return false;
      if (c.values_count && !EvalValuesCount(*c.values_count, c.key, payload)) return false;
      if (c.is_empty && IsEmptyAt(c.key, payload) != *c.is_empty) return false;
      if (c.is_null && IsNullAt(c.key, payload) != *c.is_null) return false;
      return true;
    case Condition::Type::kIsEmpty:
      return IsEmptyAt(c.key, payload);
    case Condition::Type::kIsNull:
      return IsNullAt(c.key, payload);
    case Condition::Type::kHasId:
      return c.ids.find(id) != c.ids.end();
    case Condition::Type::kNested:
      // Some object element at the path satisfies the whole inner filter on its own.
      if (!c.filter) return false;
      return AnyValue(c.key, payload, [&](const Json& e) { return e.is_object() && EvalFilter(*c.filter, id, e); });
    case Condition::Type::kPayloadContains:
      return JsonContains(payload, c.contains);
    case Condition::Type::kFilter:
      return c.filter && EvalFilter(*c.filter, id, payload);
  }
  return false;
}

bool EvalFilter(const Filter& f, const PointId& id, const Json& payload) {
  for (const Condition& c : f.must)
    if (!EvalCondition(c, id, payload)) return false;
  if (f.has_should) {
    bool any = false;
    for (const Condition& c : f.should) {
      if (EvalCondition(c, id, payload)) {
        any = true;
        break;
      }
    }
    if (!any) return false;
  }
  for (const Condition& c : f.must_not)
    if (EvalCondition(c, id, payload)) return false;
  if (f.min_should) {
    const MinShould& ms = *f.min_should;
    if (ms.min_count == 0) return true;
    size_t hits = 0;
    size_t remaining = ms.conditions.size();
    for (const Condition& c : ms.conditions) {
      if (hits + remaining < ms.min_count) return false;  // cannot reach min_count any more
      --remaining;
      if (EvalCondition(c, id, payload) && ++hits >= ms.min_count) return true;
    }
    return false;
  }
  return true;
}

}  // namespace

Result<std::shared_ptr<const Filter>> ParseFilterJson(const Json& j) {
  try {
    return ParseFilterAt(j, "filter", /*in_nested=*/false, 0);
  } catch (const std::exception& e) {
    return Status::InvalidFilter(std::string("filter: ") + e.what());
  }
}

Result<std::shared_ptr<const Filter>> ParseFilter(std::string_view json_text) {
  Json j;
  try {
    j = Json::parse(json_text.begin(), json_text.end());
  } catch (const Json::exception& e) {
    return Status::InvalidFilter(std::string("filter: malformed JSON: ") + e.what());
  } catch (const std::exception& e) {
    return Status::InvalidFilter(std::string("filter: ") + e.what());
  }
  return ParseFilterJson(j);
}

bool FilterMatches(const Filter& filter, const PointId& id, const Json& payload) {
  if (payload.is_null()) {
    static const Json kEmptyObject = Json::object();
    return EvalFilter(filter, id, kEmptyObject);
  }
  return EvalFilter(filter, id, payload);
}

}  // namespace govector
