// A collection's point table (collection.h): the slots holding each point's id, versions and payload, the id
// to slot map, the free list, and the lookups that turn ids and filters into slots.
#include "engine/collection.h"

#include <algorithm>

namespace govector {

uint32_t Collection::AllocateSlot() {
  uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
    Slot& s = slots_[slot];
    s.version = s.vector_version = s.graph_version = 0;
    s.payload = Json();
    s.free = false;
  } else {
    slot = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  return slot;
}

void Collection::ReleaseSlot(uint32_t slot) {
  Slot& s = slots_[slot];
  payload_indexes_.Remove(slot, s.payload);
  by_id_.erase(s.id);
  s.live = false;
  s.payload = Json();
  --live_count_;
  if (!IsHnsw()) {
    FreeIfUnused(slot);
    return;
  }
  pending_vectors_.erase(slot);
  if (s.in_graph)
    QueueUnindex(slot);  // the indexer marks the node deleted, then frees the slot
  else
    FreeIfUnused(slot);  // (an in-flight slot is handled when its insertion finishes)
}

void Collection::QueueUnindex(uint32_t slot) {
  Slot& s = slots_[slot];
  if (s.unindex_queued) return;
  s.unindex_queued = true;
  unindex_queue_.push_back(slot);
}

void Collection::FreeIfUnused(uint32_t slot) {
  Slot& s = slots_[slot];
  if (s.live || s.in_flight || s.in_graph || s.unindex_queued || s.free) return;
  s.free = true;
  free_slots_.push_back(slot);
}

std::optional<PayloadIndexSet::CandidateSet> Collection::FilterCandidates(const Filter& filter) const {
  return payload_indexes_.Candidates(filter, [&](const Condition& c) -> std::optional<std::vector<uint32_t>> {
    if (c.type != Condition::Type::kHasId) return std::nullopt;
    std::vector<uint32_t> slots;
    for (const PointId& id : c.ids) {
      auto it = by_id_.find(id);
      if (it != by_id_.end()) slots.push_back(it->second);
    }
    std::sort(slots.begin(), slots.end());
    slots.erase(std::unique(slots.begin(), slots.end()), slots.end());
    return slots;
  });
}

void Collection::ForEachMatch(const Filter& filter, FunctionRef<void(uint32_t)> fn) const {
  auto candidates = FilterCandidates(filter);
  if (candidates && candidates->exact) {
    for (uint32_t slot : candidates->slots) fn(slot);
    return;
  }
  auto consider = [&](uint32_t slot) {
    const Slot& s = slots_[slot];
    if (s.live && FilterMatches(filter, s.id, s.payload)) fn(slot);
  };
  if (candidates) {
    for (uint32_t slot : candidates->slots) consider(slot);
  } else {
    for (uint32_t slot = 0; slot < slots_.size(); ++slot) consider(slot);
  }
}

std::vector<uint32_t> Collection::SelectSlots(const PointSelector& selector) const {
  std::vector<uint32_t> out;
  if (selector.filter) {
    ForEachMatch(*selector.filter, [&](uint32_t slot) { out.push_back(slot); });
    return out;
  }
  for (const PointId& id : selector.ids) {
    auto it = by_id_.find(id);
    if (it != by_id_.end() && std::find(out.begin(), out.end(), it->second) == out.end()) out.push_back(it->second);
  }
  return out;
}

}  // namespace govector
