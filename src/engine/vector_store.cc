// A collection's vectors (collection.h): where each slot's current vector lives (the HNSW graph, or the
// pending set until the indexer has put it there; the arena of a flat collection), the scan codes kept
// beside the graph, and the float vectors as stored in LMDB (as written; a cosine collection indexes and
// scores them normalised).
#include "engine/collection.h"

#include <algorithm>
#include <cstring>

#include "engine/distance.h"
#include "engine/payload_codec.h"

namespace govector {

size_t Collection::ElementBytes() const {
  return IsQuantized() ? Sq8CodeBytes(dimension()) : dimension() * sizeof(float);
}

void Collection::EncodeScanCode(uint32_t slot, const float* vec) {
  Sq8Encode(vec, dimension(), scan_codes_.Ensure(slot));
}

const float* Collection::IndexedVector(const float* vec, std::vector<float>* buf) const {
  return ScoringVector(distance(), vec, dimension(), buf);
}

void Collection::ApplyVector(uint32_t slot, const float* stored) {
  std::vector<float> buf;
  const float* vec = IndexedVector(stored, &buf);
  if (UsesScanCodes()) EncodeScanCode(slot, vec);
  if (IsHnsw()) {
    pending_vectors_[slot].assign(vec, vec + dimension());
    pending_queue_.push_back(slot);
    slots_[slot].insert_failures = 0;  // a new vector gets its own attempts
    return;
  }
  uint8_t* dst = arena_.Ensure(slot);
  if (IsQuantized())
    Sq8Encode(vec, dimension(), dst);
  else
    std::memcpy(dst, vec, ElementBytes());
}

const void* Collection::ElementOf(uint32_t slot, size_t element_bytes) const {
  if (!IsHnsw()) return arena_.Has(slot) ? arena_.At(slot) : nullptr;
  return SlotSearchable(slot) ? hnsw_->ElementData(slot) : nullptr;
}

bool Collection::FloatDistance(const QueryDistance& qd, const std::vector<float>& query, uint32_t slot,
                               size_t element_bytes, float* d) const {
  if (const void* element = ElementOf(slot, element_bytes)) {
    *d = qd(element);
    return true;
  }
  auto it = pending_vectors_.find(slot);
  if (it == pending_vectors_.end()) return false;
  *d = InternalDistance(distance(), query.data(), it->second.data(), dimension());
  return true;
}

Result<std::optional<std::vector<float>>> Collection::ReadVectorIfStored(ReadTxn* txn, const PointId& id) const {
  GV_ASSIGN_OR_RETURN(auto value, txn->Get(dbi_, id.Key()));
  if (!value) return std::optional<std::vector<float>>();
  std::vector<float> vector;
  if (!ParsePointVector(*value, &vector)) return Status::IOError("unreadable point record " + id.ToString());
  return std::optional<std::vector<float>>(std::move(vector));
}

Result<std::vector<float>> Collection::ReadVector(ReadTxn* txn, const PointId& id) const {
  GV_ASSIGN_OR_RETURN(auto vector, ReadVectorIfStored(txn, id));
  if (!vector) return Status::PointNotFound(id.ToString());
  return std::move(*vector);
}

}  // namespace govector
