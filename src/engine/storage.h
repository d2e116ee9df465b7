// Storage: the LMDB environment under the data directory. LMDB is the source of truth; the in-memory index is
// rebuilt or reconciled from it.
//
// Layout: one named database "catalog" (collection metadata keyed by namespace + name, the version counter,
// the next collection uid, and in Postgres mode the version reservation mark and the apply stamp: see
// apply.h) and one named database per collection, "c<uid>", mapping encoded point ids (PointId::Key) to
// serialised pb::Point messages.
//
// The environment runs with MDB_NOSYNC: a commit reaches the OS (so it survives a kill of the process) but
// is not flushed to disk until Sync(). Only one write transaction exists at a time (LMDB's rule); read
// transactions are snapshots and may be used from any thread (MDB_NOTLS).
#pragma once

#include <lmdb.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/status.h"
#include "govector.pb.h"

namespace govector {

class Storage;

class ReadTxn {
 public:
  ~ReadTxn();
  ReadTxn(const ReadTxn&) = delete;
  ReadTxn& operator=(const ReadTxn&) = delete;
  // The value stays valid until the transaction ends. nullopt when the key is missing.
  Result<std::optional<std::string_view>> Get(MDB_dbi dbi, std::string_view key);
  MDB_txn* raw() { return txn_; }

 private:
  friend class Storage;
  explicit ReadTxn(MDB_txn* txn) : txn_(txn) {}
  MDB_txn* txn_;
};

class WriteTxn {
 public:
  ~WriteTxn();  // aborts unless committed
  WriteTxn(const WriteTxn&) = delete;
  WriteTxn& operator=(const WriteTxn&) = delete;
  Result<std::optional<std::string_view>> Get(MDB_dbi dbi, std::string_view key);
  Status Put(MDB_dbi dbi, std::string_view key, std::string_view value);
  // True when the key existed.
  Result<bool> Delete(MDB_dbi dbi, std::string_view key);
  // Opens (creating) a named database inside this transaction.
  Result<MDB_dbi> OpenDatabase(const std::string& name);
  // Deletes a named database and closes its handle when the transaction commits.
  Status DropDatabase(MDB_dbi dbi);
  Status Commit();
  MDB_txn* raw() { return txn_; }

 private:
  friend class Storage;
  explicit WriteTxn(MDB_txn* txn) : txn_(txn) {}
  MDB_txn* txn_;
};

class Storage {
 public:
  static Result<std::unique_ptr<Storage>> Open(const std::string& dir, size_t map_size);
  ~Storage();

  Result<std::unique_ptr<ReadTxn>> BeginRead();
  // Blocks while another write transaction is open.
  Result<std::unique_ptr<WriteTxn>> BeginWrite();
  // Flushes every committed transaction to disk.
  Status Sync();

  MDB_dbi catalog() const { return catalog_; }
  MDB_env* env() { return env_; }
  // Bytes of the data file in use (pages used * page size).
  uint64_t UsedBytes();

  // Calls fn(key, value) for every entry of dbi in key order, starting at the first key >= start.
  // fn returns false to stop.
  template <typename Fn>
  static Status Scan(MDB_txn* txn, MDB_dbi dbi, std::string_view start, Fn fn);

 private:
  Storage() = default;
  MDB_env* env_ = nullptr;
  MDB_dbi catalog_ = 0;
};

Status LmdbStatus(int rc, const char* what);

// The catalog's counters: 8 bytes in host order (the files never move between machines of another byte
// order: they are a Postgres data directory's). A value of another size reads as 0.
inline std::string EncodeU64(uint64_t v) { return std::string(reinterpret_cast<const char*>(&v), sizeof(v)); }
inline uint64_t DecodeU64(std::string_view s) {
  uint64_t v = 0;
  if (s.size() == sizeof(v)) std::memcpy(&v, s.data(), sizeof(v));
  return v;
}

template <typename Fn>
Status Storage::Scan(MDB_txn* txn, MDB_dbi dbi, std::string_view start, Fn fn) {
  MDB_cursor* cur = nullptr;
  int rc = mdb_cursor_open(txn, dbi, &cur);
  if (rc != MDB_SUCCESS) return LmdbStatus(rc, "open cursor");
  MDB_val k{start.size(), const_cast<char*>(start.data())}, v{0, nullptr};
  rc = mdb_cursor_get(cur, &k, &v, start.empty() ? MDB_FIRST : MDB_SET_RANGE);
  while (rc == MDB_SUCCESS) {
    if (!fn(std::string_view(static_cast<const char*>(k.mv_data), k.mv_size),
            std::string_view(static_cast<const char*>(v.mv_data), v.mv_size)))
      break;
    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
  }
  mdb_cursor_close(cur);
  if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND) return LmdbStatus(rc, "cursor");
  return Status::OK();
}

}  // namespace govector
