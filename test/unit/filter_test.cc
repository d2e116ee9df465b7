// The filter module on its own: every condition type, the missing-field rules, paths, and parse errors.
#include "engine/filter.h"
#include "engine/json_number.h"
#include "engine/datetime.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace govector {
namespace {

const Json kDoc = Json::parse(R"({
  "city": "Berlin", "count": 3, "ratio": 1.0, "active": true, "none": null, "empty": [],
  "tags": ["red", "green"], "codes": [1, 2, 3], "mixed": ["a", null],
  "when": "2024-03-01T12:00:00Z", "local": "2024-03-01 13:30",
  "geo": {"country": {"name": "DE", "zip": 10115}},
  "stops": [{"name": "Zoo", "line": 1}, {"name": "Mitte", "line": 2}],
  "matrix": [[1, 2], [3]], "big": 18446744073709551615
})");

bool Match(const std::string& filter, const Json& doc = kDoc, uint64_t id = 7) {
  auto f = ParseFilter(filter);
  EXPECT_TRUE(f.ok()) << filter << ": " << f.status().ToString();
  return f.ok() && FilterMatches(**f, PointId::Num(id), doc);
}

std::string Cond(const std::string& key, const std::string& body) {
  return R"({"must":[{"key":")" + key + "\"," + body + "}]}";
}

TEST(Filter, MatchValue) {
  EXPECT_TRUE(Match(Cond("city", R"("match":{"value":"Berlin"})")));
  EXPECT_FALSE(Match(Cond("city", R"("match":{"value":"berlin"})")));
  EXPECT_TRUE(Match(Cond("count", R"("match":{"value":3})")));
  EXPECT_FALSE(Match(Cond("ratio", R"("match":{"value":1})")));  // 1.0 is a float: integers match integers only
  EXPECT_TRUE(Match(Cond("active", R"("match":{"value":true})")));
  EXPECT_FALSE(Match(Cond("active", R"("match":{"value":"true"})")));
  EXPECT_TRUE(Match(Cond("tags", R"("match":{"value":"green"})")));  // arrays match element by element
  EXPECT_TRUE(Match(Cond("codes", R"("match":{"value":2})")));
  EXPECT_FALSE(Match(Cond("missing", R"("match":{"value":"x"})")));
  // An unsigned value above INT64_MAX is not any signed integer.
  EXPECT_FALSE(Match(Cond("big", R"("match":{"value":-1})")));
  EXPECT_FALSE(Match(Cond("big", R"("match":{"any":[-1]})")));
}

TEST(Filter, MatchAnyExcept) {
  EXPECT_TRUE(Match(Cond("city", R"("match":{"any":["Paris","Berlin"]})")));
  EXPECT_FALSE(Match(Cond("city", R"("match":{"any":[]})")));
  EXPECT_TRUE(Match(Cond("codes", R"("match":{"any":[9,3]})")));
  EXPECT_FALSE(Match(Cond("city", R"("match":{"except":["Berlin"]})")));
  EXPECT_TRUE(Match(Cond("city", R"("match":{"except":["Paris"]})")));
  EXPECT_TRUE(Match(Cond("tags", R"("match":{"except":["red"]})")));  // green is not in the list
  EXPECT_FALSE(Match(Cond("tags", R"("match":{"except":["red","green"]})")));
  EXPECT_FALSE(Match(Cond("missing", R"("match":{"except":["x"]})")));  // missing field: false
  EXPECT_FALSE(Match(Cond("empty", R"("match":{"except":["x"]})")));
}

TEST(Filter, TextPrefixContainsRegex) {
  EXPECT_TRUE(Match(Cond("city", R"("match":{"text":"erl"})")));
  EXPECT_TRUE(Match(Cond("city", R"("match":{"contains":"lin"})")));
  EXPECT_FALSE(Match(Cond("city", R"("match":{"contains":"xyz"})")));
  EXPECT_TRUE(Match(Cond("city", R"("match":{"prefix":"Ber"})")));
  EXPECT_FALSE(Match(Cond("city", R"("match":{"prefix":"erl"})")));
  EXPECT_TRUE(Match(Cond("tags", R"("match":{"prefix":"gr"})")));
  EXPECT_TRUE(Match(Cond("city", R"("match":{"regex":"^B[a-z]+n$"})")));
  EXPECT_FALSE(Match(Cond("city", R"("match":{"regex":"^b"})")));
  EXPECT_FALSE(Match(Cond("count", R"("match":{"text":"3"})")));  // only strings
}

