// The engine's public types: what a caller hands Engine (engine.h) and what it gets back. Plain values with
// no storage or index types in them, so a caller of the engine sees only this, config.h (collection
// configuration, options, limits), filter.h (filters, point ids, JSON) and status.h.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/config.h"
#include "engine/filter.h"
#include "engine/point_id.h"
#include "engine/status.h"

namespace govector {

// kApplied: the write is committed and visible to every reader when the call returns; kDurable: it is also
// flushed to disk.
enum class Durability { kApplied, kDurable };

// ---------------------------------------------------------------------------------------------------------
// Points

struct PointInput {
  PointId id;
  std::vector<float> vector;
  Json payload = Json::object();
  bool keep_payload = false;  // replace only the vector; the stored payload (or {} for a new point) stays
};

struct Record {
  PointId id;
  uint64_t version = 0;
  std::optional<std::vector<float>> vector;  // as written (also for cosine, which scores it normalised)
  std::optional<Json> payload;
};

struct ScoredPoint {
  PointId id;
  float score = 0;
  uint64_t version = 0;
  std::optional<std::vector<float>> vector;
  std::optional<Json> payload;
};

// Which points a payload or delete operation touches: the listed ids, or those matching the filter.
struct PointSelector {
  std::vector<PointId> ids;
  std::shared_ptr<const Filter> filter;  // used when set
};

struct WriteResult {
  uint64_t version = 0;  // the version given to this write
  uint64_t count = 0;    // points written, deleted or changed
};

// ---------------------------------------------------------------------------------------------------------
// Search and scroll

// Maximal marginal relevance (Qdrant's {"nearest": ..., "mmr": ...}): the search takes the best `candidates`
// hits (at least k + offset), then picks k + offset of them, the best first and each next maximising
// lambda * relevance - (1 - lambda) * (its greatest similarity to one already picked), lambda = 1 - diversity;
// the offset is skipped in that order. Relevance and similarity are minus the internal distance (cosine or
// dot similarity, minus the squared L2 distance, minus the L1 distance), so the two terms are comparable, as
// in Qdrant. Hits keep their score.
struct MmrParams {
  double diversity = 0.5;   // 0 to 1: 0 ranks by relevance alone
  uint32_t candidates = 0;  // 0: k + offset; the pool is at most kMaxK
};

struct SearchParams {
  std::vector<float> vector;                 // the query, unless by_id is set
  std::optional<PointId> by_id;              // search with this point's stored vector (it is not returned)
  std::shared_ptr<const Filter> filter;      // null: every point
  uint32_t k = 10;
  uint32_t offset = 0;                       // ranks to skip before the k returned
  uint32_t ef = 0;                           // 0: the collection's default
  bool exact = false;                        // brute force, no graph
  std::optional<float> score_threshold;      // keep score > t (cosine, dot) or score < t (euclid, manhattan)
  std::optional<MmrParams> mmr;              // re-rank the best for diversity (see MmrParams)
  bool with_payload = false;
  bool with_vector = false;
};

// How a search was carried out (for EXPLAIN, tests and benchmarks).
struct SearchPlan {
  enum class Kind { kGraph, kExact, kGraphThenExact } kind = Kind::kGraph;
  size_t estimated_matches = 0;   // for filtered searches
  size_t visited = 0;             // distance computations in the graph
  size_t pending_scanned = 0;     // not-yet-indexed points scanned exactly
  bool from_payload_index = false;
};

// Points in id order (PointId's order): the matching points from the start on (ids from start, and after
// `after`; both may be given), less the first `offset` of them, at most `limit`.
struct ScrollParams {
  std::shared_ptr<const Filter> filter;
  uint32_t limit = 10;
  std::optional<PointId> start;              // first id to consider (inclusive)
  std::optional<PointId> after;              // consider only ids after this one (exclusive: SQL's keyset paging)
  uint32_t offset = 0;                       // matching points to skip (at most kMaxOffset)
  bool with_payload = true;
  bool with_vector = false;
};

struct ScrollPage {
  std::vector<Record> points;
  std::optional<PointId> next;               // the id to start the next page at, if any
};

// ---------------------------------------------------------------------------------------------------------
// Collections and the engine

struct PayloadIndexInfo {
  std::string field;
  PayloadIndexType type = PayloadIndexType::kKeyword;
  uint64_t points = 0;  // points with at least one indexed value
};

struct CollectionInfo {
  CollectionConfig config;
  uint64_t points = 0;
  uint64_t indexed_vectors = 0;   // points whose current vector is in the graph (all points for flat)
  uint64_t graph_elements = 0;    // graph nodes, including deleted ones kept as stepping stones
  uint64_t graph_deleted = 0;
  uint64_t index_memory_bytes = 0;   // graph (or flat arena) including vectors or codes
  uint64_t vector_memory_bytes = 0;  // the vectors or codes alone
  uint64_t pending_memory_bytes = 0; // vectors waiting for the indexer
  bool snapshot_pending = false;     // the graph changed since its last snapshot (saved within a minute)
  // On disk: the collection's LMDB database (its points: pages in use, branch, leaf and overflow) and its
  // index snapshot files. LMDB's free pages, shared by all collections, are in EngineStats::storage_bytes.
  uint64_t storage_bytes = 0;
  uint64_t index_file_bytes = 0;
  std::vector<PayloadIndexInfo> payload_indexes;
};

struct EngineStats {
  uint64_t collections = 0;
  uint64_t points = 0;
  uint64_t index_memory_bytes = 0;
  uint64_t pending_memory_bytes = 0;
  uint64_t storage_bytes = 0;
  uint64_t last_version = 0;
  Status background_error;  // Engine::BackgroundError() when the stats were taken
  // Postgres mode: the connections whose transaction has written (and whose overlay the engine still holds),
  // and the vectors and payloads of those overlays in memory (estimated) and in spill files.
  uint64_t open_transactions = 0;
  uint64_t txn_memory_bytes = 0;
  uint64_t txn_spilled_bytes = 0;
};

// ---------------------------------------------------------------------------------------------------------
// Postgres mode (apply.h and txn_session.h say how these are used)

// Where one replayed write sits in WAL.
struct ApplyPosition {
  uint64_t commit_lsn = 0;   // end of its transaction's commit record; never 0
  uint32_t seq = 0;          // its index among the transaction's writes, from 0
  bool last = false;         // the transaction's last write
  uint64_t restart_lsn = 0;  // where WAL reading must restart to see every transaction not yet applied

  // True when a write at `other` is already applied once this position is: an earlier transaction, or an
  // earlier (or the same) write of this one.
  bool Covers(const ApplyPosition& other) const {
    return other.commit_lsn < commit_lsn || (other.commit_lsn == commit_lsn && other.seq <= seq);
  }
};

// What an apply-mode write carries down to the LMDB transaction that commits it.
struct ApplyStamp {
  uint64_t version = 0;  // the version reserved when the write was validated (0 for collection DDL)
  ApplyPosition at;
};

struct ApplyState {
  uint64_t commit_lsn = 0;  // 0: nothing applied yet
  uint32_t seq = 0;
  bool done = true;         // every write of transaction commit_lsn is applied
  uint64_t restart_lsn = 0;
  uint64_t durable_restart_lsn = 0;  // as of the last flush to disk
  uint64_t durable_commit_lsn = 0;
};

}  // namespace govector
