// Defects the adversarial campaign found (issue 14), each held by a test: denormal components in a cosine
// collection, and NUL characters in payloads.
#include <gtest/gtest.h>

#include <sys/mount.h>

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

// A full file system: the write fails with DiskFull (SQLSTATE 53100, HTTP 507) and says so, stores nothing of
// itself, and what was written before stays readable. Needs a small tmpfs: skipped where mounting one is not
// allowed (not root, or no CAP_SYS_ADMIN).
TEST(DiskFull, WriteFailsClearlyAndStoresNothing) {
  testing::TempDir dir;
  if (mount("tmpfs", dir.path().c_str(), "tmpfs", 0, "size=6m") != 0)
    GTEST_SKIP() << "cannot mount a tmpfs here (" << strerror(errno) << "): run as root to check a full disk";
  struct Unmount {
    std::string path;
    ~Unmount() { umount2(path.c_str(), MNT_DETACH); }
  } unmount{dir.path()};
  EngineOptions o;
  o.data_dir = dir.path() + "/data";
  o.map_size = size_t{1} << 30;
  o.background_indexing = false;
  auto engine = Engine::Open(o);
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  ASSERT_TRUE((*engine)->CreateCollection(0, Config("full", 64)).ok());
  Status failed;
  uint64_t written = 0;
  for (uint64_t b = 0; b < 200 && failed.ok(); ++b) {
    std::vector<PointInput> points;
    for (uint64_t i = 0; i < 200; ++i) {
      std::vector<float> v(64, float(b * 200 + i + 1));
      points.push_back(Point(b * 200 + i, v, Json{{"t", std::string(200, 'x')}}));
    }
    auto w = (*engine)->Upsert(0, "full", std::move(points), Durability::kDurable);
    if (w.ok()) written += 200;
    else failed = w.status();
  }
  ASSERT_FALSE(failed.ok()) << "6 MB never filled up";
  EXPECT_EQ(failed.code(), StatusCode::kDiskFull) << failed.ToString();
  EXPECT_NE(failed.message().find("no space left on device"), std::string::npos) << failed.message();
  EXPECT_EQ(ValueOf((*engine)->Count(0, "full", nullptr)), written);
  auto got = ValueOf((*engine)->Get(0, "full", {PointId::Num(0), PointId::Num(written - 1)}, true, true));
  EXPECT_EQ(got.size(), 2u);
  engine->reset();
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
