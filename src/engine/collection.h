// Collection: one collection's points, its index and its search planner.
//
// Write path (the seed's rule, storage first): validate the whole batch, commit it to LMDB in one
// transaction, then apply it to memory. Memory holds, per point, a slot with its id, versions and payload;
// the vectors live in the HNSW graph (or a flat arena for `flat` collections). New vectors of an HNSW
// collection wait in a pending set, searched exactly, until the background indexer moves them into the graph;
// a point is never missing from results while it waits.
//
// Locks, always taken in this order: write_mu_ (one writer at a time), index_mu_ (the graph: searches share
// it, the indexer takes it alone), state_mu_ (slots and payloads: readers share, writers apply alone).
//
// Writes given an ApplyStamp (the WAL apply worker's replay of a committed Postgres transaction, apply.h)
// take the stamp's version instead of a new one and store its apply position in the same LMDB transaction.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/api.h"
#include "engine/apply.h"
#include "engine/config.h"
#include "engine/filter.h"
#include "engine/hnsw_index.h"
#include "engine/payload_index.h"
#include "engine/point_id.h"
#include "engine/status.h"
#include "engine/storage.h"
#include "engine/sync.h"
#include "govector.pb.h"

namespace govector {

// What a payload update does with the payload given (Engine's SetPayload, DeletePayloadKeys, ClearPayload).
enum class PayloadMode { kMerge, kOverwrite, kDeleteKeys, kClear };

// The configuration a catalog entry describes.
CollectionConfig ConfigFromMeta(const pb::CollectionMeta& meta);

// Shared services a collection needs from the engine.
class CatalogWriter {
 public:
  virtual ~CatalogWriter() = default;
  // Allocates the next version inside txn (persisted with it). Strictly increasing. With a stamp: the
  // stamp's version, and the stamp is stored in txn (see Stamp).
  virtual Result<uint64_t> NextVersion(WriteTxn* txn, const ApplyStamp* stamp) = 0;
  // Stores an apply-mode write's stamp inside txn; nothing without one.
  virtual Status Stamp(WriteTxn* txn, const ApplyStamp* stamp) = 0;
  // Stores the collection's metadata inside txn.
  virtual Status PutMeta(WriteTxn* txn, const pb::CollectionMeta& meta) = 0;
  // Wakes the background indexer.
  virtual void NotifyIndexWork() = 0;
  // Keeps error as the engine's background error (Engine::BackgroundError) unless one is kept already.
  virtual void RecordBackgroundError(const Status& error) = 0;
};

class Collection {
 public:
  // Loads the collection's points from LMDB and its index snapshot from index_dir (when valid); points the
  // snapshot lacks are queued for indexing.
  static Result<std::shared_ptr<Collection>> Open(Storage* storage, CatalogWriter* catalog,
                                                  const EngineOptions& options, const pb::CollectionMeta& meta,
                                                  MDB_dbi dbi, const std::string& index_dir);
  ~Collection();

  // The configuration it was created with (never changes).
  const CollectionConfig& config() const { return config_; }
  const std::string& name() const { return config_.name; }
  uint32_t dimension() const { return config_.dimension; }
  Distance distance() const { return config_.distance; }
  uint64_t uid() const { return meta_.uid(); }
  MDB_dbi dbi() const { return dbi_; }

  // Writes. A write that changes nothing (no point selected) returns version 0 and writes no stamp.
  Result<WriteResult> Upsert(std::vector<PointInput> points, const ApplyStamp* stamp = nullptr);
  Result<std::vector<Record>> Get(const std::vector<PointId>& ids, bool with_payload, bool with_vector);
  Result<WriteResult> Delete(const PointSelector& selector, const ApplyStamp* stamp = nullptr);
  Result<WriteResult> UpdatePayload(const PointSelector& selector, PayloadMode mode, const Json& payload,
                                    const std::vector<std::string>& keys, const ApplyStamp* stamp = nullptr);
  Result<uint64_t> Count(const Filter* filter);
  Result<ScrollPage> Scroll(const ScrollParams& params);
  Result<std::vector<ScoredPoint>> Search(const SearchParams& params, SearchPlan* plan = nullptr);
  // An index that exists already with this type is no change (and no stamp).
  Status CreatePayloadIndex(const std::string& field, PayloadIndexType type, const ApplyStamp* stamp = nullptr);
  CollectionInfo Info();

  // Background work. IndexSome moves up to max_points pending vectors into the graph (using `threads`
  // threads) and returns how many it handled; 0 when there is nothing to do.
  size_t IndexSome(size_t max_points, unsigned threads);
  bool HasIndexWork();
  // Waits until no vector is pending (for tests and benchmarks). False on timeout.
  bool WaitIndexed(int timeout_ms);
  // Writes the graph snapshot if anything changed since the last one.
  Status SaveSnapshot();
  // Drops the collection: waits for operations in progress, then in one LMDB transaction deletes its
  // database and runs in_same_txn (the engine removes the catalog entry there). Every later call fails
  // with NotFound.
  Status Drop(FunctionRef<Status(WriteTxn*)> in_same_txn);
  void RemoveFiles();

