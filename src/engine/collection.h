// Collection: one collection's points, its index and its search planner; private to the engine (Engine,
// engine.h, is the API). The class is declared here and implemented by concern:
//   collection.cc      opening (points from LMDB, the graph from its snapshot), snapshots, statistics, drop
//   point_table.cc     slots: each point's id, versions and payload; the id map, the free list, selections
//   vector_store.cc    where each slot's vector is (graph, pending set, flat arena), scan codes, LMDB vectors
//   point_writes.cc    upserts, deletes, payload updates, payload indexes
//   point_reads.cc     get, count, scroll
//   search_planner.cc  search: exact scan or graph walk, filters, the pending set
//   indexer.cc         the background indexer's rounds
// and index_snapshot.h holds the snapshot's file format.
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
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/api.h"
#include "engine/apply.h"
#include "engine/config.h"
#include "engine/filter.h"
#include "engine/distance.h"
#include "engine/hnsw_index.h"
#include "engine/index_snapshot.h"
#include "engine/payload_index.h"
#include "engine/slot_arena.h"
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
  Result<WriteResult> Delete(const PointSelector& selector, const ApplyStamp* stamp = nullptr);
  Result<WriteResult> UpdatePayload(const PointSelector& selector, PayloadMode mode, const Json& payload,
                                    const std::vector<std::string>& keys, const ApplyStamp* stamp = nullptr);
  // An index that exists already with this type is no change (and no stamp).
  Status CreatePayloadIndex(const std::string& field, PayloadIndexType type, const ApplyStamp* stamp = nullptr);

  // Reads.
  Result<std::vector<Record>> Get(const std::vector<PointId>& ids, bool with_payload, bool with_vector);
  Result<uint64_t> Count(const Filter* filter);
  Result<ScrollPage> Scroll(const ScrollParams& params);
  Result<std::vector<ScoredPoint>> Search(const SearchParams& params, SearchPlan* plan = nullptr);
  CollectionInfo Info();
  // Sets info's storage_bytes and index_file_bytes: a read of LMDB's statistics and of the index directory,
  // done only for an answer about this one collection (not for lists, statistics or planning).
  void AddDiskUsage(CollectionInfo* info) const;

  // Background work. IndexSome moves up to max_points pending vectors into the graph (using `threads`
  // threads) and returns how many it handled (inserted, failed to insert, or marked deleted): 0 only when
  // there is nothing to do.
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
  using SharedLock = std::shared_lock<RwLock>;
  using UniqueLock = std::unique_lock<RwLock>;
  // (internal distance, slot): a search's candidate.
  using Candidate = std::pair<float, uint32_t>;

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

  // A read transaction begun on first use (most searches need none).
  class LazyReadTxn {
   public:
    explicit LazyReadTxn(Storage* storage) : storage_(storage) {}
    Result<ReadTxn*> Get() {
      if (!txn_) {
        GV_ASSIGN_OR_RETURN(txn_, storage_->BeginRead());
      }
      return txn_.get();
    }

   private:
    Storage* storage_;
    std::unique_ptr<ReadTxn> txn_;
  };

  struct SearchContext;  // search_planner.cc
  struct IndexBatch;     // indexer.cc
  struct IndexOutcome;   // indexer.cc

  // collection.cc
  Collection(Storage* storage, CatalogWriter* catalog, const EngineOptions& options, const pb::CollectionMeta& meta,
             MDB_dbi dbi, std::string index_dir);
  Status Load();
  // One point record of LMDB, into the slot its graph node has in the snapshot, or a new one.
  void LoadPoint(PointId id, const pb::Point& point, std::optional<uint32_t> snapshot_slot);
  Status LoadSnapshot(std::unordered_map<std::string, uint32_t>* slot_of_key);
  SnapshotIdentity Identity() const;
  Status NotFoundError() const;

  // point_table.cc. Slot management; state_mu_ held exclusively. A released slot becomes free only once
  // nothing refers to it: its graph node (if any) marked deleted and no insertion of it in flight; each step
  // happens once.
  uint32_t AllocateSlot();
  void ReleaseSlot(uint32_t slot);
  void QueueUnindex(uint32_t slot);
  void FreeIfUnused(uint32_t slot);
  bool SlotSearchable(uint32_t slot) const {
    const Slot& s = slots_[slot];
    return s.live && s.in_graph && s.graph_version == s.vector_version && !s.in_flight;
  }
  // Lookups; state_mu_ held. The slots a filter can match, sorted, when its top-level must clause narrows
  // them (has_id conditions, payload indexes), and whether they are exactly the matches; nullopt when every
  // live slot must be checked.
  std::optional<PayloadIndexSet::CandidateSet> FilterCandidates(const Filter& filter) const;
  // Calls fn with every slot whose point matches filter.
  void ForEachMatch(const Filter& filter, FunctionRef<void(uint32_t)> fn) const;
  // The slots of the points a selector names (existing ones only, each once).
  std::vector<uint32_t> SelectSlots(const PointSelector& selector) const;

  // vector_store.cc. HNSW collections of float vectors keep an SQ8 code of every live vector beside the graph
  // (scan codes): the planner's exact scans (a filter with few matches, or matches the graph walk cannot
  // reach) score the codes, a quarter of the floats' memory traffic, and rescore the best with the floats.
  // A search the caller asks to be exact scores the floats. (SQ8 collections have codes in the graph
  // already; flat collections are exact by definition.)
  bool IsHnsw() const { return config_.index == IndexKind::kHnsw; }
  bool IsQuantized() const { return config_.quantization == Quantization::kSq8; }
  bool UsesScanCodes() const { return IsHnsw() && !IsQuantized(); }
  size_t ElementBytes() const;
  void EncodeScanCode(uint32_t slot, const float* vec);
  // A slot's new vector: into the pending set (HNSW) or the arena (flat). state_mu_ held exclusively.
  void ApplyVector(uint32_t slot, const float* vec);
  // The vector as the index and every score see it: for cosine a normalised copy (in buf), else vec itself.
  const float* IndexedVector(const float* vec, std::vector<float>* buf) const;
  // The slot's element in the graph or the flat arena (float vector, or SQ8 code for SQ8 collections), of
  // element_bytes (ElementBytes()); nullptr when the graph lacks its current vector.
  const void* ElementOf(uint32_t slot, size_t element_bytes) const;
  // The internal distance from the query (qd, or query for a pending vector) to the slot's current vector:
  // from its element, or from the pending set when the graph lacks it. False when the slot has neither.
  bool FloatDistance(const QueryDistance& qd, const std::vector<float>& query, uint32_t slot, size_t element_bytes,
                     float* d) const;
  Result<std::vector<float>> ReadVector(ReadTxn* txn, const PointId& id) const;
  // The same, nullopt when the point's record is gone: a delete removes the record before it releases the
  // point's slot (under the state lock), so a reader may see the slot live and the record deleted.
  Result<std::optional<std::vector<float>>> ReadVectorIfStored(ReadTxn* txn, const PointId& id) const;

  // point_writes.cc; write_mu_ held. After a write that changed vectors: wakes the indexer, or indexes now when
  // indexing is synchronous.
  void IndexAfterWrite();
  // Commits the points (or the slots' new payloads) in one LMDB transaction; the version it took.
  Result<uint64_t> StorePoints(const std::vector<PointInput>& points, const ApplyStamp* stamp);
  Result<uint64_t> StorePayloads(const std::vector<uint32_t>& slots, const std::vector<Json>& payloads,
                                 const ApplyStamp* stamp);
  // A committed point into memory; state_mu_ held exclusively.
  void ApplyPoint(PointInput&& p, uint64_t version);

  // point_reads.cc; state_mu_ held shared.
  Record RecordOf(uint32_t slot, bool with_payload) const;
  // A scroll that visits the filter's candidate slots, or every key of the collection in order.
  Result<ScrollPage> ScrollSlots(const ScrollParams& params, const Filter& filter,
                                 const std::vector<uint32_t>& candidates, ReadTxn* txn) const;
  Result<ScrollPage> ScrollKeys(const ScrollParams& params, const Filter* filter, ReadTxn* txn) const;

  // search_planner.cc; index_mu_ and state_mu_ held shared.
  // The query vector (params.by_id's stored vector, or params.vector checked and normalised).
  Status ResolveQuery(SearchContext* ctx, LazyReadTxn* txn) const;
  // The filter's candidates and the plan: exact, or a graph walk.
  void PlanSearch(SearchContext* ctx) const;
  bool Accepts(const SearchContext& ctx, uint32_t slot) const;
  size_t EstimateMatches(const Filter& filter, const PayloadIndexSet::CandidateSet* indexed, size_t live) const;
  // A graph walk, with the pending set scored exactly, and an exact scan when the walk cannot fill the request.
  void GraphSearch(SearchContext* ctx, const QueryDistance& qd, std::vector<Candidate>* cands) const;
  // Replaces *out with the `limit` nearest accepted slots (of the filter's candidates, when known). With scan
  // codes it scores the codes and rescores the best of them with the float vectors.
  void ExactScan(const SearchContext& ctx, const QueryDistance& qd, size_t limit, std::vector<Candidate>* out) const;
  void ScanPending(SearchContext& ctx, std::vector<Candidate>* out) const;
  Status Rescore(ReadTxn* txn, const std::vector<float>& query, std::vector<Candidate>* cands) const;
  // The results from the sorted candidates: ranks from the offset on, within the score threshold.
  Result<std::vector<ScoredPoint>> Hits(const SearchContext& ctx, const std::vector<Candidate>& cands,
                                        LazyReadTxn* txn) const;

  // indexer.cc
  void TakeIndexWork(size_t max_points, IndexBatch* batch);
  IndexOutcome FinishIndexWork(IndexBatch* batch);
  void ReportIndexFailures(const IndexOutcome& outcome);

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
  SlotArena arena_;
  // UsesScanCodes(): the SQ8 code of every slot's current vector (Sq8CodeBytes(dimension()) per slot).
  SlotArena scan_codes_;

  // index_mu_
  std::unique_ptr<HnswIndex> hnsw_;
  std::atomic<uint64_t> changes_since_snapshot_{0};
  std::mutex snapshot_mu_;
  uint64_t snapshot_generation_ = 0;
};

}  // namespace govector
