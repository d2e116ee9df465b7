// Payload indexes on their own: every index type, and the contract the planner relies on. Candidates() is
// always a superset of the points the filter matches (FilterMatches is the judge), and exactly those points
// when it says exact; it follows inserts, updates and deletes. The last test checks that on random payloads
// and filters.
#include "engine/payload_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>

#include "engine/filter.h"

namespace govector {
namespace {

// A PayloadIndexSet beside the payloads it indexes (slot -> payload, for the live slots), so each check can
// compare the index's answer with the filter evaluated on every point. A point's id is its slot number.
class IndexedPayloads {
 public:
  void AddIndex(const std::string& field, PayloadIndexType type) {
    Status s = set_.Add(field, type);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  void Put(uint32_t slot, const Json& payload) {
    auto it = payloads_.find(slot);
    if (it != payloads_.end()) set_.Remove(slot, it->second);
    payloads_[slot] = payload;
    set_.Insert(slot, payload);
  }
  void Erase(uint32_t slot) {
    auto it = payloads_.find(slot);
    ASSERT_NE(it, payloads_.end());
    set_.Remove(slot, it->second);
    payloads_.erase(it);
  }

  // The slots the filter matches, ascending.
  std::vector<uint32_t> Matches(const Filter& f) const {
    std::vector<uint32_t> out;
    for (const auto& [slot, payload] : payloads_)
      if (FilterMatches(f, PointId::Num(slot), payload)) out.push_back(slot);
    return out;
  }
  // Candidates, with has_id answered as the collection answers it (the live slots among the ids).
  std::optional<PayloadIndexSet::CandidateSet> Candidates(const Filter& f) const {
    return set_.Candidates(f, [&](const Condition& c) -> std::optional<std::vector<uint32_t>> {
      if (c.type != Condition::Type::kHasId) return std::nullopt;
      std::vector<uint32_t> slots;
      for (const PointId& id : c.ids)
        if (id.kind() == PointId::Kind::kNum && payloads_.count(static_cast<uint32_t>(id.num())))
          slots.push_back(static_cast<uint32_t>(id.num()));
      std::sort(slots.begin(), slots.end());
      return slots;
    });
  }

  // Checks the contract for one filter and returns the candidates (nullopt: the indexes did not narrow).
  std::optional<PayloadIndexSet::CandidateSet> Check(const std::string& json) const {
    auto parsed = ParseFilter(json);
    EXPECT_TRUE(parsed.ok()) << json << ": " << parsed.status().ToString();
    if (!parsed.ok()) return std::nullopt;
    std::vector<uint32_t> matches = Matches(**parsed);
    auto c = Candidates(**parsed);
    if (!c) return c;
    EXPECT_TRUE(std::is_sorted(c->slots.begin(), c->slots.end())) << json;
    EXPECT_EQ(std::adjacent_find(c->slots.begin(), c->slots.end()), c->slots.end()) << json << ": duplicates";
    EXPECT_TRUE(std::includes(c->slots.begin(), c->slots.end(), matches.begin(), matches.end()))
        << json << ": a matching point is missing from the candidates";
    if (c->exact) {
      EXPECT_EQ(c->slots, matches) << json << ": said exact";
    }
    return c;
  }
  // Checks the contract and that the indexes answered the filter exactly, with these slots.
  void ExpectExact(const std::string& json, const std::vector<uint32_t>& slots) const {
    auto c = Check(json);
    ASSERT_TRUE(c.has_value()) << json << ": not narrowed";
    EXPECT_TRUE(c->exact) << json;
    EXPECT_EQ(c->slots, slots) << json;
  }
  // Checks the contract and that the indexes narrowed the filter without answering it.
  void ExpectNarrowed(const std::string& json, const std::vector<uint32_t>& slots) const {
    auto c = Check(json);
    ASSERT_TRUE(c.has_value()) << json << ": not narrowed";
    EXPECT_FALSE(c->exact) << json;
    EXPECT_EQ(c->slots, slots) << json;
  }
  void ExpectNotNarrowed(const std::string& json) const { EXPECT_FALSE(Check(json).has_value()) << json; }

  const PayloadIndexSet& set() const { return set_; }

 private:
  PayloadIndexSet set_;
  std::map<uint32_t, Json> payloads_;
};

std::string Must(const std::string& key, const std::string& body) {
  return R"({"must":[{"key":")" + key + "\"," + body + "}]}";
}

TEST(PayloadIndex, TypeNames) {
  for (const char* name : {"keyword", "integer", "float", "bool", "datetime"}) {
    auto t = ParsePayloadIndexType(name);
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    EXPECT_STREQ(PayloadIndexTypeName(*t), name);
  }
  auto uuid = ParsePayloadIndexType("uuid");
  ASSERT_TRUE(uuid.ok()) << uuid.status().ToString();
  EXPECT_EQ(*uuid, PayloadIndexType::kKeyword);
  EXPECT_EQ(ParsePayloadIndexType("geo").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParsePayloadIndexType("Keyword").status().code(), StatusCode::kInvalidArgument);
}

TEST(PayloadIndex, AddChecksFieldsAndTypes) {
  PayloadIndexSet set;
  EXPECT_TRUE(set.empty());
  EXPECT_EQ(set.Add("a..b", PayloadIndexType::kKeyword).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(set.Add("a", static_cast<PayloadIndexType>(99)).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(set.empty());
  ASSERT_TRUE(set.Add("a", PayloadIndexType::kKeyword).ok());
  EXPECT_TRUE(set.Add("a", PayloadIndexType::kKeyword).ok());  // the same index again is a no-op
  Status other = set.Add("a", PayloadIndexType::kInteger);
  EXPECT_EQ(other.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(other.message().find("already has a keyword index"), std::string::npos) << other.ToString();
  EXPECT_TRUE(set.Has("a"));
  EXPECT_FALSE(set.Has("b"));
  EXPECT_FALSE(set.empty());
  ASSERT_EQ(set.Info().size(), 1u);
}

TEST(PayloadIndex, Keyword) {
  IndexedPayloads p;
  p.AddIndex("k", PayloadIndexType::kKeyword);
  p.AddIndex("geo.city", PayloadIndexType::kKeyword);
  p.Put(0, {{"k", "red"}, {"geo", {{"city", "Berlin"}}}});
  p.Put(1, {{"k", {"red", "green", "red"}}});
  p.Put(2, {{"k", "Red"}});
  p.Put(3, {{"k", 7}});  // not a string: not in a keyword index
  p.Put(4, {{"other", "red"}});
  p.Put(5, Json::object());
  p.ExpectExact(Must("k", R"("match":{"value":"red"})"), {0, 1});
  p.ExpectExact(Must("k", R"("match":{"value":"blue"})"), {});
  p.ExpectExact(Must("k", R"("match":{"any":["green","Red","blue"]})"), {1, 2});
  p.ExpectExact(Must("k", R"("match":{"any":[]})"), {});
  p.ExpectExact(Must("geo.city", R"("match":{"value":"Berlin"})"), {0});
  // What a keyword index cannot answer, it leaves to the filter.
  for (const char* body : {R"("match":{"value":7})", R"("match":{"any":[7]})", R"("match":{"except":["red"]})",
                           R"("match":{"text":"re"})", R"("match":{"prefix":"r"})", R"("is_empty":true)",
                           R"("match":{"value":"red"},"is_null":false)", R"("values_count":{"gte":2})"})
    p.ExpectNotNarrowed(Must("k", body));
  p.ExpectNotNarrowed(Must("unindexed", R"("match":{"value":"red"})"));
  p.ExpectNotNarrowed(Must("geo", R"("match":{"value":"Berlin"})"));  // another path than the index's
  EXPECT_EQ(p.set().Info()[0].points, 3u);  // slots 0, 1 and 2 hold an indexed value of k
}

TEST(PayloadIndex, Integer) {
  IndexedPayloads p;
  p.AddIndex("i", PayloadIndexType::kInteger);
  p.AddIndex("stops[].line", PayloadIndexType::kInteger);
  p.Put(0, {{"i", 1}, {"stops", {{{"line", 3}}, {{"line", 4}}}}});
  p.Put(1, {{"i", {1, 2, -5}}});
  p.Put(2, {{"i", 2.0}});   // a float: integer conditions do not match it
  p.Put(3, {{"i", "1"}});
  p.Put(4, {{"i", INT64_MAX}});
  p.Put(5, {{"i", UINT64_MAX}});  // above INT64_MAX: no int64 equals it
  p.Put(6, {{"i", int64_t{-5}}});
  p.ExpectExact(Must("i", R"("match":{"value":1})"), {0, 1});
  p.ExpectExact(Must("i", R"("match":{"value":2})"), {1});
  p.ExpectExact(Must("i", R"("match":{"value":-5})"), {1, 6});
  p.ExpectExact(Must("i", R"("match":{"value":9223372036854775807})"), {4});
  p.ExpectExact(Must("i", R"("match":{"any":[2,-5,99]})"), {1, 6});
  p.ExpectExact(Must("stops[].line", R"("match":{"value":4})"), {0});
  for (const char* body : {R"("match":{"value":"1"})", R"("match":{"any":["1"]})", R"("range":{"gte":1})",
                           R"("match":{"except":[1]})"})
    p.ExpectNotNarrowed(Must("i", body));
}

TEST(PayloadIndex, FloatRanges) {
  IndexedPayloads p;
  p.AddIndex("f", PayloadIndexType::kFloat);
  p.Put(0, {{"f", 0.5}});
  p.Put(1, {{"f", 1}});
  p.Put(2, {{"f", {1.5, 3, 1.5}}});
  p.Put(3, {{"f", -2}});
  p.Put(4, {{"f", "1.0"}});
  p.Put(5, {{"f", UINT64_MAX}});
  p.ExpectExact(Must("f", R"("range":{"gte":1})"), {1, 2, 5});
  p.ExpectExact(Must("f", R"("range":{"gt":1})"), {2, 5});
  p.ExpectExact(Must("f", R"("range":{"gt":0.5,"lte":1.5})"), {1, 2});
  p.ExpectExact(Must("f", R"("range":{"gte":0.5,"lt":0.5})"), {});
  p.ExpectExact(Must("f", R"("range":{"lt":0})"), {3});
  p.ExpectExact(Must("f", R"("range":{"gte":2,"lte":3})"), {2});  // one of the array's values is enough
  p.ExpectExact(Must("f", R"("range":{"gt":-10,"gte":0.75,"lt":100,"lte":2.5})"), {1, 2});
  p.ExpectNotNarrowed(Must("f", R"("match":{"value":1})"));
  p.ExpectNotNarrowed(Must("f", R"("range":{"gte":"2024-01-01"})"));  // a datetime range
  p.ExpectNotNarrowed(Must("f", R"("range":{"gte":1},"values_count":{"gte":1})"));
}

TEST(PayloadIndex, Bool) {
  IndexedPayloads p;
  p.AddIndex("b", PayloadIndexType::kBool);
  p.Put(0, {{"b", true}});
  p.Put(1, {{"b", false}});
  p.Put(2, {{"b", {false, true}}});
  p.Put(3, {{"b", "true"}});
  p.Put(4, {{"b", 1}});
  p.ExpectExact(Must("b", R"("match":{"value":true})"), {0, 2});
  p.ExpectExact(Must("b", R"("match":{"value":false})"), {1, 2});
  p.ExpectNotNarrowed(Must("b", R"("match":{"value":"true"})"));
  p.ExpectNotNarrowed(Must("b", R"("match":{"value":1})"));
}

TEST(PayloadIndex, DatetimeRanges) {
  IndexedPayloads p;
  p.AddIndex("d", PayloadIndexType::kDatetime);
  p.Put(0, {{"d", "2024-01-01T00:00:00Z"}});
  p.Put(1, {{"d", "2024-03-15 12:00"}});
  p.Put(2, {{"d", "2024-06-01T02:00:00+02:00"}});  // 2024-06-01T00:00:00Z
  p.Put(3, {{"d", {"2023-12-31", "2025-01-01"}}});
  p.Put(4, {{"d", "not a date"}});
  p.Put(5, {{"d", 1700000000}});
  p.ExpectExact(Must("d", R"("range":{"gte":"2024-01-01T00:00:00Z"})"), {0, 1, 2, 3});
  p.ExpectExact(Must("d", R"("range":{"gt":"2024-01-01","lte":"2024-06-01"})"), {1, 2});
  p.ExpectExact(Must("d", R"("datetime_range":{"lt":"2024-01-01T00:00:00.000001Z"})"), {0, 3});
  p.ExpectExact(Must("d", R"("range":{"lt":"2000-01-01"})"), {});
  p.ExpectNotNarrowed(Must("d", R"("range":{"gte":0})"));  // a numeric range
  p.ExpectNotNarrowed(Must("d", R"("match":{"value":"2024-03-15 12:00"})"));
}

TEST(PayloadIndex, ClausesCombine) {
  IndexedPayloads p;
  p.AddIndex("k", PayloadIndexType::kKeyword);
  p.AddIndex("i", PayloadIndexType::kInteger);
  for (uint32_t slot = 0; slot < 12; ++slot)
    p.Put(slot, {{"k", slot % 3 == 0 ? "a" : "b"}, {"i", slot % 4}, {"u", slot % 2}});
  const std::string a = R"({"key":"k","match":{"value":"a"}})";   // 0 3 6 9
  const std::string i1 = R"({"key":"i","match":{"value":1}})";    // 1 5 9
  const std::string odd = R"({"key":"u","match":{"value":1}})";   // not indexed
  p.ExpectExact(R"({"must":[)" + a + "," + i1 + "]}", {9});
  p.ExpectExact(R"({"must":[{"must":[)" + a + "]}," + i1 + "]}", {9});  // a nested filter as a condition
  p.ExpectExact(R"({"must":[{"has_id":[3,6,7,40]},)" + a + "]}", {3, 6});
  p.ExpectExact(R"({"must":[)" + a + R"(,{"key":"i","match":{"value":99}},)" + odd + "]}", {});
  // Conditions the indexes do not hold keep the candidates a superset.
  p.ExpectNarrowed(R"({"must":[)" + a + "," + odd + "]}", {0, 3, 6, 9});
  p.ExpectNarrowed(R"({"must":[)" + a + R"(],"should":[)" + odd + "]}", {0, 3, 6, 9});
  p.ExpectNarrowed(R"({"must":[)" + a + R"(],"must_not":[)" + i1 + "]}", {0, 3, 6, 9});
  p.ExpectNarrowed(R"({"must":[)" + a + R"(],"min_should":{"conditions":[)" + odd + R"(],"min_count":1}})",
                   {0, 3, 6, 9});
  p.ExpectNarrowed(R"({"must":[{"should":[)" + a + "]}," + i1 + "]}", {1, 5, 9});
  // Only the must clause narrows.
  p.ExpectNotNarrowed(R"({"should":[)" + a + "]}");
  p.ExpectNotNarrowed(R"({"must_not":[)" + a + "]}");
  p.ExpectNotNarrowed(R"({"must":[{"nested":{"key":"x","filter":{"must":[)" + a + "]}}}]}");
  p.ExpectNotNarrowed("{}");
}

TEST(PayloadIndex, FollowsUpdatesAndDeletes) {
  IndexedPayloads p;
  p.AddIndex("k", PayloadIndexType::kKeyword);
  p.AddIndex("i", PayloadIndexType::kInteger);
  p.AddIndex("f", PayloadIndexType::kFloat);
  p.AddIndex("d", PayloadIndexType::kDatetime);
  p.Put(0, {{"k", "x"}, {"i", 1}, {"f", 1.5}, {"d", "2024-01-01"}});
  p.Put(1, {{"k", {"x", "y"}}, {"i", {1, 1}}, {"f", {2.5, 2.5}}, {"d", "2024-02-01"}});
  p.Put(2, {{"k", "y"}, {"i", 2}, {"f", 1.5}});
  p.ExpectExact(Must("k", R"("match":{"value":"x"})"), {0, 1});
  p.ExpectExact(Must("f", R"("range":{"gte":1.5})"), {0, 1, 2});
  // An update moves the point between values; values it no longer has stop finding it.
  p.Put(1, {{"k", "z"}, {"f", 0.5}, {"d", "2023-01-01"}});
  p.ExpectExact(Must("k", R"("match":{"value":"x"})"), {0});
  p.ExpectExact(Must("k", R"("match":{"value":"y"})"), {2});
  p.ExpectExact(Must("k", R"("match":{"value":"z"})"), {1});
  p.ExpectExact(Must("i", R"("match":{"value":1})"), {0});
  p.ExpectExact(Must("f", R"("range":{"gte":1})"), {0, 2});
  p.ExpectExact(Must("f", R"("range":{"lt":1})"), {1});
  p.ExpectExact(Must("d", R"("range":{"gte":"2024-01-01"})"), {0});
  // A delete removes every value of the point, also repeated ones.
  p.Put(3, {{"f", {7, 7, 7}}, {"i", 5}});
  p.Erase(3);
  p.Erase(0);
  p.ExpectExact(Must("f", R"("range":{"gte":1})"), {2});
  p.ExpectExact(Must("i", R"("match":{"value":5})"), {});
  p.ExpectExact(Must("k", R"("match":{"value":"x"})"), {});
  // The slot can be used again by another point.
  p.Put(0, {{"k", "y"}, {"f", 9}});
  p.ExpectExact(Must("k", R"("match":{"value":"y"})"), {0, 2});
  p.ExpectExact(Must("f", R"("range":{"gt":5})"), {0});
  auto info = p.set().Info();
  ASSERT_EQ(info.size(), 4u);
  EXPECT_EQ(info[0].field, "k");
  EXPECT_EQ(info[0].points, 3u);  // slots 0, 1, 2
  EXPECT_EQ(info[1].points, 1u);  // i: slot 2
  EXPECT_EQ(info[2].points, 3u);  // f: slots 0, 1, 2
  EXPECT_EQ(info[3].points, 1u);  // d: slot 1
}

// Random payloads of every shape the index types meet, random filters over them, and random updates and
// deletes in between: the contract holds every time, and the indexes do answer most of the filters.
TEST(PayloadIndex, RandomPayloadsAndFilters) {
  std::mt19937 rng(20240611);
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  const std::vector<Json> words = {"red", "green", "Red", ""};
  const std::vector<Json> ints = {0, 1, -1, 7, INT64_MAX, UINT64_MAX};
  const std::vector<Json> dates = {"2024-01-01T00:00:00Z", "2024-03-15 12:00", "2024-06-01", "2023-12-31T23:59:59.5Z",
                                   "2024-06-01T02:00:00+02:00"};
  // One value of a field: a value of its own type most of the time, sometimes another type or an array.
  auto value = [&](const std::vector<Json>& own) -> Json {
    switch (pick(8)) {
      case 0: return Json::array({own[pick(own.size())], own[pick(own.size())]});
      case 1: return pick(2) ? Json(1.5) : Json(2.0);
      case 2: return "1";
      case 3: return nullptr;
      case 4: return pick(2) ? Json(true) : Json(false);
      default: return own[pick(own.size())];
    }
  };
  auto payload = [&]() {
    Json p = Json::object();
    if (pick(6)) p["k"] = value(words);
    if (pick(6)) p["i"] = value(ints);
    if (pick(6)) p["f"] = pick(2) ? value({0.25, 1, 2.5, -3}) : value(ints);
    if (pick(6)) p["b"] = value({true, false});
    if (pick(6)) p["d"] = value(dates);
    if (pick(3)) p["n"] = {{"k", value(words)}};
    if (pick(3)) p["u"] = pick(3);
    return p;
  };
  auto condition = [&]() -> std::string {
    auto text = [](const Json& j) { return j.dump(); };
    switch (pick(9)) {
      case 0: return R"({"key":"k","match":{"value":)" + text(words[pick(words.size())]) + "}}";
      case 1: return R"({"key":"k","match":{"any":[)" + text(words[pick(4)]) + "," + text(words[pick(4)]) + "]}}";
      case 2: return R"({"key":"i","match":{"value":)" + std::to_string(ints[pick(5)].get<int64_t>()) + "}}";
      case 3: return R"({"key":"i","match":{"any":[1,-1,9223372036854775807]}})";
      case 4: return R"({"key":"f","range":{"gte":)" + std::to_string(pick(5) - 2.0) + R"(,"lt":2.5}})";
      case 5: return R"({"key":"b","match":{"value":)" + std::string(pick(2) ? "true" : "false") + "}}";
      case 6: return R"({"key":"d","range":{"gt":"2023-12-31T23:59:59Z","lte":)" + text(dates[pick(5)]) + "}}";
      case 7: return R"({"key":"n.k","match":{"value":"red"}})";
      default: return R"({"key":"u","match":{"value":1}})";  // not indexed
    }
  };
  IndexedPayloads p;
  p.AddIndex("k", PayloadIndexType::kKeyword);
  p.AddIndex("i", PayloadIndexType::kInteger);
  p.AddIndex("f", PayloadIndexType::kFloat);
  p.AddIndex("b", PayloadIndexType::kBool);
  p.AddIndex("d", PayloadIndexType::kDatetime);
  p.AddIndex("n.k", PayloadIndexType::kKeyword);
  std::vector<bool> live(300, false);
  size_t checked = 0, narrowed = 0, exact = 0;
  for (int round = 0; round < 20; ++round) {
    for (int change = 0; change < 60; ++change) {
      uint32_t slot = static_cast<uint32_t>(pick(live.size()));
      if (live[slot] && pick(4) == 0) {
        p.Erase(slot);
        live[slot] = false;
      } else {
        p.Put(slot, payload());
        live[slot] = true;
      }
    }
    for (int f = 0; f < 40; ++f) {
      std::string must = condition();
      for (size_t extra = pick(3); extra > 0; --extra) must += "," + condition();
      std::string json = R"({"must":[)" + must + "]";
      if (pick(5) == 0) json += R"(,"must_not":[)" + condition() + "]";
      json += "}";
      auto c = p.Check(json);
      if (::testing::Test::HasFailure()) return;  // the first counterexample says enough
      ++checked;
      narrowed += c.has_value();
      exact += c && c->exact;
    }
  }
  std::printf("  %zu random filters: %zu narrowed by the indexes, %zu answered exactly\n", checked, narrowed, exact);
  EXPECT_GT(narrowed, checked / 2);
  EXPECT_GT(exact, checked / 4);
}

}  // namespace
}  // namespace govector
