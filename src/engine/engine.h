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

  // Collections.
  Status CreateCollection(uint32_t ns, const CollectionConfig& config);
  // False when there was no such collection.
  Result<bool> DropCollection(uint32_t ns, std::string_view name);
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
  Status DropLocked(CollectionMap::iterator it);

  // CatalogWriter
  Result<uint64_t> NextVersion(WriteTxn* txn) override;
  Status PutMeta(WriteTxn* txn, const pb::CollectionMeta& meta) override;
  void NotifyIndexWork() override;
  void RecordBackgroundError(const Status& error) override;

  EngineOptions options_;
  std::unique_ptr<Storage> storage_;

  std::mutex mu_;  // guards collections_ and uid allocation
  CollectionMap collections_;
  uint64_t next_uid_ = 1;
  std::atomic<uint64_t> last_version_{0};
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
