// Defects the adversarial campaign found (issue 14), each held by a test: denormal components in a cosine
// collection, and NUL characters in payloads.
#include <gtest/gtest.h>

#include <cmath>

#include "engine/distance.h"
#include "engine/json_exact.h"
#include "engine_fixture.h"

namespace govector {
namespace {

using testing::Config;
using testing::Point;
using testing::ValueOf;

class HardeningTest : public testing::OpenEngineTest {};

TEST(NormalizeTest, DenormalComponentsStayFinite) {
  std::vector<float> v = {1e-45f, 1e-45f, 1e-45f};
  NormalizeInPlace(v.data(), v.size());
  for (float x : v) {
    EXPECT_TRUE(std::isfinite(x));
    EXPECT_NEAR(x, 1 / std::sqrt(3.0f), 1e-3);
  }
}

TEST_F(HardeningTest, DenormalVectorsInACosineCollection) {
  ASSERT_TRUE(engine_->CreateCollection(0, Config("c", 3, Distance::kCosine)).ok());
  ASSERT_TRUE(engine_->Upsert(0, "c", {Point(1, {1e-45f, 1e-45f, 1e-45f}), Point(2, {0, 1, 0})},
                              Durability::kApplied).ok());
  auto got = ValueOf(engine_->Get(0, "c", {PointId::Num(1)}, false, true));
  ASSERT_EQ(got.size(), 1u);
  ASSERT_TRUE(got[0].vector.has_value());
  for (float x : *got[0].vector) EXPECT_TRUE(std::isfinite(x)) << x;
  SearchParams p;
  p.vector = {1e-45f, 1e-45f, 1e-45f};  // a denormal query too
  p.k = 2;
  auto hits = ValueOf(engine_->Search(0, "c", p));
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].id.ToString(), "1");
  EXPECT_NEAR(hits[0].score, 1.0f, 1e-3);
  EXPECT_TRUE(std::isfinite(hits[1].score));
}

TEST_F(HardeningTest, NulInPayloadsIsRefusedAndChangesNothing) {
  ASSERT_TRUE(engine_->CreateCollection(0, Config("n", 2)).ok());
  ASSERT_TRUE(engine_->Upsert(0, "n", {Point(1, {1, 0}, Json{{"a", "ok"}})}, Durability::kApplied).ok());
  for (const Json& bad : {Json{{"s", std::string("x\0y", 3)}}, Json{{std::string("k\0", 2), 1}},
                          Json{{"deep", {{"list", {"fine", std::string("\0", 1)}}}}}}) {
    auto r = engine_->Upsert(0, "n", {Point(2, {0, 1}, bad)}, Durability::kApplied);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad.dump();
    EXPECT_NE(r.status().message().find("NUL"), std::string::npos) << r.status().message();
    PointSelector sel;
    sel.ids = {PointId::Num(1)};
    auto s = engine_->SetPayload(0, "n", sel, bad, false, Durability::kApplied);
    EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument) << bad.dump();
  }
  EXPECT_EQ(ValueOf(engine_->Count(0, "n", nullptr)), 1u);
  auto got = ValueOf(engine_->Get(0, "n", {PointId::Num(1)}, true, false));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].payload->dump(), R"({"a":"ok"})");
}

// Payload numbers govector cannot keep as written are refused, saying why, instead of being rounded.
TEST(JsonNumbers, RefusedWhenTheyWouldReadBackOtherwise) {
  EXPECT_TRUE(CheckJsonNumbers(R"({"a": 1, "b": -9223372036854775808, "c": 18446744073709551615})").ok());
  EXPECT_TRUE(CheckJsonNumbers(R"({"f": 0.1, "g": 1.5e300, "h": 1e-320, "i": 123456789012345678901234567890.5})").ok());
  // jsonb writes 1.5e300 in plain digits: the double reads back as the same number.
  EXPECT_TRUE(CheckJsonNumbers("{\"g\": 15" + std::string(299, '0') + "}").ok());
  EXPECT_TRUE(CheckJsonNumbers(R"({"big": 100000000000000000000, "s": "123456789012345678901234567890"})").ok());
  Status s = CheckJsonNumbers(R"({"x": 123456789012345678901234567890})");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("123456789012345678901234567890 cannot be stored exactly"), std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("1.2345678901234568e+29"), std::string::npos) << s.message();
  EXPECT_EQ(CheckJsonNumbers(R"({"x": [1, {"y": 18446744073709551616}]})").code(), StatusCode::kInvalidArgument);
  s = CheckJsonNumbers(R"({"x": 1e400})");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("beyond the range of a double"), std::string::npos) << s.message();
  EXPECT_EQ(CheckJsonNumbers("{\"x\": 1" + std::string(400, '0') + "}").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckJsonNumbers(R"({"x": -1e309})").code(), StatusCode::kInvalidArgument);
  // Not JSON: for the parser to report.
  EXPECT_TRUE(CheckJsonNumbers(R"({"x": 12345678901234567890123 oops)").ok() ||
              CheckJsonNumbers(R"({"x": 12345678901234567890123 oops)").code() == StatusCode::kInvalidArgument);
  EXPECT_TRUE(CheckJsonNumbers("{not json").ok());
  EXPECT_TRUE(IntegerDigitsReadBackAs("10000000000000000000", 1e19));
  EXPECT_FALSE(IntegerDigitsReadBackAs("10000000000000000001", 1e19));
  EXPECT_TRUE(IntegerDigitsReadBackAs("-0", 0.0));
}

}  // namespace
}  // namespace govector
