// EngineImpl: the implementation of Engine (engine.h), private to the engine's modules. It owns the storage,
// the catalog of collections and the background threads; TxnSession (txn_session.h) reaches the collections
// and the apply-mode calls through it.
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
#include "engine/engine.h"
#include "engine/storage.h"

namespace govector {

class EngineImpl final : public Engine, private CatalogWriter {
 public:
  // The implementation behind an Engine: every Engine is one (Engine's constructor is EngineImpl's alone).
  static EngineImpl* Of(Engine* engine) { return static_cast<EngineImpl*>(engine); }

  ~EngineImpl() override;

  // Engine
  Status CreateCollection(uint32_t ns, const CollectionConfig& config) override {
    return CreateCollection(ns, config, nullptr);
  }
  Result<bool> DropCollection(uint32_t ns, std::string_view name) override {
    return DropCollection(ns, name, nullptr);
  }
  bool Exists(uint32_t ns, std::string_view name) override;
  Result<CollectionConfig> GetConfig(uint32_t ns, std::string_view name) override;
  std::vector<uint32_t> Namespaces() override;
  Result<size_t> DropNamespace(uint32_t ns) override;
  std::vector<CollectionInfo> ListCollections(uint32_t ns) override;
  Result<CollectionInfo> GetCollectionInfo(uint32_t ns, std::string_view name) override;
  Status CreatePayloadIndex(uint32_t ns, std::string_view name, const std::string& field,
                            PayloadIndexType type) override;
  Result<WriteResult> Upsert(uint32_t ns, std::string_view name, std::vector<PointInput> points,
                             Durability d) override;
  Result<std::vector<Record>> Get(uint32_t ns, std::string_view name, const std::vector<PointId>& ids,
                                  bool with_payload, bool with_vector) override;
  Result<WriteResult> Delete(uint32_t ns, std::string_view name, const PointSelector& selector,
                             Durability d) override;
  Result<uint64_t> Count(uint32_t ns, std::string_view name, const Filter* filter) override;
  Result<ScrollPage> Scroll(uint32_t ns, std::string_view name, const ScrollParams& params) override;
  Result<WriteResult> SetPayload(uint32_t ns, std::string_view name, const PointSelector& selector,
                                 const Json& payload, bool overwrite, Durability d) override;
  Result<WriteResult> DeletePayloadKeys(uint32_t ns, std::string_view name, const PointSelector& selector,
                                        const std::vector<std::string>& keys, Durability d) override;
  Result<WriteResult> ClearPayload(uint32_t ns, std::string_view name, const PointSelector& selector,
                                   Durability d) override;
  Result<std::vector<ScoredPoint>> Search(uint32_t ns, std::string_view name, const SearchParams& params,
                                          SearchPlan* plan) override;
  Status Sync() override;
  Result<bool> WaitIndexed(uint32_t ns, std::string_view name, int timeout_ms) override;
  Status SaveSnapshots() override;
  EngineStats Stats() override;
  Status BackgroundError() override;
  Result<uint64_t> ReserveVersion() override;
  Result<ApplyState> GetApplyState(uint64_t advance_restart_lsn) override;
  Status WriteBackupCopy(const std::string& name) override;
  Status DropBackupCopy(const std::string& name) override;

  // For the engine's modules. The collection itself (NotFound as every call reports it).
  Result<std::shared_ptr<Collection>> Find(uint32_t ns, std::string_view name);
  // Collection DDL; with a stamp (apply mode), the stamp is stored in the LMDB transaction that creates or
  // drops the collection (and a drop of no collection stamps nothing).
  Status CreateCollection(uint32_t ns, const CollectionConfig& config, const ApplyStamp* stamp);
  Result<bool> DropCollection(uint32_t ns, std::string_view name, const ApplyStamp* stamp);
  // Serialises the apply worker's writes: held from ApplyCovers to the write's stamp.
  std::mutex& apply_mu() { return apply_.mu(); }
  // True when the stamp covers `at` (that write is applied). apply_mu() held.
  Result<bool> ApplyCovers(const ApplyPosition& at);
  // Stamps `at` in an LMDB transaction of its own (a write that changed nothing, or was skipped).
  // apply_mu() held.
  Status StampApply(const ApplyPosition& at);
  const EngineOptions& options() const { return options_; }

  // Transaction overlays (TxnSession). Their spill files' directory, emptied by Open.
  std::string TxnSpillDir() const { return options_.data_dir + "/txn-spill"; }
  // A number for a new session, never given out before by this engine (it names the session's spill file).
  uint64_t NewSessionId() { return next_session_id_.fetch_add(1) + 1; }
  // The totals of every session's overlay, as Stats reports them; each session adds its changes.
  struct TxnTotals {
    std::atomic<int64_t> open{0};
    std::atomic<int64_t> memory_bytes{0};
    std::atomic<int64_t> spilled_bytes{0};
  };
  TxnTotals& txn_totals() { return txn_totals_; }

 private:
  friend class Engine;  // Engine::Open
  explicit EngineImpl(const EngineOptions& options) : options_(options) {}
  Status LoadCatalog();
  // Creates TxnSpillDir, and removes the spill files a previous engine left there.
  void ClearTxnSpillDir();
  // The indexer threads' nice value (IndexerLoop).
  static constexpr int kIndexerNice = 10;
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
  // Every collection now (mu_ taken and released).
  std::vector<std::shared_ptr<Collection>> AllCollections();

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

  std::atomic<uint64_t> next_session_id_{0};
  TxnTotals txn_totals_;
};

}  // namespace govector