TEST(Filter, Ranges) {
  EXPECT_TRUE(Match(Cond("count", R"("range":{"gt":2,"lte":3})")));
  EXPECT_FALSE(Match(Cond("count", R"("range":{"gt":3})")));
  EXPECT_TRUE(Match(Cond("ratio", R"("range":{"gte":1.0,"lt":1.5})")));
  EXPECT_TRUE(Match(Cond("codes", R"("range":{"gte":3})")));
  EXPECT_FALSE(Match(Cond("missing", R"("range":{"gte":0})")));
  EXPECT_FALSE(Match(Cond("city", R"("range":{"gte":0})")));
  // Datetimes: RFC 3339 with zone, no zone means UTC, date only.
  EXPECT_TRUE(Match(Cond("when", R"("range":{"gte":"2024-03-01T11:59:59Z","lt":"2024-03-01T12:00:01Z"})")));
  EXPECT_TRUE(Match(Cond("when", R"("range":{"gt":"2024-03-01T13:00:00+02:00"})")));
  EXPECT_FALSE(Match(Cond("when", R"("range":{"gt":"2024-03-01T13:00:00"})")));
  EXPECT_TRUE(Match(Cond("local", R"("range":{"gte":"2024-03-01T13:30:00Z","lte":"2024-03-01"})")) == false);
  EXPECT_TRUE(Match(Cond("local", R"("range":{"gte":"2024-03-01","lt":"2024-03-02"})")));
  EXPECT_TRUE(Match(Cond("when", R"("datetime_range":{"lt":"2025-01-01"})")));
}

TEST(Filter, Datetimes) {
  EXPECT_EQ(ParseDatetimeMicros("1970-01-01T00:00:00Z"), std::optional<int64_t>(0));
  EXPECT_EQ(ParseDatetimeMicros("1970-01-01"), std::optional<int64_t>(0));
  EXPECT_EQ(ParseDatetimeMicros("1970-01-01T00:00:01.5Z"), std::optional<int64_t>(1500000));
  EXPECT_EQ(ParseDatetimeMicros("1970-01-01T01:00:00+01:00"), std::optional<int64_t>(0));
  EXPECT_EQ(ParseDatetimeMicros("1969-12-31 23:00-01:00"), std::optional<int64_t>(0));
  EXPECT_EQ(ParseDatetimeMicros("2000-02-29T00:00:00Z"), std::optional<int64_t>(951782400LL * 1000000));
  EXPECT_FALSE(ParseDatetimeMicros("2001-02-29"));
  EXPECT_FALSE(ParseDatetimeMicros("2024-13-01"));
  EXPECT_FALSE(ParseDatetimeMicros("2024-01-01T25:00"));
  EXPECT_FALSE(ParseDatetimeMicros("yesterday"));
  EXPECT_FALSE(ParseDatetimeMicros("2024-01-01T10:00:00Q"));
  EXPECT_FALSE(ParseDatetimeMicros("2024-01-01Z"));
}

