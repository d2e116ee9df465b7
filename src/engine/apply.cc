// VersionClock and ApplyLog: see apply.h.
#include "engine/apply.h"

#include <algorithm>

#include "govector.pb.h"

namespace govector {

namespace {

constexpr char kVersionKey[] = "version";    // the highest version committed with a write
constexpr char kReservedKey[] = "reserved";  // the reservation mark
constexpr char kApplyKey[] = "apply";        // the apply stamp (pb::ApplyState)

// Raises v to at least floor.
void RaiseTo(std::atomic<uint64_t>* v, uint64_t floor) {
  uint64_t cur = v->load();
  while (cur < floor && !v->compare_exchange_weak(cur, floor)) {
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------
// VersionClock

Status VersionClock::Load(Storage* storage, WriteTxn* txn) {
  storage_ = storage;
  GV_ASSIGN_OR_RETURN(auto version, txn->Get(storage->catalog(), kVersionKey));
  GV_ASSIGN_OR_RETURN(auto reserved, txn->Get(storage->catalog(), kReservedKey));
  uint64_t mark = reserved ? DecodeU64(*reserved) : 0;
  // Versions up to the mark may have been reserved before the engine stopped: never hand them out again.
  last_ = std::max(version ? DecodeU64(*version) : 0, mark);
  mark_ = mark;
  return Status::OK();
}

Result<uint64_t> VersionClock::Next(WriteTxn* txn) {
  // Write transactions are serialised by LMDB, so this increment happens in commit order.
  uint64_t v = last_.fetch_add(1) + 1;
  GV_RETURN_IF_ERROR(txn->Put(storage_->catalog(), kVersionKey, EncodeU64(v)));
  return v;
}

Status VersionClock::Adopt(WriteTxn* txn, uint64_t version) {
  RaiseTo(&last_, version);
  return txn->Put(storage_->catalog(), kVersionKey, EncodeU64(last_.load()));
}

Result<uint64_t> VersionClock::Reserve() {
  uint64_t v = last_.fetch_add(1) + 1;
  if (v <= mark_.load()) return v;
  std::lock_guard<std::mutex> l(reserve_mu_);
  if (v <= mark_.load()) return v;  // another reserver moved the mark past v meanwhile
  // v stays unused if this fails: a gap in the versions, never a repeat.
  uint64_t mark = v + kReserveBlock;
  GV_ASSIGN_OR_RETURN(auto txn, storage_->BeginWrite());
  GV_RETURN_IF_ERROR(txn->Put(storage_->catalog(), kReservedKey, EncodeU64(mark)));
  GV_RETURN_IF_ERROR(txn->Commit());
  GV_RETURN_IF_ERROR(storage_->Sync());
  mark_ = mark;
  return v;
}

// ---------------------------------------------------------------------------------------------------------
// ApplyLog

Status ApplyLog::Load(Storage* storage, WriteTxn* txn) {
  storage_ = storage;
  GV_ASSIGN_OR_RETURN(auto stamp, txn->Get(storage->catalog(), kApplyKey));
  pb::ApplyState s;
  if (stamp && !s.ParseFromArray(stamp->data(), static_cast<int>(stamp->size())))
    return Status::IOError("unreadable apply stamp in the catalog");
  return Status::OK();
}

Result<ApplyState> ApplyLog::Stamped() {
  GV_ASSIGN_OR_RETURN(auto txn, storage_->BeginRead());
  GV_ASSIGN_OR_RETURN(auto stamp, txn->Get(storage_->catalog(), kApplyKey));
  ApplyState out;
  if (!stamp) return out;
  pb::ApplyState s;
  if (!s.ParseFromArray(stamp->data(), static_cast<int>(stamp->size())))
    return Status::IOError("unreadable apply stamp in the catalog");
  out.commit_lsn = s.commit_lsn();
  out.seq = s.seq();
  out.done = s.done();
  out.restart_lsn = s.restart_lsn();
  return out;
}

Result<bool> ApplyLog::Covers(const ApplyPosition& at) {
  GV_ASSIGN_OR_RETURN(ApplyState state, Stamped());
  ApplyPosition stamped;
  stamped.commit_lsn = state.commit_lsn;
  stamped.seq = state.seq;
  return state.commit_lsn != 0 && stamped.Covers(at);
}

Status ApplyLog::Write(WriteTxn* txn, const ApplyState& state) {
  pb::ApplyState s;
  s.set_commit_lsn(state.commit_lsn);
  s.set_seq(state.seq);
  s.set_done(state.done);
  s.set_restart_lsn(state.restart_lsn);
  return txn->Put(storage_->catalog(), kApplyKey, s.SerializeAsString());
}

Status ApplyLog::Put(WriteTxn* txn, const ApplyPosition& at) {
  ApplyState state;
  state.commit_lsn = at.commit_lsn;
  state.seq = at.seq;
  state.done = at.last;
  state.restart_lsn = at.restart_lsn;
  return Write(txn, state);
}

Status ApplyLog::PutAlone(const ApplyPosition& at) {
  GV_ASSIGN_OR_RETURN(auto txn, storage_->BeginWrite());
  GV_RETURN_IF_ERROR(Put(txn.get(), at));
  return txn->Commit();
}

Result<ApplyState> ApplyLog::State(uint64_t advance_restart_lsn, bool* wrote) {
  std::lock_guard<std::mutex> l(mu_);
  *wrote = false;
  GV_ASSIGN_OR_RETURN(ApplyState state, Stamped());
  if (advance_restart_lsn > state.restart_lsn && state.done) {
    state.restart_lsn = advance_restart_lsn;
    GV_ASSIGN_OR_RETURN(auto txn, storage_->BeginWrite());
    GV_RETURN_IF_ERROR(Write(txn.get(), state));
    GV_RETURN_IF_ERROR(txn->Commit());
    *wrote = true;
  }
  std::lock_guard<std::mutex> d(durable_mu_);
  state.durable_commit_lsn = durable_.durable_commit_lsn;
  state.durable_restart_lsn = durable_.durable_restart_lsn;
  return state;
}

void ApplyLog::AfterSync(const ApplyState& flushed) {
  std::lock_guard<std::mutex> l(durable_mu_);
  durable_.durable_commit_lsn = flushed.commit_lsn;
  durable_.durable_restart_lsn = flushed.restart_lsn;
}

}  // namespace govector
