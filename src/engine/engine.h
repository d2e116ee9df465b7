// Engine: govector's public C++ API, on the types of api.h. Open one per data directory; every call is
// thread-safe, returns a Status or Result and never throws. The implementation (engine_impl.h, collection.h)
// is private to the engine's own modules.
//
// Collections live in namespaces (the Postgres database OID; 0 for the standalone server): the same name in
// two namespaces is two collections, and no call on one namespace sees another's.
//
// Writes take a Durability: kApplied returns once the write is committed to LMDB and visible to every reader
// (it survives a kill of the process; a background sync makes it durable within sync_interval_ms), kDurable
// returns only after it is flushed to disk. Sync() makes every earlier write durable.
//
// Background work (syncs, index snapshots, graph insertions) reports through EngineOptions::info_log; a failure
// it cannot retry away is also kept as the background error (BackgroundError()).
// Postgres mode (ARCHITECTURE.md decision 8) adds what TxnSession (txn_session.h) builds transactions from:
// versions reserved for tentative writes, the replay of committed writes with their reserved version and
// WAL position (an ApplyStamp, stored in the write's own LMDB transaction), and the apply state (apply.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/api.h"
#include "engine/config.h"
#include "engine/filter.h"
#include "engine/status.h"

namespace govector {

class EngineImpl;

class Engine {
 public:
  static Result<std::unique_ptr<Engine>> Open(const EngineOptions& options);
  // Stops background work, saves index snapshots and syncs storage.
  virtual ~Engine() = default;
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Collections.
  virtual Status CreateCollection(uint32_t ns, const CollectionConfig& config) = 0;
  // False when there was no such collection.
  virtual Result<bool> DropCollection(uint32_t ns, std::string_view name) = 0;
  virtual bool Exists(uint32_t ns, std::string_view name) = 0;
  // The configuration the collection was created with (cheap: no statistics are gathered).
  virtual Result<CollectionConfig> GetConfig(uint32_t ns, std::string_view name) = 0;
  // The namespaces that have at least one collection, ascending.
  virtual std::vector<uint32_t> Namespaces() = 0;
  // Drops every collection of the namespace and syncs storage before returning (also after a failure part
  // way, so the collections dropped so far stay dropped); how many were dropped (0 for an unknown namespace).
  virtual Result<size_t> DropNamespace(uint32_t ns) = 0;
  // Sorted by name.
  virtual std::vector<CollectionInfo> ListCollections(uint32_t ns) = 0;
  virtual Result<CollectionInfo> GetCollectionInfo(uint32_t ns, std::string_view name) = 0;
  // An index that exists already with this type is no change.
  virtual Status CreatePayloadIndex(uint32_t ns, std::string_view name, const std::string& field,
                                    PayloadIndexType type) = 0;

  // Points.
  virtual Result<WriteResult> Upsert(uint32_t ns, std::string_view name, std::vector<PointInput> points,
                                     Durability d) = 0;
  // The existing ones of ids, each once, in the order asked.
  virtual Result<std::vector<Record>> Get(uint32_t ns, std::string_view name, const std::vector<PointId>& ids,
                                          bool with_payload, bool with_vector) = 0;
  virtual Result<WriteResult> Delete(uint32_t ns, std::string_view name, const PointSelector& selector,
                                     Durability d) = 0;
  virtual Result<uint64_t> Count(uint32_t ns, std::string_view name, const Filter* filter) = 0;
  virtual Result<ScrollPage> Scroll(uint32_t ns, std::string_view name, const ScrollParams& params) = 0;
  virtual Result<WriteResult> SetPayload(uint32_t ns, std::string_view name, const PointSelector& selector,
                                         const Json& payload, bool overwrite, Durability d) = 0;
  virtual Result<WriteResult> DeletePayloadKeys(uint32_t ns, std::string_view name, const PointSelector& selector,
                                                const std::vector<std::string>& keys, Durability d) = 0;
  virtual Result<WriteResult> ClearPayload(uint32_t ns, std::string_view name, const PointSelector& selector,
                                           Durability d) = 0;
  // Best first; plan (when given) says how the search was carried out.
  virtual Result<std::vector<ScoredPoint>> Search(uint32_t ns, std::string_view name, const SearchParams& params,
                                                  SearchPlan* plan = nullptr) = 0;

  // Makes every write so far durable.
  virtual Status Sync() = 0;
  // Waits until the collection's pending vectors are all in its graph. False on timeout.
  virtual Result<bool> WaitIndexed(uint32_t ns, std::string_view name, int timeout_ms) = 0;
  // Saves the index snapshots of every changed collection now.
  virtual Status SaveSnapshots() = 0;
  virtual EngineStats Stats() = 0;
  // The first failure of background work since Open (as LevelDB's bg_error_): a periodic sync that failed, or
  // points the indexer gave up inserting into the graph. OK when there was none. It stays set when a later
  // retry succeeds, so a passing failure is not missed; the message says what failed.
  virtual Status BackgroundError() = 0;

  // Postgres mode (apply.h). A version for a tentative write, never handed out before or again.
  virtual Result<uint64_t> ReserveVersion() = 0;
  // The apply state, first moving the stamped restart_lsn to advance_restart_lsn (see ApplyLog::State).
  virtual Result<ApplyState> GetApplyState(uint64_t advance_restart_lsn) = 0;
  // Postgres base backups (backup.h): writes backup copy `name` of the committed state, or removes it.
  virtual Status WriteBackupCopy(const std::string& name) = 0;
  virtual Status DropBackupCopy(const std::string& name) = 0;

 private:
  // EngineImpl is the one implementation (so the engine's own modules may convert an Engine to it).
  friend class EngineImpl;
  Engine() = default;
};

}  // namespace govector
