// The engine's files carry a format number: a new or older directory is stamped with this engine's, a newer
// one is refused (kUnsupported, saying which formats) and left as it was.
#include <gtest/gtest.h>

#include "engine/engine.h"
#include "engine/storage.h"
#include "engine/version.h"
#include "test_util.h"

namespace govector {
namespace {

using testing::TempDir;

std::string U64(uint64_t v) { return EncodeU64(v); }

Result<std::unique_ptr<Engine>> OpenAt(const std::string& dir) {
  EngineOptions o;
  o.data_dir = dir;
  o.map_size = size_t{1} << 28;
  o.background_indexing = false;
  return Engine::Open(o);
}

std::optional<std::string> FormatOf(const std::string& dir) {
  auto s = Storage::Open(dir, size_t{1} << 28);
  EXPECT_TRUE(s.ok());
  auto txn = (*s)->BeginRead();
  auto v = (*txn)->Get((*s)->catalog(), "format");
  if (!v.ok() || !*v) return std::nullopt;
  return std::string(**v);
}

void SetFormat(const std::string& dir, uint64_t format) {
  auto s = Storage::Open(dir, size_t{1} << 28);
  ASSERT_TRUE(s.ok());
  auto txn = (*s)->BeginWrite();
  ASSERT_TRUE((*txn)->Put((*s)->catalog(), "format", U64(format)).ok());
  ASSERT_TRUE((*txn)->Commit().ok());
}

TEST(DataFormat, StampedOnOpenAndNewerRefused) {
  TempDir dir;
  {
    auto e = OpenAt(dir.path());
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    ASSERT_TRUE((*e)->CreateCollection(0, testing::Config("kept", 2)).ok());
  }
  EXPECT_EQ(FormatOf(dir.path()), U64(kDataFormat));
  SetFormat(dir.path(), kDataFormat + 1);
  auto refused = OpenAt(dir.path());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(refused.status().message().find("format " + std::to_string(kDataFormat + 1)), std::string::npos)
      << refused.status().message();
  EXPECT_EQ(FormatOf(dir.path()), U64(kDataFormat + 1));  // left as it was
  SetFormat(dir.path(), kDataFormat);
  auto reopened = OpenAt(dir.path());
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  EXPECT_TRUE((*reopened)->Exists(0, "kept"));
}

}  // namespace
}  // namespace govector
