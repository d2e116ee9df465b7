// Postgres mode's bookkeeping (ARCHITECTURE.md decision 8): the versions handed to tentative writes, and the
// WAL position the engine's committed state reflects (ApplyPosition, ApplyStamp and ApplyState, in api.h).
//
// Versions (VersionClock). Every write has a version, unique for the life of the data directory. A committed
// write made by the engine itself (the standalone path) takes the next one inside its LMDB transaction, as
// before. A tentative write inside a Postgres transaction reserves one when it is validated, long before it
// is applied (and it may never be): the catalog keeps a high-water mark ("reserved") of every version that
// may have been reserved, and a version above the stored mark is handed out only after a new mark (a block
// of kReserveBlock more) is committed and flushed to disk. So after any crash, kill -9 or power loss, the
// counter restarts above every version ever reserved, at the cost of one fsync per block. An applied write
// keeps the version it reserved (Adopt); the counter never moves back.
//
// Apply position (ApplyLog). The WAL apply worker replays each committed write with its position: the end of
// its transaction's commit record (commit_lsn), its index among the transaction's writes (seq), whether it is
// the last, and where WAL reading must restart (restart_lsn). The position of the last applied write (the
// stamp, a pb::ApplyState under the catalog key "apply") is written in the LMDB transaction of the write
// itself, so a stamp never claims a write that is not there and a write is never applied twice; a write
// that changed nothing, or was skipped, is stamped in a transaction of its own. The durable_* fields of
// State() are the stamp as of the last flush to disk (the engine calls BeforeSync/AfterSync around each).
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>

#include "engine/api.h"
#include "engine/status.h"
#include "engine/storage.h"

namespace govector {

class VersionClock {
 public:
  static constexpr uint64_t kReserveBlock = 65536;

  // Reads the counter and the mark inside the engine's opening transaction.
  Status Load(Storage* storage, WriteTxn* txn);
  // The version of a write committing in txn, stored with it. Strictly increasing.
  Result<uint64_t> Next(WriteTxn* txn);
  // The version of a tentative write: never handed out before, and never again (see the file comment).
  // Blocks for one flush when it crosses the stored mark. Thread-safe.
  Result<uint64_t> Reserve();
  // An applied write's reserved version: the counter becomes at least `version`, stored in txn.
  Status Adopt(WriteTxn* txn, uint64_t version);
  uint64_t last() const { return last_.load(); }

 private:
  Storage* storage_ = nullptr;
  std::atomic<uint64_t> last_{0};  // the highest version handed out (or adopted)
  std::atomic<uint64_t> mark_{0};  // the stored (durable) mark: versions up to it may be reserved
  std::mutex reserve_mu_;          // one writer of the mark at a time
};

class ApplyLog {
 public:
  // Checks the stamp at open (the engine flushes storage right after, which makes it the durable one).
  Status Load(Storage* storage, WriteTxn* txn);
  // Held by the applier from the coverage check of a write to its stamp, and by State(): one apply at a time.
  std::mutex& mu() { return mu_; }

  // The stored stamp (durable fields unset).
  Result<ApplyState> Stamped();
  // True when a write at `at` is applied already (the stamp covers it).
  Result<bool> Covers(const ApplyPosition& at);
  // Stores `at` as the stamp inside txn (the write's own transaction).
  Status Put(WriteTxn* txn, const ApplyPosition& at);
  // Stores `at` as the stamp in a transaction of its own. mu() held.
  Status PutAlone(const ApplyPosition& at);
  // The stamp with the durable fields. When advance_restart_lsn is past the stamped restart_lsn and the
  // last transaction is done, the stamp's restart_lsn moves there first (in its own transaction; *wrote
  // says so).
  Result<ApplyState> State(uint64_t advance_restart_lsn, bool* wrote);

  // Around a flush of storage: the stamp before it is durable once the flush succeeds.
  Result<ApplyState> BeforeSync() { return Stamped(); }
  void AfterSync(const ApplyState& flushed);

 private:
  Status Write(WriteTxn* txn, const ApplyState& state);

  Storage* storage_ = nullptr;
  std::mutex mu_;
  std::mutex durable_mu_;  // guards durable_
  ApplyState durable_;
};

}  // namespace govector
