// Filter: payload conditions in Qdrant's grammar plus the seed's extra match types, parsed once from JSON
// text and evaluated by one function. SQL (jsonb), the foreign-table pushdown and HTTP bodies all come here.
//
// Grammar (a Filter is a JSON object with at most these keys, each optional):
//   {"must": C|[C], "should": C|[C], "must_not": C|[C], "min_should": {"conditions": [C], "min_count": n}}
// A condition C is one of
//   {"key": path, "match": M}            M: {"value": s|i|b} {"any": [...]} {"except": [...]} {"text": s}
//                                           {"prefix": s} {"contains": s} {"regex": re2}
//   {"key": path, "range": {gt,gte,lt,lte}}   numbers, or datetime strings (datetime.h; no zone means UTC)
//   {"key": path, "values_count": {gt,gte,lt,lte}}
//   {"key": path, "is_empty": bool} / {"key": path, "is_null": bool}
//   {"is_empty": {"key": path}}   {"is_null": {"key": path}}   {"has_id": [id, ...]}
//   {"nested": {"key": path, "filter": Filter}}
//   {"payload_contains": object}      govector's own: Postgres jsonb @> semantics on the whole payload
//   {"column": {"key": k, "type": text|number|bool|json, "op": o, "value": v | "values": [...]}}
//                                     govector's own: SQL semantics on a top-level key seen as a typed column
//                                     (see column.h); o is eq ne lt le gt ge in not_in is_null is_not_null
//                                     prefix not_prefix; a NULL column matches only is_null
//   a nested Filter
// Paths: "a.b.c"; "a[]" flattens the array at a; "a[2]" takes one element. A path may yield several values;
// a condition on a path holds when any value satisfies it (see filter_eval.cc for each condition's exact rule).
//
// A Filter is immutable after parsing and may be evaluated from many threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/column.h"
#include "engine/point_id.h"
#include "engine/status.h"

namespace re2 {
class RE2;
}

namespace govector {

using Json = nlohmann::json;

// One step of a key path.
struct PathSegment {
  enum class Kind : uint8_t { kKey, kFlatten, kIndex };
  Kind kind = Kind::kKey;
  std::string key;   // kKey
  size_t index = 0;  // kIndex
};

struct FieldPath {
  std::string text;  // as written, for messages
  std::vector<PathSegment> segments;
};

struct MatchCondition {
  enum class Kind : uint8_t { kValue, kAny, kExcept, kText, kPrefix, kContains, kRegex };
  Kind kind = Kind::kValue;
  Json value;                              // kValue: a string, integer or boolean
  std::vector<std::string> strings;        // kAny / kExcept with string values
  std::vector<int64_t> integers;           // kAny / kExcept with integer values
  std::unordered_set<std::string> string_set;
  std::unordered_set<int64_t> integer_set;
  std::string text;                        // kText, kPrefix, kContains, kRegex (the pattern)
  std::shared_ptr<const re2::RE2> regex;   // kRegex
};

// Bounds of a range. For datetime ranges the bounds are microseconds since the Unix epoch (UTC).
struct RangeCondition {
  bool datetime = false;
  std::optional<double> gt, gte, lt, lte;
};

struct ValuesCountCondition {
  std::optional<uint64_t> gt, gte, lt, lte;
};

// A typed SQL comparison on a top-level payload key (what the foreign table pushes down).
struct ColumnCondition {
  enum class Op : uint8_t { kEq, kNe, kLt, kLe, kGt, kGe, kIn, kNotIn, kIsNull, kIsNotNull, kPrefix, kNotPrefix };
  std::string key;
  ColumnType type = ColumnType::kText;
  Op op = Op::kEq;
  std::vector<std::string> texts;  // text and bool operands ("true"/"false")
  std::vector<double> numbers;     // number operands
  // The same number operands, exactly, where they are JSON integers (nullopt for one with a fraction or an
  // exponent). Postgres compares bigint and numeric columns exactly, and a double holds integers exactly
  // only up to 2^53, so an integer payload value is compared with an integer operand as integers.
  std::vector<std::optional<__int128>> integers;
};

struct Filter;

struct Condition {
  enum class Type : uint8_t { kField, kIsEmpty, kIsNull, kHasId, kNested, kPayloadContains, kColumn, kFilter };
  Type type = Type::kField;
  FieldPath key;                                   // kField, kIsEmpty, kIsNull, kNested
  // kField: at least one is set; all that are set must hold.
  std::optional<MatchCondition> match;
  std::optional<RangeCondition> range;
  std::optional<ValuesCountCondition> values_count;
  std::optional<bool> is_empty;                    // kField form {"key":k,"is_empty":b}
  std::optional<bool> is_null;                     // kField form {"key":k,"is_null":b}
  std::unordered_set<PointId, PointIdHash> ids;    // kHasId
  std::shared_ptr<const Filter> filter;            // kNested (relative to each element), kFilter
  Json contains;                                   // kPayloadContains
  ColumnCondition column;                          // kColumn
};

struct MinShould {
  std::vector<Condition> conditions;
  size_t min_count = 0;
};

struct Filter {
  std::vector<Condition> must;
  std::vector<Condition> should;   // present-and-empty matches nothing, see has_should
  std::vector<Condition> must_not;
  std::optional<MinShould> min_should;
  bool has_should = false;         // "should" key was present (even as [])

  // True when the filter has no clause at all, so it matches every point.
  bool MatchesAll() const { return must.empty() && !has_should && must_not.empty() && !min_should; }
};

// Parses filter JSON text. Errors are StatusCode::kInvalidFilter and name the offending part by its location,
// e.g. `filter.must[1].match: unknown match type "foo"`.
Result<std::shared_ptr<const Filter>> ParseFilter(std::string_view json_text);
Result<std::shared_ptr<const Filter>> ParseFilterJson(const Json& j);

// True when the point with this id and payload (a JSON object; null is treated as {}) satisfies the filter.
bool FilterMatches(const Filter& filter, const PointId& id, const Json& payload);

}  // namespace govector
