// Storage on its own: opening a data directory, write transactions that commit or abort, read snapshots,
// named databases, scans, what survives a reopen, and LMDB's errors as Status values.
#include "engine/storage.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "test_util.h"

namespace govector {
namespace {

using testing::TempDir;

constexpr size_t kMapSize = size_t{64} << 20;

std::unique_ptr<Storage> OpenOrFail(const std::string& dir, size_t map_size = kMapSize) {
  auto s = Storage::Open(dir, map_size);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(s).value() : nullptr;
}

// The value of key in dbi as a committed reader sees it; nullopt when missing.
std::optional<std::string> Read(Storage* s, MDB_dbi dbi, std::string_view key) {
  auto txn = s->BeginRead();
  EXPECT_TRUE(txn.ok()) << txn.status().ToString();
  if (!txn.ok()) return std::nullopt;
  auto v = (*txn)->Get(dbi, key);
  EXPECT_TRUE(v.ok()) << v.status().ToString();
  if (!v.ok() || !*v) return std::nullopt;
  return std::string(**v);
}

// Every (key, value) of dbi from start on, in key order.
std::vector<std::pair<std::string, std::string>> ScanAll(Storage* s, MDB_dbi dbi, std::string_view start = "") {
  std::vector<std::pair<std::string, std::string>> out;
  auto txn = s->BeginRead();
  EXPECT_TRUE(txn.ok()) << txn.status().ToString();
  if (!txn.ok()) return out;
  Status scanned = Storage::Scan((*txn)->raw(), dbi, start, [&](std::string_view k, std::string_view v) {
    out.emplace_back(k, v);
    return true;
  });
  EXPECT_TRUE(scanned.ok()) << scanned.ToString();
  return out;
}

TEST(Storage, OpenCreatesTheDirectoryAndTheCatalog) {
  TempDir dir;
  const std::string path = dir.path() + "/data";
  auto s = OpenOrFail(path);
  ASSERT_TRUE(s);
  EXPECT_TRUE(std::filesystem::is_directory(path));
  EXPECT_TRUE(std::filesystem::exists(path + "/data.mdb"));
  EXPECT_TRUE(ScanAll(s.get(), s->catalog()).empty());
  EXPECT_GT(s->UsedBytes(), 0u);
}

TEST(Storage, CommittedWritesAreSeenAndReadSnapshotsStayPut) {
  TempDir dir;
  auto s = OpenOrFail(dir.path());
  ASSERT_TRUE(s);
  auto before = s->BeginRead();  // a snapshot taken before the write
  ASSERT_TRUE(before.ok()) << before.status().ToString();

  auto w = s->BeginWrite();
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  ASSERT_TRUE((*w)->Put(s->catalog(), "a", "1").ok());
  ASSERT_TRUE((*w)->Put(s->catalog(), "b", std::string("\0x\0", 3)).ok());  // keys and values are bytes
  auto inside = (*w)->Get(s->catalog(), "a");
  ASSERT_TRUE(inside.ok()) << inside.status().ToString();
  ASSERT_TRUE(inside->has_value());
  EXPECT_EQ(**inside, "1");  // the writer sees its own writes
  EXPECT_EQ(Read(s.get(), s->catalog(), "a"), std::nullopt);  // readers do not, yet
  ASSERT_TRUE((*w)->Commit().ok());

  EXPECT_EQ(Read(s.get(), s->catalog(), "a"), "1");
  EXPECT_EQ(Read(s.get(), s->catalog(), "b"), std::string("\0x\0", 3));
  auto old = (*before)->Get(s->catalog(), "a");
  ASSERT_TRUE(old.ok()) << old.status().ToString();
  EXPECT_FALSE(old->has_value());  // the earlier snapshot still does not see it

  // A read transaction may be used from another thread than the one that began it (MDB_NOTLS).
  auto r = s->BeginRead();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  std::optional<std::string> seen;
  std::thread([&] {
    auto v = (*r)->Get(s->catalog(), "a");
    if (v.ok() && *v) seen = std::string(**v);
  }).join();
  EXPECT_EQ(seen, "1");
}

TEST(Storage, AbortedTransactionsLeaveNoTrace) {
  TempDir dir;
  auto s = OpenOrFail(dir.path());
  ASSERT_TRUE(s);
  {
    auto w = s->BeginWrite();
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    ASSERT_TRUE((*w)->Put(s->catalog(), "keep", "yes").ok());
    ASSERT_TRUE((*w)->Commit().ok());
  }
  {
    auto w = s->BeginWrite();
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    ASSERT_TRUE((*w)->Put(s->catalog(), "lost", "1").ok());
    auto deleted = (*w)->Delete(s->catalog(), "keep");
    ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
    EXPECT_TRUE(*deleted);
    auto dbi = (*w)->OpenDatabase("c1");
    ASSERT_TRUE(dbi.ok()) << dbi.status().ToString();
    ASSERT_TRUE((*w)->Put(*dbi, "k", "v").ok());
  }  // destroyed without Commit: aborted
  EXPECT_EQ(Read(s.get(), s->catalog(), "keep"), "yes");
  EXPECT_EQ(Read(s.get(), s->catalog(), "lost"), std::nullopt);
  auto w = s->BeginWrite();  // the aborted writer let go of the write lock
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  auto dbi = (*w)->OpenDatabase("c1");
  ASSERT_TRUE(dbi.ok()) << dbi.status().ToString();
  auto v = (*w)->Get(*dbi, "k");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_FALSE(v->has_value());  // the database created in the aborted transaction is new and empty
  auto missing = (*w)->Delete(s->catalog(), "never-there");
  ASSERT_TRUE(missing.ok()) << missing.status().ToString();
  EXPECT_FALSE(*missing);
}

TEST(Storage, NamedDatabasesScansAndDrops) {
  TempDir dir;
  auto s = OpenOrFail(dir.path());
  ASSERT_TRUE(s);
  MDB_dbi c1, c2;
  {
    auto w = s->BeginWrite();
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    auto d1 = (*w)->OpenDatabase("c1");
    auto d2 = (*w)->OpenDatabase("c2");
    ASSERT_TRUE(d1.ok() && d2.ok());
    c1 = *d1;
    c2 = *d2;
    for (const char* k : {"m2", "a", "m10", "m1", "z"}) ASSERT_TRUE((*w)->Put(c1, k, std::string(k) + "!").ok());
    ASSERT_TRUE((*w)->Put(c2, "a", "other").ok());
    ASSERT_TRUE((*w)->Commit().ok());
  }
  // Byte order; a start key begins at the first key >= it.
  using KV = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(ScanAll(s.get(), c1), (KV{{"a", "a!"}, {"m1", "m1!"}, {"m10", "m10!"}, {"m2", "m2!"}, {"z", "z!"}}));
  EXPECT_EQ(ScanAll(s.get(), c1, "m"), (KV{{"m1", "m1!"}, {"m10", "m10!"}, {"m2", "m2!"}, {"z", "z!"}}));
  EXPECT_EQ(ScanAll(s.get(), c1, "m11"), (KV{{"m2", "m2!"}, {"z", "z!"}}));
  EXPECT_TRUE(ScanAll(s.get(), c1, "zz").empty());
  EXPECT_EQ(ScanAll(s.get(), c2), (KV{{"a", "other"}}));
  // The callback stops a scan by returning false.
  {
    auto r = s->BeginRead();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    std::vector<std::string> keys;
    Status scanned = Storage::Scan((*r)->raw(), c1, "", [&](std::string_view k, std::string_view) {
      keys.emplace_back(k);
      return keys.size() < 2;
    });
    ASSERT_TRUE(scanned.ok()) << scanned.ToString();
    EXPECT_EQ(keys, (std::vector<std::string>{"a", "m1"}));
  }
  // Dropping a database removes it and its contents when the transaction commits; others stay.
  {
    auto w = s->BeginWrite();
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    ASSERT_TRUE((*w)->DropDatabase(c1).ok());
    ASSERT_TRUE((*w)->Commit().ok());
  }
  auto w = s->BeginWrite();
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  auto again = (*w)->OpenDatabase("c1");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  ASSERT_TRUE((*w)->Commit().ok());
  EXPECT_TRUE(ScanAll(s.get(), *again).empty());
  EXPECT_EQ(ScanAll(s.get(), c2), (KV{{"a", "other"}}));
}

TEST(Storage, CommittedDataSurvivesAReopen) {
  TempDir dir;
  {
    auto s = OpenOrFail(dir.path());
    ASSERT_TRUE(s);
    auto w = s->BeginWrite();
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    auto dbi = (*w)->OpenDatabase("c7");
    ASSERT_TRUE(dbi.ok()) << dbi.status().ToString();
    ASSERT_TRUE((*w)->Put(*dbi, "point", "data").ok());
    ASSERT_TRUE((*w)->Put(s->catalog(), "version", "42").ok());
    ASSERT_TRUE((*w)->Commit().ok());
    ASSERT_TRUE(s->Sync().ok());
    auto aborted = s->BeginWrite();
    ASSERT_TRUE(aborted.ok()) << aborted.status().ToString();
    ASSERT_TRUE((*aborted)->Put(s->catalog(), "version", "43").ok());
  }  // the last write transaction ends uncommitted
  auto s = OpenOrFail(dir.path());
  ASSERT_TRUE(s);
  EXPECT_EQ(Read(s.get(), s->catalog(), "version"), "42");
  auto w = s->BeginWrite();
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  auto dbi = (*w)->OpenDatabase("c7");
  ASSERT_TRUE(dbi.ok()) << dbi.status().ToString();
  auto v = (*w)->Get(*dbi, "point");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  ASSERT_TRUE(v->has_value());
  EXPECT_EQ(**v, "data");
}

TEST(Storage, OpenErrorsAreStatuses) {
  TempDir dir;
  auto no_parent = Storage::Open(dir.path() + "/missing/data", kMapSize);
  EXPECT_EQ(no_parent.status().code(), StatusCode::kIOError);
  EXPECT_NE(no_parent.status().message().find("cannot create data directory"), std::string::npos)
      << no_parent.status().ToString();
  const std::string file = dir.path() + "/a-file";
  std::ofstream(file) << "not a directory";
  auto not_dir = Storage::Open(file, kMapSize);
  EXPECT_EQ(not_dir.status().code(), StatusCode::kIOError);
  EXPECT_NE(not_dir.status().message().find("storage: open " + file), std::string::npos)
      << not_dir.status().ToString();
}

// A full map is the one storage error the caller can fix (a larger --map-size): it says so, and after the
// failed transaction is gone the storage takes smaller writes again.
TEST(Storage, FullMapIsResourceExhausted) {
  TempDir dir;
  auto s = OpenOrFail(dir.path(), size_t{1} << 20);
  ASSERT_TRUE(s);
  Status failed;
  {
    auto w = s->BeginWrite();
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    const std::string big(64 << 10, 'x');
    for (int i = 0; i < 64 && failed.ok(); ++i) failed = (*w)->Put(s->catalog(), "k" + std::to_string(i), big);
    if (failed.ok()) failed = (*w)->Commit();
  }
  EXPECT_EQ(failed.code(), StatusCode::kResourceExhausted) << failed.ToString();
  EXPECT_NE(failed.message().find("raise --map-size"), std::string::npos) << failed.ToString();
  auto w = s->BeginWrite();
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  ASSERT_TRUE((*w)->Put(s->catalog(), "small", "1").ok());
  ASSERT_TRUE((*w)->Commit().ok());
  EXPECT_EQ(Read(s.get(), s->catalog(), "small"), "1");
}

TEST(Storage, LmdbCodesMapOntoStatusCodes) {
  Status full = LmdbStatus(MDB_MAP_FULL, "put");
  EXPECT_EQ(full.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(full.message().rfind("storage: put: ", 0), 0u) << full.ToString();
  EXPECT_EQ(LmdbStatus(ENOSPC, "commit").code(), StatusCode::kDiskFull);  // 53100 disk_full in SQL
  Status corrupt = LmdbStatus(MDB_CORRUPTED, "get");
  EXPECT_EQ(corrupt.code(), StatusCode::kIOError);
  EXPECT_NE(corrupt.message().find(mdb_strerror(MDB_CORRUPTED)), std::string::npos) << corrupt.ToString();
  EXPECT_EQ(LmdbStatus(EIO, "sync").code(), StatusCode::kIOError);
}

}  // namespace
}  // namespace govector
