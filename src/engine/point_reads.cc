// A collection's reads of points (collection.h): by id, counts, and scrolls in id order. (Searches are in
// search_planner.cc.)
#include "engine/collection.h"

#include <algorithm>

#include "engine/payload_codec.h"
#include "engine/point_checks.h"

namespace govector {

Record Collection::RecordOf(uint32_t slot, bool with_payload) const {
  const Slot& s = slots_[slot];
  Record r;
  r.id = s.id;
  r.version = s.version;
  if (with_payload) r.payload = s.payload;
  return r;
}

Result<std::vector<Record>> Collection::Get(const std::vector<PointId>& ids, bool with_payload, bool with_vector) {
  SharedLock state_lock(state_mu_);
  if (dropped_) return NotFoundError();
  std::unique_ptr<ReadTxn> txn;
  if (with_vector) {
    GV_ASSIGN_OR_RETURN(txn, storage_->BeginRead());
  }
  std::vector<Record> out;
  std::unordered_map<PointId, bool, PointIdHash> seen;
  for (const PointId& id : ids) {
    auto it = by_id_.find(id);
    if (it == by_id_.end() || !seen.emplace(id, true).second) continue;
    Record r = RecordOf(it->second, with_payload);
    if (with_vector) {
      GV_ASSIGN_OR_RETURN(auto vector, ReadVectorIfStored(txn.get(), r.id));
      if (!vector) continue;  // deleted while this read ran
      r.vector = std::move(*vector);
    }
    out.push_back(std::move(r));
  }
  return out;
}

Result<uint64_t> Collection::Count(const Filter* filter) {
  SharedLock state_lock(state_mu_);
  if (dropped_) return NotFoundError();
  if (!filter || filter->MatchesAll()) return static_cast<uint64_t>(live_count_);
  uint64_t n = 0;
  ForEachMatch(*filter, [&](uint32_t) { ++n; });
  return n;
}

Result<ScrollPage> Collection::Scroll(const ScrollParams& params) {
  GV_RETURN_IF_ERROR(CheckScrollParams(params));
  SharedLock state_lock(state_mu_);
  if (dropped_) return NotFoundError();
  GV_ASSIGN_OR_RETURN(auto txn, storage_->BeginRead());
  const Filter* filter = params.filter && !params.filter->MatchesAll() ? params.filter.get() : nullptr;
  if (filter) {
    // Few candidates (ids, payload index): visit them in id order instead of walking every key.
    if (auto candidates = FilterCandidates(*filter)) return ScrollSlots(params, *filter, candidates->slots, txn.get());
  }
  return ScrollKeys(params, filter, txn.get());
}

Result<ScrollPage> Collection::ScrollSlots(const ScrollParams& params, const Filter& filter,
                                           const std::vector<uint32_t>& candidates, ReadTxn* txn) const {
  std::vector<uint32_t> slots;
  for (uint32_t slot : candidates) {
    const Slot& s = slots_[slot];
    if (s.live && InScrollRange(params, s.id) && FilterMatches(filter, s.id, s.payload)) slots.push_back(slot);
  }
  std::sort(slots.begin(), slots.end(), [&](uint32_t a, uint32_t b) { return slots_[a].id < slots_[b].id; });
  ScrollPageFiller fill(params);
  for (uint32_t slot : slots) {
    ScrollPageFiller::Turn turn = fill.Next(slots_[slot].id);
    if (turn == ScrollPageFiller::Turn::kFull) break;
    if (turn == ScrollPageFiller::Turn::kSkip) continue;
    Record r = RecordOf(slot, params.with_payload);
    if (params.with_vector) {
      GV_ASSIGN_OR_RETURN(auto vector, ReadVectorIfStored(txn, r.id));
      if (!vector) continue;  // deleted while this scroll ran
      r.vector = std::move(*vector);
    }
    fill.Add(std::move(r));
  }
  return std::move(fill.page());
}

Result<ScrollPage> Collection::ScrollKeys(const ScrollParams& params, const Filter* filter, ReadTxn* txn) const {
  ScrollPageFiller fill(params);
  Status error;
  pb::Point point;
  // Keys sort as ids do: the scan starts at the later of the two bounds (after itself is passed over).
  std::string start =
      std::max(params.start ? params.start->Key() : std::string(), params.after ? params.after->Key() : std::string());
  GV_RETURN_IF_ERROR(Storage::Scan(txn->raw(), dbi_, start, [&](std::string_view key, std::string_view value) {
    auto id = PointId::FromKey(key);
    if (!id.ok()) {
      error = id.status();
      return false;
    }
    auto it = by_id_.find(*id);
    if (it == by_id_.end()) return true;  // committed but not yet applied: not visible yet
    const Slot& s = slots_[it->second];
    if (!InScrollRange(params, s.id) || (filter && !FilterMatches(*filter, s.id, s.payload))) return true;
    ScrollPageFiller::Turn turn = fill.Next(s.id);
    if (turn != ScrollPageFiller::Turn::kTake) return turn == ScrollPageFiller::Turn::kSkip;
    Record r = RecordOf(it->second, params.with_payload);
    if (params.with_vector) {
      if (!ParsePoint(value, &point)) {
        error = Status::IOError("unreadable point record " + s.id.ToString());
        return false;
      }
      r.vector.emplace(point.vector().begin(), point.vector().end());
    }
    fill.Add(std::move(r));
    return true;
  }));
  GV_RETURN_IF_ERROR(error);
  return std::move(fill.page());
}

}  // namespace govector