TEST(Filter, ValuesCountEmptyNull) {
  EXPECT_TRUE(Match(Cond("tags", R"("values_count":{"gte":2,"lt":3})")));
  EXPECT_TRUE(Match(Cond("city", R"("values_count":{"lte":1})")));
  EXPECT_TRUE(Match(Cond("empty", R"("values_count":{"lt":1})")));
  EXPECT_TRUE(Match(Cond("missing", R"("values_count":{"lt":1})")));  // a missing key has zero values
  EXPECT_FALSE(Match(Cond("missing", R"("values_count":{"gte":1})")));
  EXPECT_TRUE(Match(Cond("none", R"("values_count":{"lt":1})")));  // null counts as no value
  EXPECT_TRUE(Match(Cond("mixed", R"("values_count":{"gte":2})")));
  for (const char* k : {"missing", "none", "empty"}) {
    EXPECT_TRUE(Match(std::string(R"({"must":[{"is_empty":{"key":")") + k + "\"}}]}")) << k;
    EXPECT_TRUE(Match(Cond(k, R"("is_empty":true)"))) << k;
  }
  EXPECT_FALSE(Match(R"({"must":[{"is_empty":{"key":"tags"}}]})"));
  EXPECT_TRUE(Match(Cond("tags", R"("is_empty":false)")));
  EXPECT_TRUE(Match(R"({"must":[{"is_null":{"key":"none"}}]})"));
  EXPECT_TRUE(Match(R"({"must":[{"is_null":{"key":"mixed"}}]})"));  // an array holding null
  EXPECT_FALSE(Match(R"({"must":[{"is_null":{"key":"missing"}}]})"));
  EXPECT_FALSE(Match(R"({"must":[{"is_null":{"key":"city"}}]})"));
  EXPECT_TRUE(Match(Cond("city", R"("is_null":false)")));
  EXPECT_FALSE(Match(Cond("none", R"("is_null":false)")));
  EXPECT_TRUE(Match(Cond("missing", R"("is_null":false)")));  // the negation of is_null
}

TEST(Filter, PathsAndNested) {
  EXPECT_TRUE(Match(Cond("geo.country.name", R"("match":{"value":"DE"})")));
  EXPECT_TRUE(Match(Cond("geo.country.zip", R"("range":{"gt":10000})")));
  EXPECT_TRUE(Match(Cond("stops[].name", R"("match":{"value":"Mitte"})")));
  EXPECT_FALSE(Match(Cond("stops.name", R"("match":{"value":"Mitte"})")));  // arrays need []
  EXPECT_TRUE(Match(Cond("stops[1].line", R"("match":{"value":2})")));
  EXPECT_FALSE(Match(Cond("stops[5].line", R"("match":{"value":2})")));
  EXPECT_TRUE(Match(Cond("tags[0]", R"("match":{"value":"red"})")));
  EXPECT_TRUE(Match(Cond("matrix[]", R"("match":{"value":3})")));
  // nested: every condition must hold on the same element.
  EXPECT_FALSE(Match(R"({"must":[{"nested":{"key":"stops","filter":{"must":[
      {"key":"name","match":{"value":"Zoo"}},{"key":"line","match":{"value":2}}]}}}]})"));
  EXPECT_TRUE(Match(R"({"must":[{"nested":{"key":"stops","filter":{"must":[
      {"key":"name","match":{"value":"Mitte"}},{"key":"line","match":{"value":2}}]}}}]})"));
  EXPECT_TRUE(Match(R"({"must":[{"nested":{"key":"stops[]","filter":{"must_not":[{"key":"line","range":{"gt":1}}]}}}]})"));
  EXPECT_FALSE(Match(R"({"must":[{"nested":{"key":"city","filter":{"must":[{"key":"x","is_empty":true}]}}}]})"));
}

