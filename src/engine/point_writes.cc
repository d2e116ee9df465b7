// A collection's writes (collection.h): upserts, deletes, payload updates and payload index creation. Each
// validates the whole request, commits it to LMDB in one transaction (taking the write's version there),
// then applies it to memory; a write that selects no point changes nothing and takes no version.
#include "engine/collection.h"

#include "engine/payload_codec.h"
#include "engine/point_checks.h"

namespace govector {

void Collection::IndexAfterWrite() {
  if (!IsHnsw()) return;
  if (options_.background_indexing) {
    catalog_->NotifyIndexWork();
    return;
  }
  while (IndexSome(4096, options_.index_threads) > 0) {
  }
}

Result<WriteResult> Collection::Upsert(std::vector<PointInput> points, const ApplyStamp* stamp) {
  // Validate everything before anything is written: one bad point rejects the batch.
  GV_RETURN_IF_ERROR(PrepareUpsert(&points, dimension(), distance()));
  std::lock_guard<std::mutex> write_lock(write_mu_);
  if (dropped_) return NotFoundError();
  {
    // Vector-only updates take the payload stored now (no other writer can change it: we hold write_mu_).
    SharedLock state_lock(state_mu_);
    for (auto& p : points) {
      if (!p.keep_payload) continue;
      auto it = by_id_.find(p.id);
      p.payload = it != by_id_.end() ? slots_[it->second].payload : Json::object();
    }
  }
  GV_ASSIGN_OR_RETURN(uint64_t version, StorePoints(points, stamp));
  {
    UniqueLock state_lock(state_mu_);
    for (auto& p : points) ApplyPoint(std::move(p), version);
  }
  IndexAfterWrite();
  return WriteResult{version, points.size()};
}

Result<uint64_t> Collection::StorePoints(const std::vector<PointInput>& points, const ApplyStamp* stamp) {
  GV_ASSIGN_OR_RETURN(auto txn, storage_->BeginWrite());
  GV_ASSIGN_OR_RETURN(uint64_t version, catalog_->NextVersion(txn.get(), stamp));
  pb::Point record;
  std::string value;
  for (const PointInput& p : points) {
    record.Clear();
    record.mutable_vector()->Add(p.vector.begin(), p.vector.end());
    record.set_version(version);
    record.set_vector_version(version);
    GV_RETURN_IF_ERROR(JsonToStruct(p.payload, record.mutable_payload()));
    record.SerializeToString(&value);
    GV_RETURN_IF_ERROR(txn->Put(dbi_, p.id.Key(), value));
  }
  GV_RETURN_IF_ERROR(txn->Commit());
  return version;
}

void Collection::ApplyPoint(PointInput&& p, uint64_t version) {
  uint32_t slot;
  auto it = by_id_.find(p.id);
  if (it != by_id_.end()) {
    slot = it->second;
    payload_indexes_.Remove(slot, slots_[slot].payload);
  } else {
    slot = AllocateSlot();
    by_id_[p.id] = slot;
    ++live_count_;
  }
  Slot& s = slots_[slot];
  s.id = p.id;
  s.version = version;
  s.vector_version = version;
  s.payload = std::move(p.payload);
  s.live = true;
  payload_indexes_.Insert(slot, s.payload);
  ApplyVector(slot, p.vector.data());
}

Result<WriteResult> Collection::Delete(const PointSelector& selector, const ApplyStamp* stamp) {
  std::lock_guard<std::mutex> write_lock(write_mu_);
  if (dropped_) return NotFoundError();
  std::vector<uint32_t> slots;
  std::vector<std::string> keys;
  {
    SharedLock state_lock(state_mu_);
    slots = SelectSlots(selector);
    for (uint32_t slot : slots) keys.push_back(slots_[slot].id.Key());
  }
  if (slots.empty()) return WriteResult{0, 0};
  GV_ASSIGN_OR_RETURN(auto txn, storage_->BeginWrite());
  GV_ASSIGN_OR_RETURN(uint64_t version, catalog_->NextVersion(txn.get(), stamp));
  for (const auto& key : keys) GV_RETURN_IF_ERROR(txn->Delete(dbi_, key).status());
  GV_RETURN_IF_ERROR(txn->Commit());
  {
    UniqueLock state_lock(state_mu_);
    for (uint32_t slot : slots) ReleaseSlot(slot);
  }
  IndexAfterWrite();
  return WriteResult{version, slots.size()};
}

Result<WriteResult> Collection::UpdatePayload(const PointSelector& selector, PayloadMode mode, const Json& payload,
                                              const std::vector<std::string>& keys, const ApplyStamp* stamp) {
  GV_RETURN_IF_ERROR(CheckPayloadUpdate(mode, payload));
  std::lock_guard<std::mutex> write_lock(write_mu_);
  if (dropped_) return NotFoundError();
  std::vector<uint32_t> slots;
  std::vector<Json> updated;
  {
    SharedLock state_lock(state_mu_);
    slots = SelectSlots(selector);
    for (uint32_t slot : slots) updated.push_back(UpdatedPayload(slots_[slot].payload, mode, payload, keys));
  }
  if (slots.empty()) return WriteResult{0, 0};
  GV_ASSIGN_OR_RETURN(uint64_t version, StorePayloads(slots, updated, stamp));
  {
    UniqueLock state_lock(state_mu_);
    for (size_t i = 0; i < slots.size(); ++i) {
      Slot& s = slots_[slots[i]];
      payload_indexes_.Remove(slots[i], s.payload);
      s.payload = std::move(updated[i]);
      s.version = version;
      payload_indexes_.Insert(slots[i], s.payload);
    }
  }
  return WriteResult{version, slots.size()};
}

Result<uint64_t> Collection::StorePayloads(const std::vector<uint32_t>& slots, const std::vector<Json>& payloads,
                                           const ApplyStamp* stamp) {
  GV_ASSIGN_OR_RETURN(auto txn, storage_->BeginWrite());
  GV_ASSIGN_OR_RETURN(uint64_t version, catalog_->NextVersion(txn.get(), stamp));
  pb::Point record;
  std::string bytes;
  for (size_t i = 0; i < slots.size(); ++i) {
    std::string key = slots_[slots[i]].id.Key();  // ids of selected slots cannot change: we hold write_mu_
    GV_ASSIGN_OR_RETURN(auto old, txn->Get(dbi_, key));
    if (!old || !ParsePoint(*old, &record))
      return Status::IOError("point record missing for " + slots_[slots[i]].id.ToString());
    if (record.vector_version() == 0) record.set_vector_version(record.version());
    record.set_version(version);
    record.clear_payload();
    GV_RETURN_IF_ERROR(JsonToStruct(payloads[i], record.mutable_payload()));
    record.SerializeToString(&bytes);
    GV_RETURN_IF_ERROR(txn->Put(dbi_, key, bytes));
  }
  GV_RETURN_IF_ERROR(txn->Commit());
  return version;
}

Status Collection::CreatePayloadIndex(const std::string& field, PayloadIndexType type, const ApplyStamp* stamp) {
  std::lock_guard<std::mutex> write_lock(write_mu_);
  if (dropped_) return NotFoundError();
  // Checked, not added: the live index set changes only once the catalog entry is committed and the new
  // index holds every point (an empty index visible to searches would make them miss points, and one left
  // by a failed commit would stay until a restart). Writers wait on write_mu_ meanwhile; readers use the
  // index set as it was.
  PayloadIndexSet fresh;
  for (const auto& m : meta_.payload_indexes())
    GV_RETURN_IF_ERROR(fresh.Add(m.field(), static_cast<PayloadIndexType>(m.type())));
  for (const auto& pi : meta_.payload_indexes())
    if (pi.field() == field && static_cast<PayloadIndexType>(pi.type()) == type) return Status::OK();
  GV_RETURN_IF_ERROR(fresh.Add(field, type));
  pb::CollectionMeta meta = meta_;
  auto* pi = meta.add_payload_indexes();
  pi->set_field(field);
  pi->set_type(static_cast<pb::PayloadIndexType>(type));
  GV_ASSIGN_OR_RETURN(auto txn, storage_->BeginWrite());
  GV_RETURN_IF_ERROR(catalog_->PutMeta(txn.get(), meta));
  GV_RETURN_IF_ERROR(catalog_->Stamp(txn.get(), stamp));
  // Filled before it is published; slots_ changes only under write_mu_, which this holds.
  {
    SharedLock state_lock(state_mu_);
    for (uint32_t slot = 0; slot < slots_.size(); ++slot)
      if (slots_[slot].live) fresh.Insert(slot, slots_[slot].payload);
  }
  GV_RETURN_IF_ERROR(txn->Commit());
  UniqueLock state_lock(state_mu_);
  meta_ = meta;
  payload_indexes_ = std::move(fresh);
  return Status::OK();
}

}  // namespace govector