 private:
  struct Slot {
    PointId id;
    uint64_t version = 0;
    uint64_t vector_version = 0;  // version of the last write that changed the vector
    uint64_t graph_version = 0;   // vector_version of the vector the graph holds for this label
    Json payload;
    bool live = false;
    bool in_graph = false;        // the graph has a node with this label (maybe marked deleted)
    bool in_flight = false;       // the indexer is inserting this slot right now
    bool unindex_queued = false;  // in unindex_queue_ (its graph node must be marked deleted)
    uint8_t insert_failures = 0;  // failed graph insertions of the current vector (see IndexSome)
    bool free = false;            // in free_slots_
  };

  Collection(Storage* storage, CatalogWriter* catalog, const EngineOptions& options, const pb::CollectionMeta& meta,
             MDB_dbi dbi, std::string index_dir);
  Status Load();
  Status LoadSnapshot(std::unordered_map<std::string, uint32_t>* slot_of_key);
  bool IsHnsw() const { return config_.index == IndexKind::kHnsw; }
  bool IsQuantized() const { return config_.quantization == Quantization::kSq8; }
  // HNSW collections of float vectors keep an SQ8 code of every live vector beside the graph (scan codes):
  // the planner's exact scans (a filter with few matches, or matches the graph walk cannot reach) score
  // the codes, a quarter of the floats' memory traffic, and rescore the best with the floats. A search the
  // caller asks to be exact scores the floats. (SQ8 collections have codes in the graph already; flat
  // collections are exact by definition.)
  bool UsesScanCodes() const { return IsHnsw() && !IsQuantized(); }
  void EncodeScanCode(uint32_t slot, const float* vec);
  size_t ElementBytes() const;
  Status NotFoundError() const;

  // Slot management; state_mu_ held exclusively. A released slot becomes free only once nothing refers to
  // it: its graph node (if any) marked deleted and no insertion of it in flight; each step happens once.
  uint32_t AllocateSlot();
  void ReleaseSlot(uint32_t slot);
  void QueueUnindex(uint32_t slot);
  void FreeIfUnused(uint32_t slot);
  void ApplyVector(uint32_t slot, const float* vec);
  bool SlotSearchable(uint32_t slot) const {
    const Slot& s = slots_[slot];
    return s.live && s.in_graph && s.graph_version == s.vector_version && !s.in_flight;
  }

  // Ids of the points a selector names (existing ones only); state_mu_ held.
  std::vector<uint32_t> SelectSlots(const PointSelector& selector);
  // The slots a filter can match, sorted, when its top-level must clause narrows them (has_id conditions,
  // payload indexes), and whether they are exactly the matches; nullopt when every live slot must be
  // checked. state_mu_ held.
  std::optional<PayloadIndexSet::CandidateSet> FilterCandidates(const Filter& filter) const;
  Result<std::vector<float>> ReadVector(ReadTxn* txn, const PointId& id);

  // Search pieces; index_mu_ and state_mu_ held shared.
  using Candidate = std::pair<float, uint32_t>;
  size_t EstimateMatches(const Filter& filter, const PayloadIndexSet::CandidateSet* indexed, size_t live) const;
  // Scores every accepted slot (or every accepted one of candidates) and keeps out->capacity() nearest.
  // With use_codes it scores the scan codes and rescores the best of them with the float vectors.
  void ExactScan(const QueryDistance& qd, const std::vector<float>& query,
                 FunctionRef<bool(uint32_t)> accept, const std::vector<uint32_t>* candidates, bool use_codes,
                 std::vector<Candidate>* out);
  void ScanPending(const std::vector<float>& query, FunctionRef<bool(uint32_t)> accept,
                   std::vector<Candidate>* out, SearchPlan* plan);
  Status Rescore(ReadTxn* txn, const std::vector<float>& query, std::vector<Candidate>* cands);

  Storage* storage_;
  CatalogWriter* catalog_;
  EngineOptions options_;
  pb::CollectionMeta meta_;  // its catalog entry (payload indexes added under write_mu_ and state_mu_)
  const CollectionConfig config_;
  MDB_dbi dbi_;
  std::string index_dir_;
  std::atomic<bool> dropped_{false};

  std::mutex write_mu_;
  RwLock index_mu_;
  RwLock state_mu_;

  // state_mu_
  std::vector<Slot> slots_;
  std::unordered_map<PointId, uint32_t, PointIdHash> by_id_;
  std::vector<uint32_t> free_slots_;
  size_t live_count_ = 0;
  PayloadIndexSet payload_indexes_;
  // HNSW collections: vectors waiting for the indexer, and graph labels to mark deleted.
  std::unordered_map<uint32_t, std::vector<float>> pending_vectors_;
  std::vector<uint32_t> pending_queue_;
  std::vector<uint32_t> unindex_queue_;
  // Flat collections: element per slot (float vector or SQ8 code).
  std::vector<uint8_t> arena_;
  // UsesScanCodes(): the SQ8 code of every slot's current vector (Sq8CodeBytes(dimension()) per slot).
  std::vector<uint8_t> scan_codes_;

  // index_mu_
  std::unique_ptr<HnswIndex> hnsw_;
  std::atomic<uint64_t> changes_since_snapshot_{0};
  std::mutex snapshot_mu_;
  uint64_t snapshot_generation_ = 0;
};

}  // namespace govector
