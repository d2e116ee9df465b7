// The transaction overlay (ARCHITECTURE.md decision 8): what one Postgres transaction has written and not yet
// committed, kept by the engine for that transaction's own reads. Committed state never changes for it: at
// commit the WAL apply worker replays the writes themselves (txn_session.h).
//
// TxnOverlay holds, per collection the transaction touched, the points as the transaction left them (new,
// replaced, payload-updated or deleted), whether it created or dropped the collection, and the payload
// indexes it created. Every change is tagged with the subtransaction that made it and logged with what it
// replaced, so rolling back a subtransaction undoes exactly its changes and its children's (RollbackTo).
//
// OverlayView is one collection as the transaction sees it: the committed collection (unless the
// transaction created it) with the overlay on top. Its reads ask committed state for everything but the
// overlay's ids (a filter excluding them, so a search or scroll never under-fills) and merge the overlay's
// points in: search scores them exactly (offset and MMR apply to the merged ranking), scroll keeps id order
// (its offset and `after` count both), count adds them; filters are evaluated on them by the engine's one
// evaluator.
//
// Past a limit of point data in memory (TxnSpillOptions::threshold_bytes), the vectors and payloads of
// further points go to a spill file (spill_file.h) and memory keeps only their state and place in the file;
// reads give the same results either way. The file is removed when the overlay is cleared or destroyed
// (the transaction ends, the connection closes).
//
// Neither is thread-safe: a transaction's overlay belongs to the one connection that runs it.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/collection.h"
#include "engine/config.h"
#include "engine/filter.h"
#include "engine/spill_file.h"
#include "engine/status.h"
#include "engine/sync.h"

namespace govector {

// A point as the transaction left it.
struct OverlayPoint {
  bool deleted = false;
  uint64_t version = 0;       // reserved for the write that left it so
  std::vector<float> vector;  // as written (cosine scores a normalised copy); empty when deleted (or spilled)
  Json payload;               // an object; null when deleted (or spilled)
  uint32_t subxact = 0;       // the subtransaction of that write

  // Where the overlay keeps vector and payload (set by TxnOverlay). In memory: in the fields above, and
  // data_bytes estimates the memory they take. Spilled: in the spill file, data_bytes of it from
  // spill_offset, the payload's payload_bytes first and then the vector's floats.
  bool spilled = false;
  uint32_t data_bytes = 0;
  uint32_t payload_bytes = 0;
  uint64_t spill_offset = 0;
};

// Where and when a transaction's overlay spills.
struct TxnSpillOptions {
  std::string path;             // the spill file, created when first needed (its directory must exist)
  size_t threshold_bytes = 0;   // vectors and payloads kept in memory, at most (EngineOptions::txn_spill_bytes)
  InfoLogger info_log;          // told when the overlay starts spilling
};

// A payload index as the transaction created it.
struct PayloadIndexSpec {
  std::string field;
  PayloadIndexType type;
};

// One collection as the transaction changed it.
struct OverlayCollection {
  bool created = false;  // created by the transaction: nothing committed lies beneath; config describes it
  bool dropped = false;  // dropped by the transaction (and not created again): gone for it
  CollectionConfig config;
  std::vector<PayloadIndexSpec> payload_indexes;  // created by the transaction
  std::map<PointId, OverlayPoint> points;              // in id order (PointId's order is the scroll order)

  // A filter matching every id in points: what committed reads must leave out. Built on first use.
  std::shared_ptr<const Filter> IdFilter() const;
  mutable std::shared_ptr<const Filter> id_filter;  // IdFilter's cache, reset when the ids change
};

class TxnOverlay {
 public:
  using Key = std::pair<uint32_t, std::string>;  // namespace, collection name

  explicit TxnOverlay(TxnSpillOptions spill);
  ~TxnOverlay();

  // nullptr when the transaction has not touched the collection.
  const OverlayCollection* Find(uint32_t ns, std::string_view name) const;
  const std::map<Key, OverlayCollection>& collections() const { return collections_; }
  bool empty() const { return collections_.empty(); }

  // Changes. Points are tagged with their subxact, in order (an id that comes twice is written twice);
  // the others with the subxact given. PutPoints fails only when the spill file cannot be written (or
  // created), and then changes nothing.
  Status PutPoints(const Key& key, std::vector<std::pair<PointId, OverlayPoint>> points);

  // Deferred spilling (the engine's RPC connections use it): PutPoints keeps every point in memory and
  // queues those past the threshold, and SpillQueued, called once the write has been answered, writes them
  // out, so that the file writes overlap with what the client does next (a backend logs the write in WAL).
  // Memory then exceeds the threshold by at most one write until SpillQueued runs. If SpillQueued fails
  // (a full disk), the points stay in memory, and the next PutPoints tries again and fails with that error,
  // changing nothing.
  void set_defer_spill(bool defer) { defer_spill_ = defer; }
  Status SpillQueued();
  // Replaces the collection's whole entry (a create or a drop).
  void PutCollection(const Key& key, OverlayCollection collection, uint32_t subxact);
  void AddPayloadIndex(const Key& key, PayloadIndexSpec index, uint32_t subxact);

