// Engine: govector's public C++ API. Open one per data directory; every call is thread-safe, returns a Status
// or Result and never throws.
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

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "engine/apply.h"
#include "engine/collection.h"
#include "engine/config.h"
#include "engine/filter.h"
#include "engine/status.h"
#include "engine/storage.h"

namespace govector {

enum class Durability { kApplied, kDurable };

struct EngineStats {
  uint64_t collections = 0;
  uint64_t points = 0;
  uint64_t index_memory_bytes = 0;
  uint64_t pending_memory_bytes = 0;
  uint64_t storage_bytes = 0;
  uint64_t last_version = 0;
  Status background_error;  // BackgroundError() when the stats were taken
};

class Engine : private CatalogWriter {
 public:
  static Result<std::unique_ptr<Engine>> Open(const EngineOptions& options);
  // Stops background work, saves index snapshots and syncs storage.
  ~Engine() override;

  // Collections. With a stamp (apply mode), the stamp is stored in the LMDB transaction that creates or
  // drops the collection.
  Status CreateCollection(uint32_t ns, const CollectionConfig& config, const ApplyStamp* stamp = nullptr);
  // False when there was no such collection (and then nothing is stamped).
  Result<bool> DropCollection(uint32_t ns, std::string_view name, const ApplyStamp* stamp = nullptr);
  // The metadata a new collection of this configuration gets (its uid not yet set).
  static pb::CollectionMeta NewMeta(uint32_t ns, const CollectionConfig& config);
  // The namespaces that have at least one collection, ascending.
  std::vector<uint32_t> Namespaces();
  // Drops every collection of the namespace and syncs storage before returning (also after a failure part
  // way, so the collections dropped so far stay dropped); how many were dropped (0 for an unknown namespace).
  Result<size_t> DropNamespace(uint32_t ns);
  // Sorted by name.
  std::vector<CollectionInfo> ListCollections(uint32_t ns);
  Result<CollectionInfo> GetCollectionInfo(uint32_t ns, std::string_view name);
  Status CreatePayloadIndex(uint32_t ns, std::string_view name, const std::string& field, PayloadIndexType type);

  // Points.
  Result<WriteResult> Upsert(uint32_t ns, std::string_view name, std::vector<PointInput> points, Durability d);
  Result<std::vector<Record>> Get(uint32_t ns, std::string_view name, const std::vector<PointId>& ids,
                                  bool with_payload, bool with_vector);
  Result<WriteResult> Delete(uint32_t ns, std::string_view name, const PointSelector& selector, Durability d);
  Result<uint64_t> Count(uint32_t ns, std::string_view name, const Filter* filter);
  Result<ScrollPage> Scroll(uint32_t ns, std::string_view name, const ScrollParams& params);
  Result<WriteResult> SetPayload(uint32_t ns, std::string_view name, const PointSelector& selector,
                                 const Json& payload, bool overwrite, Durability d);
  Result<WriteResult> DeletePayloadKeys(uint32_t ns, std::string_view name, const PointSelector& selector,
                                        const std::vector<std::string>& keys, Durability d);
  Result<WriteResult> ClearPayload(uint32_t ns, std::string_view name, const PointSelector& selector, Durability d);
  Result<std::vector<ScoredPoint>> Search(uint32_t ns, std::string_view name, const SearchParams& params,
                                          SearchPlan* plan = nullptr);

  // Makes every write so far durable.
  Status Sync();
  // Waits until the collection's pending vectors are all in its graph. False on timeout.
  Result<bool> WaitIndexed(uint32_t ns, std::string_view name, int timeout_ms);
  // Saves the index snapshots of every changed collection now.
  Status SaveSnapshots();
  EngineStats Stats();
  // The first failure of background work since Open (as LevelDB's bg_error_): a periodic sync that failed, or
  // points the indexer gave up inserting into the graph. OK when there was none. It stays set when a later
  // retry succeeds, so a passing failure is not missed; the message says what failed.
  Status BackgroundError();
  const EngineOptions& options() const { return options_; }

  Result<std::shared_ptr<Collection>> Find(uint32_t ns, std::string_view name);

  // Postgres mode (apply.h). A version for a tentative write, never handed out before or again.
  Result<uint64_t> ReserveVersion();
  // Serialises the apply worker's writes: held from ApplyCovers to the write's stamp.
  std::mutex& apply_mu() { return apply_.mu(); }
  // True when the stamp covers `at` (that write is applied). apply_mu() held.
  Result<bool> ApplyCovers(const ApplyPosition& at);
  // Stamps `at` in an LMDB transaction of its own (a write that changed nothing, or was skipped).
  // apply_mu() held.
  Status StampApply(const ApplyPosition& at);
  // The apply state, first moving the stamped restart_lsn to advance_restart_lsn (see ApplyLog::State).
  Result<ApplyState> GetApplyState(uint64_t advance_restart_lsn);

 private:
  explicit Engine(const EngineOptions& options) : options_(options) {}
  Status LoadCatalog();
  void IndexerLoop();
  void MaintenanceLoop();
  Result<WriteResult> Finish(Result<WriteResult> r, Durability d);
  std::string IndexDir(uint64_t uid) const;
  static std::string MetaKey(uint32_t ns, std::string_view name);
  using CollectionMap = std::map<std::pair<uint32_t, std::string>, std::shared_ptr<Collection>>;
  // Drops one collection (its data and catalog entry in one LMDB transaction, then its index files) and
  // erases it from collections_. Needs mu_; does not sync.
  Status DropLocked(CollectionMap::iterator it, const ApplyStamp* stamp);
  // Flushes storage, recording the apply stamp it made durable.
  Status SyncStorage();

  // CatalogWriter
  Result<uint64_t> NextVersion(WriteTxn* txn, const ApplyStamp* stamp) override;
  Status Stamp(WriteTxn* txn, const ApplyStamp* stamp) override;
  Status PutMeta(WriteTxn* txn, const pb::CollectionMeta& meta) override;
  void NotifyIndexWork() override;
  void RecordBackgroundError(const Status& error) override;

  EngineOptions options_;
  std::unique_ptr<Storage> storage_;

  std::mutex mu_;  // guards collections_ and uid allocation
  CollectionMap collections_;
  uint64_t next_uid_ = 1;
  VersionClock versions_;
  ApplyLog apply_;
  std::atomic<bool> dirty_{false};

  std::mutex bg_mu_;  // guards stopping_, index_work_ and bg_error_
  std::condition_variable bg_cv_;
  bool stopping_ = false;
  bool index_work_ = false;
  Status bg_error_;
  std::thread indexer_;
  std::thread maintenance_;
};

}  // namespace govector
