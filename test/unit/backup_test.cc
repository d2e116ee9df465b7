// Backup copies (engine/backup.h): a copy written while the engine runs holds exactly the committed state of
// that moment; restoring it replaces the data directory's state (later writes gone, index rebuilt); a restart
// after a restore knows it was done; a missing copy is an error and changes nothing.
#include "engine/backup.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "engine/engine.h"
#include "test_util.h"

namespace govector {
namespace {

using testing::TempDir;
using testing::ValueOf;

const char* kName = "000000000A0000D8";

std::unique_ptr<Engine> OpenAt(const std::string& dir) {
  EngineOptions o;
  o.data_dir = dir;
  o.map_size = size_t{1} << 30;
  o.background_indexing = false;
  auto e = Engine::Open(o);
  EXPECT_TRUE(e.ok()) << e.status().ToString();
  return e.ok() ? std::move(e).value() : nullptr;
}

TEST(BackupCopy, NamesAreWalPositions) {
  EXPECT_TRUE(ValidBackupName("0000000100000028"));
  EXPECT_TRUE(ValidBackupName("abcdefABCDEF0123"));
  EXPECT_FALSE(ValidBackupName("000000010000002"));
  EXPECT_FALSE(ValidBackupName("../../etc/passwd"));
  EXPECT_FALSE(ValidBackupName("000000010000002G"));
  TempDir dir;
  auto e = OpenAt(dir.path());
  ASSERT_TRUE(e);
  EXPECT_EQ(e->WriteBackupCopy("../x").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(e->DropBackupCopy("").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(RestoreBackupCopy(dir.path(), "..").status().code(), StatusCode::kInvalidArgument);
}

TEST(BackupCopy, RestoreBringsBackTheStateOfTheCopy) {
  TempDir dir;
  {
    auto e = OpenAt(dir.path());
    ASSERT_TRUE(e);
    ASSERT_TRUE(e->CreateCollection(0, testing::Config("a", 2)).ok());
    ASSERT_TRUE(e->Upsert(0, "a", {testing::Point(1, {1, 0}), testing::Point(2, {0, 1})}, Durability::kApplied).ok());
    ASSERT_TRUE(e->SaveSnapshots().ok());
    ASSERT_TRUE(e->WriteBackupCopy(kName).ok());
    // After the copy: another point and another collection, which the restored state must not have.
    ASSERT_TRUE(e->Upsert(0, "a", {testing::Point(3, {1, 1})}, Durability::kApplied).ok());
    ASSERT_TRUE(e->CreateCollection(0, testing::Config("b", 2)).ok());
    ASSERT_TRUE(e->Sync().ok());
    EXPECT_EQ(ValueOf(e->Count(0, "a", nullptr)), 3u);
  }
  EXPECT_TRUE(std::filesystem::exists(BackupCopyDir(dir.path(), kName) + "/data.mdb"));
  EXPECT_FALSE(std::filesystem::exists(BackupCopyDir(dir.path(), kName) + ".tmp"));
  EXPECT_EQ(ValueOf(RestoreBackupCopy(dir.path(), kName)), RestoreOutcome::kRestored);
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/index"));
  EXPECT_TRUE(std::filesystem::is_directory(BackupCopyDir(dir.path(), kName)));
  {
    auto e = OpenAt(dir.path());
    ASSERT_TRUE(e);
    EXPECT_EQ(ValueOf(e->Count(0, "a", nullptr)), 2u);
    EXPECT_FALSE(e->Exists(0, "b"));
    SearchParams p;
    p.vector = {1, 0};
    p.k = 1;
    auto hits = ValueOf(e->Search(0, "a", p));
    ASSERT_EQ(hits.size(), 1u);
    EXPECT_EQ(hits[0].id.ToString(), "1");
    // Writes after the restore are kept by a restart that finds the restore done.
    ASSERT_TRUE(e->Upsert(0, "a", {testing::Point(4, {0, 0.5})}, Durability::kApplied).ok());
  }
  EXPECT_EQ(ValueOf(RestoreBackupCopy(dir.path(), kName)), RestoreOutcome::kAlreadyRestored);
  {
    auto e = OpenAt(dir.path());
    ASSERT_TRUE(e);
    EXPECT_EQ(ValueOf(e->Count(0, "a", nullptr)), 3u);
    ASSERT_TRUE(e->DropBackupCopy(kName).ok());
    ASSERT_TRUE(e->DropBackupCopy(kName).ok());  // none left: not an error
  }
  EXPECT_FALSE(std::filesystem::exists(BackupCopyDir(dir.path(), kName)));
}

TEST(BackupCopy, MissingCopyIsAnErrorAndChangesNothing) {
  TempDir dir;
  {
    auto e = OpenAt(dir.path());
    ASSERT_TRUE(e);
    ASSERT_TRUE(e->CreateCollection(0, testing::Config("a", 2)).ok());
  }
  auto r = RestoreBackupCopy(dir.path(), kName);
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  auto e = OpenAt(dir.path());
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->Exists(0, "a"));
}

}  // namespace
}  // namespace govector
