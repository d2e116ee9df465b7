// EngineOps: the engine operations a client request runs, as the RPC layer calls them. This base runs each on
// the engine's committed state, exactly as Engine does; TxnSession (txn_session.h) overrides them to run
// inside a Postgres transaction (its overlay) or as the WAL apply worker's replay. The base holds no state
// of its own and is as thread-safe as Engine; a TxnSession belongs to one connection.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/engine.h"

namespace govector {

class EngineOps {
 public:
  explicit EngineOps(Engine* engine) : engine_(engine) {}
  virtual ~EngineOps() = default;
  EngineOps(const EngineOps&) = delete;
  EngineOps& operator=(const EngineOps&) = delete;

  Engine* engine() const { return engine_; }

  virtual Status CreateCollection(uint32_t ns, const CollectionConfig& config) {
    return engine_->CreateCollection(ns, config);
  }
  virtual Result<bool> DropCollection(uint32_t ns, std::string_view name) { return engine_->DropCollection(ns, name); }
  virtual std::vector<uint32_t> Namespaces() { return engine_->Namespaces(); }
  virtual Result<size_t> DropNamespace(uint32_t ns) { return engine_->DropNamespace(ns); }
  virtual std::vector<CollectionInfo> ListCollections(uint32_t ns) { return engine_->ListCollections(ns); }
  virtual Result<CollectionInfo> GetCollectionInfo(uint32_t ns, std::string_view name) {
    return engine_->GetCollectionInfo(ns, name);
  }
  virtual Status CreatePayloadIndex(uint32_t ns, std::string_view name, const std::string& field,
                                    PayloadIndexType type) {
    return engine_->CreatePayloadIndex(ns, name, field, type);
  }
  virtual Result<WriteResult> Upsert(uint32_t ns, std::string_view name, std::vector<PointInput> points,
                                     Durability d) {
    return engine_->Upsert(ns, name, std::move(points), d);
  }
  virtual Result<std::vector<Record>> Get(uint32_t ns, std::string_view name, const std::vector<PointId>& ids,
                                          bool with_payload, bool with_vector) {
    return engine_->Get(ns, name, ids, with_payload, with_vector);
  }
  virtual Result<WriteResult> Delete(uint32_t ns, std::string_view name, const PointSelector& selector,
                                     Durability d) {
    return engine_->Delete(ns, name, selector, d);
  }
  virtual Result<uint64_t> Count(uint32_t ns, std::string_view name, const Filter* filter) {
    return engine_->Count(ns, name, filter);
  }
  virtual Result<ScrollPage> Scroll(uint32_t ns, std::string_view name, const ScrollParams& params) {
    return engine_->Scroll(ns, name, params);
  }
  virtual Result<WriteResult> SetPayload(uint32_t ns, std::string_view name, const PointSelector& selector,
                                         const Json& payload, bool overwrite, Durability d) {
    return engine_->SetPayload(ns, name, selector, payload, overwrite, d);
  }
  virtual Result<WriteResult> DeletePayloadKeys(uint32_t ns, std::string_view name, const PointSelector& selector,
                                                const std::vector<std::string>& keys, Durability d) {
    return engine_->DeletePayloadKeys(ns, name, selector, keys, d);
  }
  virtual Result<WriteResult> ClearPayload(uint32_t ns, std::string_view name, const PointSelector& selector,
                                           Durability d) {
    return engine_->ClearPayload(ns, name, selector, d);
  }
  virtual Result<std::vector<ScoredPoint>> Search(uint32_t ns, std::string_view name, const SearchParams& params) {
    return engine_->Search(ns, name, params);
  }
  virtual Status Sync() { return engine_->Sync(); }
  virtual Status WriteBackupCopy(const std::string& name) { return engine_->WriteBackupCopy(name); }
  virtual Status DropBackupCopy(const std::string& name) { return engine_->DropBackupCopy(name); }
  virtual Result<ApplyState> GetApplyState(uint64_t advance_restart_lsn) {
    return engine_->GetApplyState(advance_restart_lsn);
  }

 protected:
  Engine* engine_;
};

}  // namespace govector
