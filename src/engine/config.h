// Collection configuration, engine options and the engine's limits, with their defaults in one place; the
// names of distances, index kinds, quantizations and payload index types.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "common/govector_distance.h"
#include "common/govector_limits.h"
#include "engine/status.h"

namespace govector {

// Limits and defaults: common/govector_limits.h's (shared with the extension and the HTTP layer). Requests
// outside the limits are rejected with kInvalidArgument before anything changes.
inline constexpr uint32_t kMaxDimension = GV_MAX_DIMENSION;
inline constexpr size_t kMaxCollectionNameBytes = GV_MAX_COLLECTION_NAME_BYTES;
inline constexpr uint32_t kMaxK = GV_MAX_K;
inline constexpr uint32_t kMaxOffset = GV_MAX_OFFSET;
inline constexpr uint32_t kMaxEf = GV_MAX_EF;
inline constexpr uint32_t kMinM = GV_MIN_M;
inline constexpr uint32_t kMaxM = GV_MAX_M;
inline constexpr uint32_t kMinEfConstruct = GV_MIN_EF_CONSTRUCT;
inline constexpr uint32_t kMaxEfConstruct = GV_MAX_EF_CONSTRUCT;
inline constexpr size_t kMaxBatchPoints = GV_MAX_BATCH_POINTS;
inline constexpr uint32_t kMaxScrollLimit = GV_MAX_SCROLL_LIMIT;

inline constexpr uint32_t kDefaultM = GV_DEFAULT_M;
inline constexpr uint32_t kDefaultEfConstruct = GV_DEFAULT_EF_CONSTRUCT;
inline constexpr uint32_t kDefaultEf = GV_DEFAULT_EF;
inline constexpr uint32_t kDefaultK = GV_DEFAULT_K;

// The values are common/govector_distance.h's (stored in collection metadata).
enum class Distance : uint8_t {
  kCosine = GV_DISTANCE_COSINE,
  kEuclid = GV_DISTANCE_EUCLID,
  kDot = GV_DISTANCE_DOT,
  kManhattan = GV_DISTANCE_MANHATTAN,
};
enum class IndexKind : uint8_t { kHnsw = 1, kFlat = 2 };
enum class Quantization : uint8_t { kNone = 1, kSq8 = 2 };
// The numbers are the storage format's (proto/govector.proto's PayloadIndexType): they are stored as such.
enum class PayloadIndexType : uint8_t { kKeyword = 1, kInteger = 2, kFloat = 3, kBool = 4, kDatetime = 5 };

// Names as users write them ("cosine", "Euclid", "l2", "dot", "ip", "manhattan", "l1"), case-insensitive.
Result<Distance> ParseDistance(std::string_view name);
Result<IndexKind> ParseIndexKind(std::string_view name);
Result<Quantization> ParseQuantization(std::string_view name);
// "keyword", "integer", "float", "bool", "datetime" ("uuid" is a keyword index); case-sensitive.
Result<PayloadIndexType> ParsePayloadIndexType(std::string_view name);
// Lower-case canonical names: "cosine", "euclid", "dot", "manhattan"; "hnsw", "flat"; "none", "sq8".
const char* DistanceName(Distance d);
const char* IndexKindName(IndexKind k);
const char* QuantizationName(Quantization q);
// "keyword", "integer", "float", "bool", "datetime"; "unknown" for a number that is none of them.
const char* PayloadIndexTypeName(PayloadIndexType type);
// True when a higher score is better (Cosine, Dot): Qdrant's convention.
inline bool HigherIsBetter(Distance d) { return d == Distance::kCosine || d == Distance::kDot; }

struct CollectionConfig {
  std::string name;
  uint32_t dimension = 0;
  Distance distance = Distance::kCosine;
  IndexKind index = IndexKind::kHnsw;
  uint32_t m = kDefaultM;
  uint32_t ef_construct = kDefaultEfConstruct;
  uint32_t ef = kDefaultEf;  // default ef for searches that do not give one
  Quantization quantization = Quantization::kNone;
};

// Checks a collection name: 1 to 255 bytes of letters, digits, '_', '-', '.'.
Status ValidateCollectionName(std::string_view name);
// Checks every field of a configuration against the limits above.
Status ValidateCollectionConfig(const CollectionConfig& config);

// How serious a message the engine logs is (see EngineOptions::info_log).
enum class InfoLogLevel { kInfo, kWarning, kError };
// Receives the engine's messages about work no caller waits for: background syncs, index snapshots, graph
// insertions (LevelDB's Options::info_log). Called from the engine's threads, possibly several at once: it
// must be thread-safe and quick, and must not call into the engine.
using InfoLogger = std::function<void(InfoLogLevel level, const std::string& message)>;

struct EngineOptions {
  std::string data_dir;                       // created if missing; holds LMDB files and index snapshots
  size_t map_size = size_t{1} << 38;          // LMDB map size (address space reserved, not disk): 256 GiB
  unsigned index_threads = 2;                 // background HNSW insertion threads
  bool background_indexing = true;            // false: writes index synchronously (tests that need determinism)
  unsigned snapshot_interval_seconds = 60;    // save index snapshots of changed collections this often
  unsigned sync_interval_ms = 1000;           // a fast write is made durable within this time
  // Filtered search: when the vectors of the estimated matching points take at most this many bytes (as
  // floats), score them all exactly instead of walking the graph (Qdrant's full_scan_threshold).
  size_t full_scan_threshold_bytes = size_t{10} << 20;
  // Postgres mode: the vectors and payloads a transaction's overlay keeps in memory, at most; the rest goes to
  // a spill file under data_dir/txn-spill/ until the transaction ends (txn_overlay.h).
  size_t txn_spill_bytes = size_t{64} << 20;
  InfoLogger info_log;                        // none by default: the messages are dropped
};

// Passes a message to options.info_log, when one is set.
void InfoLog(const EngineOptions& options, InfoLogLevel level, const std::string& message);

}  // namespace govector