TEST(Filter, ClausesAndIds) {
  EXPECT_TRUE(Match("{}"));
  EXPECT_TRUE(Match(R"({"must":[]})"));
  EXPECT_FALSE(Match(R"({"should":[]})"));
  EXPECT_TRUE(Match(R"({"must":null})"));
  EXPECT_TRUE(Match(R"({"should":[{"key":"city","match":{"value":"x"}},{"key":"count","match":{"value":3}}]})"));
  EXPECT_FALSE(Match(R"({"must_not":{"key":"city","match":{"value":"Berlin"}}})"));
  EXPECT_TRUE(Match(R"({"min_should":{"conditions":[{"has_id":[7]},{"key":"count","match":{"value":3}},
      {"key":"city","match":{"value":"x"}}],"min_count":2}})"));
  EXPECT_FALSE(Match(R"({"min_should":{"conditions":[{"has_id":[7]},{"key":"city","match":{"value":"x"}}],"min_count":2}})"));
  EXPECT_TRUE(Match(R"({"must":[{"has_id":[1,7]}]})"));
  EXPECT_FALSE(Match(R"({"must":[{"has_id":[1,7]}]})", kDoc, 8));
  auto uuid = ParseFilter(R"({"must":[{"has_id":["550E8400-E29B-41D4-A716-446655440000","doc-1"]}]})");
  ASSERT_TRUE(uuid.ok()) << uuid.status().ToString();
  EXPECT_TRUE(FilterMatches(**uuid, testing::ValueOf(PointId::FromText("550e8400-e29b-41d4-a716-446655440000")), kDoc));
  EXPECT_TRUE(FilterMatches(**uuid, testing::ValueOf(PointId::FromText("doc-1")), kDoc));
  EXPECT_FALSE(FilterMatches(**uuid, PointId::Num(1), kDoc));
  // A nested filter as a condition.
  EXPECT_TRUE(Match(R"({"must":[{"should":[{"has_id":[1]},{"has_id":[7]}]}],"must_not":[{"must":[{"has_id":[8]}]}]})"));
  // A null payload is an empty object.
  EXPECT_TRUE(Match(R"({"must":[{"is_empty":{"key":"a"}}]})", Json()));
}

TEST(Filter, PayloadContains) {
  EXPECT_TRUE(Match(R"({"must":[{"payload_contains":{"city":"Berlin","geo":{"country":{"zip":10115}}}}]})"));
  EXPECT_TRUE(Match(R"({"must":[{"payload_contains":{"tags":["green"]}}]})"));
  EXPECT_TRUE(Match(R"({"must":[{"payload_contains":{"ratio":1}}]})"));  // jsonb: numbers compare by value
  EXPECT_TRUE(Match(R"({"must":[{"payload_contains":{"stops":[{"line":2}]}}]})"));
  EXPECT_FALSE(Match(R"({"must":[{"payload_contains":{"tags":["blue"]}}]})"));
  EXPECT_FALSE(Match(R"({"must":[{"payload_contains":{"big":-1}}]})"));
  EXPECT_TRUE(Match(R"({"must":[{"payload_contains":{"big":18446744073709551615}}]})"));
  EXPECT_FALSE(Match(R"({"must":[{"payload_contains":{"city":"Berlin","count":4}}]})"));
  EXPECT_TRUE(Match(R"({"must":[{"payload_contains":{}}]})"));
}

std::string Col(const std::string& key, const std::string& type, const std::string& op, const std::string& operand = "") {
  return R"({"must":[{"column":{"key":")" + key + R"(","type":")" + type + R"(","op":")" + op + "\"" +
         (operand.empty() ? "" : "," + operand) + "}}]}";
}