  // Undoes, latest first, every change tagged with subxact or later. Postgres numbers subtransactions in
  // the order they start and rolls one back only while it is open, so every change made since it began
  // carries its number or a later one (a child's), and the changes to undo are the newest in the log.
  void RollbackTo(uint32_t subxact);
  // Forgets everything, and removes the spill file (and says so in the info log).
  void Clear();

  // The payload and/or the vector (either may be null) of a spilled point of this overlay.
  Status ReadSpilled(const OverlayPoint& point, Json* payload, std::vector<float>* vector) const;

  // Vectors and payloads held in memory (an estimate) and in the spill file (its size, garbage included:
  // the file only grows until the overlay is cleared).
  uint64_t memory_bytes() const { return memory_bytes_; }
  uint64_t spilled_bytes() const;

 private:
  struct Undo {
    enum class Kind : uint8_t { kPoint, kCollection, kPayloadIndex } kind;
    uint32_t subxact;
    uint32_t key;                                   // an index into keys_
    PointId id;                                     // kPoint
    std::unique_ptr<OverlayPoint> point;            // kPoint: the state before (null: not in the overlay)
    std::unique_ptr<OverlayCollection> collection;  // kCollection: the entry before (null: no entry)
  };
  OverlayCollection& Entry(const Key& key);
  uint32_t KeyIndex(const Key& key);
  // Writes point's vector and payload to the spill file (creating it if need be) and marks it spilled.
  Status Spill(OverlayPoint* point);
  // Appends point's vector and payload to the spill file (creating it if need be), without marking it:
  // where they start, and how many bytes the payload and the whole take.
  Result<uint64_t> AppendToSpill(const OverlayPoint& point, uint32_t* payload_bytes, uint32_t* data_bytes);
  // Marks point as kept in the spill file at offset, freeing its memory.
  void MarkSpilled(OverlayPoint* point, uint64_t offset, uint32_t payload_bytes, uint32_t data_bytes);
  // Accounts for dropping a point, or a collection entry with its points.
  void Release(const OverlayPoint& point);
  void Release(const OverlayCollection& collection);

  const TxnSpillOptions spill_options_;
  std::unique_ptr<SpillFile> spill_;  // created when first needed
  uint64_t memory_bytes_ = 0;         // data_bytes of the points held in memory, in collections_ and undo_
  std::map<Key, OverlayCollection> collections_;
  std::deque<Undo> undo_;             // a deque: no copying of the whole log as it grows
  std::vector<Key> keys_;             // the collections undo_ names
  std::map<Key, uint32_t> key_index_;
  bool defer_spill_ = false;
  std::vector<std::pair<uint32_t, PointId>> spill_queue_;  // (keys_ index, id): points for SpillQueued
};

class OverlayView {
 public:
  // committed: the committed collection beneath (null when the transaction created this one); overlay: the
  // transaction's changes to it (null when none; never null for a created collection), an entry of txn.
  OverlayView(std::shared_ptr<Collection> committed, const TxnOverlay* txn, const OverlayCollection* overlay);

  uint32_t dimension() const;
  Distance distance() const;

  // The reads of Collection, with Collection's validation and results, over committed state plus overlay.
  Result<std::vector<Record>> Get(const std::vector<PointId>& ids, bool with_payload, bool with_vector) const;
  Result<uint64_t> Count(const Filter* filter) const;
  Result<ScrollPage> Scroll(const ScrollParams& params) const;
  Result<std::vector<ScoredPoint>> Search(const SearchParams& params) const;
  // points counts the transaction's points too; indexed_vectors only committed ones in the index.
  Result<CollectionInfo> Info() const;
  // The collection's payload indexes, committed and created by the transaction.
  std::vector<PayloadIndexSpec> PayloadIndexes() const;

  // Calls fn with every point matching filter (null: every point), its payload set and its vector when
  // with_vector: what a write by filter selects.
  Status ForEach(const Filter* filter, bool with_vector, FunctionRef<void(Record&&)> fn) const;

 private:
  bool HasPoints() const { return overlay_ && !overlay_->points.empty(); }
  // The overlay's entry for id, or null.
  const OverlayPoint* Own(const PointId& id) const;
  // filter (null: every point), less the overlay's ids: what committed state is asked for.
  std::shared_ptr<const Filter> Beneath(std::shared_ptr<const Filter> filter) const;
  // The search's query vector (p.by_id resolved through the overlay); *committed becomes the search to ask
  // committed state for.
  Status Query(const SearchParams& p, SearchParams* committed, std::vector<float>* query) const;
  // The best k + offset committed hits of a search (in chunks of at most kMaxK).
  Result<std::vector<ScoredPoint>> CommittedHits(SearchParams p, size_t need) const;

  // Whether the overlay's point p (id) is one filter (null: every point) selects.
  Result<bool> Visible(const Filter* filter, const PointId& id, const OverlayPoint& p) const;
  Result<Record> ToRecord(const PointId& id, const OverlayPoint& p, bool with_payload, bool with_vector) const;

  std::shared_ptr<Collection> committed_;
  const TxnOverlay* txn_;
  const OverlayCollection* overlay_;
};

}  // namespace govector
