#include "engine/storage.h"

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>

namespace govector {

// Less free space than this when a commit fails with EIO: the file system is full (a short write).
constexpr uint64_t kDiskFullBytes = 64u << 20;

Status LmdbStatus(int rc, const char* what) {
  std::string msg = std::string("storage: ") + what + ": " + mdb_strerror(rc);
  if (rc == MDB_MAP_FULL)
    return Status::ResourceExhausted(msg + " (the data directory reached its map size; raise --map-size)");
  if (rc == ENOSPC) return Status::DiskFull(msg);
  return Status::IOError(msg);
}

namespace {

// Get for either kind of transaction.
Result<std::optional<std::string_view>> GetIn(MDB_txn* txn, MDB_dbi dbi, std::string_view key) {
  MDB_val k{key.size(), const_cast<char*>(key.data())}, v;
  int rc = mdb_get(txn, dbi, &k, &v);
  if (rc == MDB_NOTFOUND) return std::optional<std::string_view>();
  if (rc != MDB_SUCCESS) return LmdbStatus(rc, "get");
  return std::optional<std::string_view>(std::string_view(static_cast<const char*>(v.mv_data), v.mv_size));
}

}  // namespace

ReadTxn::~ReadTxn() { mdb_txn_abort(txn_); }

Result<std::optional<std::string_view>> ReadTxn::Get(MDB_dbi dbi, std::string_view key) {
  return GetIn(txn_, dbi, key);
}

WriteTxn::~WriteTxn() {
  if (txn_) mdb_txn_abort(txn_);
}

Result<std::optional<std::string_view>> WriteTxn::Get(MDB_dbi dbi, std::string_view key) {
  return GetIn(txn_, dbi, key);
}

Status WriteTxn::Put(MDB_dbi dbi, std::string_view key, std::string_view value) {
  MDB_val k{key.size(), const_cast<char*>(key.data())};
  MDB_val v{value.size(), const_cast<char*>(value.data())};
  int rc = mdb_put(txn_, dbi, &k, &v, 0);
  if (rc != MDB_SUCCESS) return LmdbStatus(rc, "put");
  return Status::OK();
}

Result<bool> WriteTxn::Delete(MDB_dbi dbi, std::string_view key) {
  MDB_val k{key.size(), const_cast<char*>(key.data())};
  int rc = mdb_del(txn_, dbi, &k, nullptr);
  if (rc == MDB_NOTFOUND) return false;
  if (rc != MDB_SUCCESS) return LmdbStatus(rc, "delete");
  return true;
}

Result<MDB_dbi> WriteTxn::OpenDatabase(const std::string& name) {
  MDB_dbi dbi;
  int rc = mdb_dbi_open(txn_, name.c_str(), MDB_CREATE, &dbi);
  if (rc != MDB_SUCCESS) return LmdbStatus(rc, "open database");
  return dbi;
}

Status WriteTxn::DropDatabase(MDB_dbi dbi) {
  int rc = mdb_drop(txn_, dbi, 1);
  if (rc != MDB_SUCCESS) return LmdbStatus(rc, "drop database");
  return Status::OK();
}

Status WriteTxn::Commit() {
  MDB_env* env = mdb_txn_env(txn_);
  int rc = mdb_txn_commit(txn_);
  txn_ = nullptr;
  if (rc == EIO || rc == ENOSPC) {
    // LMDB answers a short write with EIO: on a full file system, that is what a commit meets.
    const char* path = nullptr;
    struct statvfs fs;
    if (mdb_env_get_path(env, &path) == 0 && path && statvfs(path, &fs) == 0) {
      uint64_t free_bytes = uint64_t{fs.f_bavail} * fs.f_frsize;
      if (rc == ENOSPC || free_bytes < kDiskFullBytes)
        return Status::DiskFull("storage: commit: no space left on device (" + std::to_string(free_bytes) +
                                " bytes free in " + path + "); nothing of this write was stored");
    }
  }
  if (rc != MDB_SUCCESS) return LmdbStatus(rc, "commit");
  return Status::OK();
}

Result<std::unique_ptr<Storage>> Storage::Open(const std::string& dir, size_t map_size) {
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    return Status::IOError("cannot create data directory " + dir + ": " + strerror(errno));
  std::unique_ptr<Storage> s(new Storage());
  int rc = mdb_env_create(&s->env_);
  if (rc != MDB_SUCCESS) return LmdbStatus(rc, "create environment");
  mdb_env_set_mapsize(s->env_, map_size);
  mdb_env_set_maxdbs(s->env_, 16384);
  mdb_env_set_maxreaders(s->env_, 1024);
  rc = mdb_env_open(s->env_, dir.c_str(), MDB_NOSYNC | MDB_NOTLS, 0600);
  if (rc != MDB_SUCCESS) {
    Status st = LmdbStatus(rc, ("open " + dir).c_str());
    mdb_env_close(s->env_);
    s->env_ = nullptr;
    return st;
  }
  // Readers left behind by a killed process would pin old pages forever.
  int dead = 0;
  mdb_reader_check(s->env_, &dead);
  auto w = s->BeginWrite();
  if (!w.ok()) return w.status();
  auto dbi = (*w)->OpenDatabase("catalog");
  if (!dbi.ok()) return dbi.status();
  s->catalog_ = *dbi;
  GV_RETURN_IF_ERROR((*w)->Commit());
  return s;
}

Storage::~Storage() {
  if (env_) {
    mdb_env_sync(env_, 1);
    mdb_env_close(env_);
  }
}

Result<std::unique_ptr<ReadTxn>> Storage::BeginRead() {
  MDB_txn* txn;
  int rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn);
  if (rc != MDB_SUCCESS) return LmdbStatus(rc, "begin read");
  return std::unique_ptr<ReadTxn>(new ReadTxn(txn));
}

Result<std::unique_ptr<WriteTxn>> Storage::BeginWrite() {
  MDB_txn* txn;
  int rc = mdb_txn_begin(env_, nullptr, 0, &txn);
  if (rc != MDB_SUCCESS) return LmdbStatus(rc, "begin write");
  return std::unique_ptr<WriteTxn>(new WriteTxn(txn));
}

Status Storage::Sync() {
  int rc = mdb_env_sync(env_, 1);
  if (rc != MDB_SUCCESS) return LmdbStatus(rc, "sync");
  return Status::OK();
}

uint64_t Storage::UsedBytes() {
  MDB_envinfo info;
  MDB_stat st;
  mdb_env_info(env_, &info);
  mdb_env_stat(env_, &st);
  return static_cast<uint64_t>(info.me_last_pgno + 1) * st.ms_psize;
}

}  // namespace govector