// The column condition has SQL semantics on a top-level key: typed, no array flattening, NULL never matches.
TEST(Filter, ColumnCondition) {
  EXPECT_TRUE(Match(Col("city", "text", "eq", R"("value":"Berlin")")));
  EXPECT_FALSE(Match(Col("city", "text", "ne", R"("value":"Berlin")")));
  EXPECT_TRUE(Match(Col("count", "text", "eq", R"("value":"3")")));        // like payload->>'count' = '3'
  EXPECT_TRUE(Match(Col("active", "text", "eq", R"("value":"true")")));
  EXPECT_TRUE(Match(Col("tags", "text", "eq", R"("value":"[\"red\", \"green\"]")")));  // jsonb's text of the array
  EXPECT_FALSE(Match(Col("tags", "text", "eq", R"("value":"red")")));     // no flattening
  EXPECT_TRUE(Match(Col("city", "text", "in", R"("values":["Paris","Berlin"])")));
  EXPECT_FALSE(Match(Col("city", "text", "not_in", R"("values":["Paris","Berlin"])")));
  EXPECT_TRUE(Match(Col("city", "text", "prefix", R"("value":"Ber")")));
  EXPECT_TRUE(Match(Col("city", "text", "not_prefix", R"("value":"Par")")));
  EXPECT_TRUE(Match(Col("count", "number", "lt", R"("value":3.5)")));
  EXPECT_TRUE(Match(Col("ratio", "number", "eq", R"("value":1)")));       // numbers compare by value
  EXPECT_FALSE(Match(Col("city", "number", "lt", R"("value":100)")));     // a string is NULL as a number
  EXPECT_TRUE(Match(Col("city", "number", "is_null")));
  EXPECT_TRUE(Match(Col("active", "bool", "eq", R"("value":true)")));
  for (const char* op : {"eq", "ne"}) {                                    // NULL never matches a comparison
    EXPECT_FALSE(Match(Col("missing", "text", op, R"("value":"x")")));
    EXPECT_FALSE(Match(Col("none", "text", op, R"("value":"x")")));
  }
  EXPECT_FALSE(Match(Col("missing", "text", "not_in", R"("values":["x"])")));
  EXPECT_FALSE(Match(Col("missing", "text", "not_prefix", R"("value":"x")")));
  EXPECT_TRUE(Match(Col("none", "text", "is_null")));
  EXPECT_TRUE(Match(Col("missing", "text", "is_null")));
  EXPECT_FALSE(Match(Col("none", "json", "is_null")));                    // JSON null is a jsonb value
  EXPECT_TRUE(Match(Col("geo", "json", "is_not_null")));
}

// Integers compare exactly with integers (as Postgres compares bigint and numeric columns), even where a
// double cannot tell them apart (above 2^53); anything with a fraction compares as doubles (as a double
// precision column does, whose operands the foreign table sends with a fraction).
TEST(Filter, ColumnNumbersCompareIntegersExactly) {
  const Json doc = Json::parse(R"({"big": 9007199254740993, "neg": -9007199254740993, "max": 18446744073709551615,
                                  "min": -9223372036854775808, "f": 9007199254740992.0, "p": 0.1})");
  auto match = [&](const std::string& key, const std::string& op, const std::string& operand) {
    return Match(Col(key, "number", op, operand), doc);
  };
  EXPECT_FALSE(match("big", "eq", R"("value":9007199254740992)"));
  EXPECT_TRUE(match("big", "eq", R"("value":9007199254740993)"));
  EXPECT_TRUE(match("big", "ne", R"("value":9007199254740992)"));
  EXPECT_TRUE(match("big", "gt", R"("value":9007199254740992)"));
  EXPECT_FALSE(match("big", "ge", R"("value":9007199254740994)"));
  EXPECT_TRUE(match("big", "lt", R"("value":9007199254740994)"));
  EXPECT_TRUE(match("big", "le", R"("value":9007199254740993)"));
  EXPECT_FALSE(match("big", "in", R"("values":[9007199254740992, 9007199254740994])"));
  EXPECT_TRUE(match("big", "not_in", R"("values":[9007199254740992, 9007199254740994])"));
  EXPECT_TRUE(match("big", "in", R"("values":[1.5, 9007199254740993])"));
  EXPECT_FALSE(match("neg", "eq", R"("value":-9007199254740992)"));
  EXPECT_TRUE(match("neg", "lt", R"("value":-9007199254740992)"));
  EXPECT_TRUE(match("neg", "gt", R"("value":-9007199254740994)"));
  // Signed against unsigned, at both ends of the range.
  EXPECT_FALSE(match("max", "eq", R"("value":18446744073709551614)"));
  EXPECT_TRUE(match("max", "eq", R"("value":18446744073709551615)"));
  EXPECT_TRUE(match("max", "gt", R"("value":9223372036854775807)"));
  EXPECT_TRUE(match("max", "gt", R"("value":-1)"));
  EXPECT_TRUE(match("min", "eq", R"("value":-9223372036854775808)"));
  EXPECT_TRUE(match("min", "lt", R"("value":-9223372036854775807)"));
  EXPECT_TRUE(match("min", "lt", R"("value":18446744073709551615)"));
  // A fraction on the operand: doubles, as Postgres compares double precision values (the extension sends a
  // double precision column's operands with one).
  EXPECT_TRUE(match("big", "eq", R"("value":9007199254740992.0)"));
  // An integer operand (a bigint or numeric column) with a payload double: exactly, as Postgres compares the
  // numeric it reads; converting the operand to a double would make 9007199254740993 equal 9007199254740992.0.
  EXPECT_FALSE(match("f", "eq", R"("value":9007199254740993)"));
  EXPECT_TRUE(match("f", "eq", R"("value":9007199254740992)"));
  EXPECT_TRUE(match("f", "lt", R"("value":9007199254740993)"));
  EXPECT_TRUE(match("p", "gt", R"("value":0)"));
  EXPECT_TRUE(match("p", "lt", R"("value":1)"));
  EXPECT_FALSE(match("p", "eq", R"("value":0)"));
  EXPECT_EQ(CompareDoubleInteger(1e19, static_cast<__int128>(10000000000000000000ull)), 0);
  EXPECT_EQ(CompareDoubleInteger(1e19, static_cast<__int128>(10000000000000000000ull) + 1), -1);
  EXPECT_EQ(CompareDoubleInteger(-0.5, 0), -1);
  EXPECT_EQ(CompareDoubleInteger(-0.5, -1), 1);
  EXPECT_EQ(CompareDoubleInteger(1e300, static_cast<__int128>(UINT64_MAX)), 1);
  EXPECT_EQ(CompareDoubleInteger(-1e300, INT64_MIN), -1);
  EXPECT_TRUE(match("p", "eq", R"("value":0.1)"));
  EXPECT_TRUE(match("p", "lt", R"("value":1)"));
}

TEST(Filter, JsonbText) {
  // As Postgres prints jsonb parsed from the same text (keys by length, then bytes; plain-decimal numerics).
  EXPECT_EQ(JsonbText(Json::parse(R"({"bb":1,"a":[1,2.5,"x\ny"],"c":null,"t":true})")),
            R"({"a": [1, 2.5, "x\ny"], "c": null, "t": true, "bb": 1})");
  EXPECT_EQ(JsonbText(Json::parse("1e+20")), "100000000000000000000");
  EXPECT_EQ(JsonbText(Json::parse("1.5e-07")), "0.00000015");
  EXPECT_EQ(JsonbText(Json::parse("-125.0")), "-125.0");
  EXPECT_EQ(JsonbText(Json::parse("18446744073709551615")), "18446744073709551615");
  EXPECT_EQ(JsonbText(Json::parse(R"("tab\tquote\"")")), R"("tab\tquote\"")");
}

void ExpectError(const std::string& filter, const std::string& where) {
  auto f = ParseFilter(filter);
  ASSERT_FALSE(f.ok()) << filter;
  EXPECT_EQ(f.status().code(), StatusCode::kInvalidFilter) << filter;
  EXPECT_NE(f.status().message().find(where), std::string::npos) << f.status().message();
}

TEST(Filter, ErrorsNameTheOffendingPart) {
  ExpectError("{", "malformed JSON");
  ExpectError("[1]", "filter: a filter must be a JSON object");
  ExpectError(R"({"must":[],"shoud":[]})", "unknown key \"shoud\"");
  ExpectError(R"({"must":5})", "filter.must:");
  ExpectError(R"({"must":[{"key":"a","match":{"value":"x"}},{"teleport":1}]})", "filter.must[1]: unknown condition type");
  ExpectError(R"({"must":[{}]})", "filter.must[0]: unknown condition type");
  ExpectError(R"({"must":[{"key":"a","match":{"fuzzy":"x"}}]})", "unknown match type \"fuzzy\"");
  ExpectError(R"({"must":[{"key":"a","match":{"value":"x","any":["y"]}}]})", "exactly one");
  ExpectError(R"({"must":[{"key":"a","match":{"value":1.5}}]})", "filter.must[0].match.value");
  ExpectError(R"({"must":[{"key":"a","match":{"value":[1]}}]})", "filter.must[0].match.value");
  ExpectError(R"({"must":[{"key":"a","match":{"any":["x",1]}}]})", "mixes strings and integers");
  ExpectError(R"({"must":[{"key":"a","match":{"any":[1.5]}}]})", "filter.must[0].match.any[0]");
  ExpectError(R"({"must":[{"key":"a","match":{"except":["x",true]}}]})", "filter.must[0].match.except[1]");
  ExpectError(R"({"must":[{"key":"a","range":{"lt":5},"datetime_range":{"lt":"2024-01-01"}}]})", "not both");
  ExpectError(R"({"must":[{"key":"a","match":{"regex":"(["}}]})", "invalid regular expression");
  ExpectError(R"({"must":[{"key":"a","range":{"near":1}}]})", "unknown range bound \"near\"");
  ExpectError(R"({"must":[{"key":"a","range":{"gt":1,"lt":"2024-01-01"}}]})", "mixes numbers and datetime");
  ExpectError(R"({"must":[{"key":"a","range":{"gt":"tomorrow"}}]})", "filter.must[0].range.gt");
  ExpectError(R"({"must":[{"key":"a","range":{}}]})", "filter.must[0].range");
  ExpectError(R"({"must":[{"key":"a","values_count":{"gt":-1}}]})", "values_count.gt");
  ExpectError(R"({"must":[{"key":"a"}]})", "has nothing to check");
  ExpectError(R"({"must":[{"key":"a","geo_radius":{}}]})", "geo");
  ExpectError(R"({"must":[{"key":"a..b","match":{"value":1}}]})", "empty segment");
  ExpectError(R"({"must":[{"key":"a[","match":{"value":1}}]})", "unbalanced");
  ExpectError(R"({"must":[{"key":"a[x]","match":{"value":1}}]})", "bad array index");
  ExpectError(R"({"must":[{"key":"","match":{"value":1}}]})", "empty key");
  ExpectError(R"({"must":[{"key":5,"match":{"value":1}}]})", "key must be a string");
  ExpectError(R"({"must":[{"has_id":[-1]}]})", "filter.must[0].has_id[0]");
  ExpectError(R"({"must":[{"has_id":5}]})", "has_id");
  ExpectError(R"({"must":[{"nested":{"key":"s","filter":{"must":[{"has_id":[1]}]}}}]})",
              "has_id is not allowed inside nested");
  ExpectError(R"({"must":[{"nested":{"key":"s"}}]})", "filter.must[0].nested");
  ExpectError(R"({"min_should":{"conditions":[]}})", "min_count");
  ExpectError(R"({"min_should":{"conditions":[],"min_count":-2}})", "min_count");
  ExpectError(R"({"must":[{"payload_contains":[1]}]})", "payload_contains");
  ExpectError(R"({"must":[{"is_empty":{"field":"a"}}]})", "filter.must[0].is_empty");
  ExpectError(Col("a", "text", "lt", R"("value":"x")"), "needs a number column");
  ExpectError(Col("a", "number", "prefix", R"("value":"x")"), "needs a text column");
  ExpectError(Col("a", "number", "eq", R"("value":"x")"), "must be numbers");
  ExpectError(Col("a", "json", "eq", R"("value":"x")"), "only is_null");
  ExpectError(Col("a", "text", "in", R"("value":"x")"), "filter.must[0].column.values");
  ExpectError(Col("a", "date", "eq", R"("value":"x")"), "filter.must[0].column.type");
  ExpectError(Col("a", "text", "like", R"("value":"x")"), "unknown operator");
  std::string deep = R"({"must":[{"key":"a","match":{"value":1}}]})";
  for (int i = 0; i < 40; ++i) deep = R"({"must":[)" + deep + "]}";
  ExpectError(deep, "levels deep");
  // Deep JSON anywhere in a filter is refused before anything recurses over it (100,000 levels used to
  // overflow the stack in copies and error messages).
  std::string arrays = std::string(100000, '[') + std::string(100000, ']');
  ExpectError(R"({"must":[{"key":"a","match":{"any":)" + arrays + "}}]}", "filter: JSON nests more than");
  ExpectError(R"({"must":[{"has_id":[)" + arrays + "]}]}", "filter: JSON nests more than");
  ExpectError(R"({"must":[{"payload_contains":{"a":)" + arrays + "}}]}", "filter: JSON nests more than");
  auto bad_id = PointId::FromJson(Json::parse("[[[1]]]"));
  EXPECT_EQ(bad_id.status().message(), "point id must be an unsigned integer or a string, got an array");
}

}  // namespace
}  // namespace govector
