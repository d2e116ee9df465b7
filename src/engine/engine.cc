// EngineImpl: see engine.h (the API) and engine_impl.h.
#include "engine/engine_impl.h"

#include "engine/backup.h"
#include "engine/version.h"

#include <malloc.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iterator>

namespace govector {

namespace {

constexpr char kUidKey[] = "uid";
// The format of the engine's files (LMDB keys and values, index snapshots). Absent: written before formats
// were numbered, which is format 1. An engine opens its own format and older ones (upgrading them, then
// stamping its own), and refuses newer ones.
constexpr char kFormatKey[] = "format";

uint64_t NowMicros() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

// The catalog entry a new collection of this configuration gets (its uid not yet set).
pb::CollectionMeta NewMeta(uint32_t ns, const CollectionConfig& config) {
  pb::CollectionMeta meta;
  meta.set_namespace_id(ns);
  meta.set_name(config.name);
  meta.set_dimension(config.dimension);
  meta.set_distance(static_cast<pb::Distance>(config.distance));
  meta.set_index(static_cast<pb::IndexKind>(config.index));
  meta.set_m(config.m);
  meta.set_ef_construct(config.ef_construct);
  meta.set_ef(config.ef);
  meta.set_quantization(static_cast<pb::Quantization>(config.quantization));
  meta.set_created_at_us(NowMicros());
  return meta;
}

}  // namespace

std::string EngineImpl::MetaKey(uint32_t ns, std::string_view name) {
  std::string k = "m";
  for (int i = 3; i >= 0; --i) k.push_back(static_cast<char>((ns >> (i * 8)) & 0xff));
  k.append(name);
  return k;
}

std::string EngineImpl::IndexDir(uint64_t uid) const { return options_.data_dir + "/index/c" + std::to_string(uid); }

Result<std::unique_ptr<Engine>> Engine::Open(const EngineOptions& options) {
  if (options.data_dir.empty()) return Status::InvalidArgument("data directory not set");
  std::unique_ptr<EngineImpl> e(new EngineImpl(options));
  GV_ASSIGN_OR_RETURN(e->storage_, Storage::Open(options.data_dir, options.map_size));
  mkdir((options.data_dir + "/index").c_str(), 0700);
  e->ClearTxnSpillDir();
  GV_RETURN_IF_ERROR(e->LoadCatalog());
  // What the apply stamp says now is then on disk (durable_restart_lsn).
  GV_RETURN_IF_ERROR(e->SyncStorage());
  e->indexer_ = std::thread([p = e.get()] { p->IndexerLoop(); });
  e->maintenance_ = std::thread([p = e.get()] { p->MaintenanceLoop(); });
  return std::unique_ptr<Engine>(std::move(e));
}

Status EngineImpl::LoadCatalog() {
  GV_ASSIGN_OR_RETURN(auto txn, storage_->BeginWrite());
  GV_ASSIGN_OR_RETURN(auto format, txn->Get(storage_->catalog(), kFormatKey));
  uint64_t found = format ? DecodeU64(*format) : 1;
  if (found > kDataFormat)
    return Status::Unsupported("the data directory " + options_.data_dir + " is in format " +
                               std::to_string(found) + ", written by a newer govector; this engine (" + kVersion +
                               ") reads formats up to " + std::to_string(kDataFormat) +
                               ": install that govector version (or newer) again");
  // Format 1 is the only one so far: nothing to upgrade, only the stamp to write.
  if (!format || found != kDataFormat) GV_RETURN_IF_ERROR(txn->Put(storage_->catalog(), kFormatKey, EncodeU64(kDataFormat)));
  GV_RETURN_IF_ERROR(versions_.Load(storage_.get(), txn.get()));
  GV_RETURN_IF_ERROR(apply_.Load(storage_.get(), txn.get()));
  GV_ASSIGN_OR_RETURN(auto uid, txn->Get(storage_->catalog(), kUidKey));
  if (uid) next_uid_ = DecodeU64(*uid);
  std::vector<pb::CollectionMeta> metas;
  Status bad;
  GV_RETURN_IF_ERROR(Storage::Scan(txn->raw(), storage_->catalog(), "m", [&](std::string_view k, std::string_view v) {
    if (k.empty() || k[0] != 'm') return false;
    pb::CollectionMeta m;
    if (!m.ParseFromArray(v.data(), static_cast<int>(v.size()))) {
      bad = Status::IOError("unreadable collection metadata");
      return false;
    }
    metas.push_back(std::move(m));
    return true;
  }));
  GV_RETURN_IF_ERROR(bad);
  std::vector<MDB_dbi> dbis;
  for (const auto& m : metas) {
    GV_ASSIGN_OR_RETURN(MDB_dbi dbi, txn->OpenDatabase("c" + std::to_string(m.uid())));
    dbis.push_back(dbi);
  }
  GV_RETURN_IF_ERROR(txn->Commit());
  for (size_t i = 0; i < metas.size(); ++i) {
    GV_ASSIGN_OR_RETURN(auto c, Collection::Open(storage_.get(), this, options_, metas[i], dbis[i],
                                                 IndexDir(metas[i].uid())));
    if (!options_.background_indexing)
      while (c->IndexSome(4096, options_.index_threads) > 0) {
      }
    collections_[{metas[i].namespace_id(), metas[i].name()}] = std::move(c);
  }
  NotifyIndexWork();
  return Status::OK();
}

void EngineImpl::ClearTxnSpillDir() {
  // A spill file lives as long as its transaction's overlay, which does not outlive the engine: any file
  // here is from an engine that stopped without removing it (a crash), or came with a copy of the directory.
  // A failure is only logged: a transaction that needs to spill then fails with the reason.
  namespace fs = std::filesystem;
  const fs::path dir = TxnSpillDir();
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    InfoLog(options_, InfoLogLevel::kWarning, "cannot create " + dir.string() + ": " + ec.message());
    return;
  }
  size_t removed = 0;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() != ".spill") continue;
    std::error_code rm;
    if (fs::remove(it->path(), rm))
      ++removed;
    else if (rm)
      InfoLog(options_, InfoLogLevel::kWarning, "cannot remove " + it->path().string() + ": " + rm.message());
  }
  if (ec) InfoLog(options_, InfoLogLevel::kWarning, "cannot list " + dir.string() + ": " + ec.message());
  if (removed > 0)
    InfoLog(options_, InfoLogLevel::kInfo,
            "removed " + std::to_string(removed) + " transaction spill file(s) left in " + dir.string());
}

EngineImpl::~EngineImpl() {
  {
    std::lock_guard<std::mutex> l(bg_mu_);
    stopping_ = true;
  }
  bg_cv_.notify_all();
  if (indexer_.joinable()) indexer_.join();
  if (maintenance_.joinable()) maintenance_.join();
  // A destructor has no caller to tell: SaveSnapshots logs each failed snapshot itself (the next open loads the
  // previous snapshot and indexes what it lacks), and a failed final sync is logged here.
  (void)SaveSnapshots();
  if (storage_) {
    Status synced = storage_->Sync();
    if (!synced.ok())
      InfoLog(options_, InfoLogLevel::kError, "the final sync at shutdown failed: " + synced.ToString());
  }
}

// ---------------------------------------------------------------------------------------------------------
// CatalogWriter

Result<uint64_t> EngineImpl::NextVersion(WriteTxn* txn, const ApplyStamp* stamp) {
  dirty_ = true;
  if (!stamp) return versions_.Next(txn);
  GV_RETURN_IF_ERROR(Stamp(txn, stamp));
  return stamp->version;
}

Status EngineImpl::Stamp(WriteTxn* txn, const ApplyStamp* stamp) {
  if (!stamp) return Status::OK();
  dirty_ = true;
  if (stamp->version) GV_RETURN_IF_ERROR(versions_.Adopt(txn, stamp->version));
  return apply_.Put(txn, stamp->at);
}

Status EngineImpl::PutMeta(WriteTxn* txn, const pb::CollectionMeta& meta) {
  std::string bytes;
  meta.SerializeToString(&bytes);
  return txn->Put(storage_->catalog(), MetaKey(meta.namespace_id(), meta.name()), bytes);
}

void EngineImpl::NotifyIndexWork() {
  {
    std::lock_guard<std::mutex> l(bg_mu_);
    index_work_ = true;
  }
  bg_cv_.notify_all();
}

void EngineImpl::RecordBackgroundError(const Status& error) {
  InfoLog(options_, InfoLogLevel::kError, error.ToString());
  std::lock_guard<std::mutex> l(bg_mu_);
  if (bg_error_.ok()) bg_error_ = error;
}

Status EngineImpl::BackgroundError() {
  std::lock_guard<std::mutex> l(bg_mu_);
  return bg_error_;
}

// ---------------------------------------------------------------------------------------------------------
// Background work

void EngineImpl::IndexerLoop() {
  // Background indexing yields the CPU to searches and to applying writes (a large load's apply otherwise
  // shares the cores with the insertions it feeds, and COMMIT waits for the apply). On Linux a thread's nice
  // value is its own, and the insertion threads this one starts inherit it. Best effort: a failure leaves
  // the default priority.
  (void)setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), kIndexerNice);
  while (true) {
    {
      std::unique_lock<std::mutex> l(bg_mu_);
      bg_cv_.wait(l, [&] { return stopping_ || index_work_; });
      if (stopping_) return;
      index_work_ = false;
    }
    if (!options_.background_indexing) continue;
    // Work through every collection until none has anything left, a chunk at a time so searches and
    // writers get the locks between chunks.
    bool any = true;
    while (any) {
      any = false;
      for (auto& c : AllCollections()) {
        {
          std::lock_guard<std::mutex> l(bg_mu_);
          if (stopping_) return;
        }
        if (c->IndexSome(options_.index_threads > 1 ? 512 : 128, options_.index_threads) > 0) any = true;
      }
    }
  }
}

void EngineImpl::MaintenanceLoop() {
  auto last_snapshot = std::chrono::steady_clock::now();
  auto last_trim = last_snapshot;
  bool sync_failing = false;
  while (true) {
    {
      std::unique_lock<std::mutex> l(bg_mu_);
      bg_cv_.wait_for(l, std::chrono::milliseconds(std::max(10u, options_.sync_interval_ms)),
                      [&] { return stopping_; });
      if (stopping_) return;
    }
    if (dirty_) {
      // A failed sync leaves dirty_ set (see Sync), so the next round tries again. The first failure of a run
      // is recorded and logged, and the log says when a sync works again.
      Status synced = Sync();
      if (!synced.ok() && !sync_failing)
        RecordBackgroundError(Status(synced.code(), "background sync failed (tried again every " +
                                                        std::to_string(options_.sync_interval_ms) +
                                                        " ms): " + synced.message()));
      if (synced.ok() && sync_failing) InfoLog(options_, InfoLogLevel::kInfo, "background sync works again");
      sync_failing = !synced.ok();
    }
    if (std::chrono::steady_clock::now() - last_snapshot >= std::chrono::seconds(options_.snapshot_interval_seconds)) {
      // SaveSnapshots logs each failure; a collection whose snapshot failed is tried again next interval.
      (void)SaveSnapshots();
      last_snapshot = std::chrono::steady_clock::now();
    }
    // Memory a large answer or a finished transaction freed goes back to the system: glibc keeps freed
    // memory in its per-thread arenas otherwise (a burst of big HTTP batches left the engine 4 GB larger).
    if (std::chrono::steady_clock::now() - last_trim >= std::chrono::seconds(10)) {
      malloc_trim(0);
      last_trim = std::chrono::steady_clock::now();
    }
  }
}

Status EngineImpl::SaveSnapshots() {
  std::vector<std::pair<CollectionMap::key_type, std::shared_ptr<Collection>>> all;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (auto& [k, c] : collections_) all.emplace_back(k, c);
  }
  Status first;
  for (auto& [key, c] : all) {
    Status s = c->SaveSnapshot();
    if (s.ok()) continue;
    InfoLog(options_, InfoLogLevel::kWarning,
            "index snapshot of collection `" + key.second + "` (namespace " + std::to_string(key.first) +
                ") failed; the previous snapshot stays current: " + s.ToString());
    if (first.ok()) first = s;
  }
  return first;
}

Status EngineImpl::Sync() {
  dirty_ = false;
  Status s = SyncStorage();
  if (!s.ok()) dirty_ = true;  // not durable yet: the background sync tries again
  return s;
}

Status EngineImpl::SyncStorage() {
  auto before = apply_.BeforeSync();
  GV_RETURN_IF_ERROR(storage_->Sync());
  if (before.ok()) apply_.AfterSync(*before);
  return Status::OK();
}

Result<WriteResult> EngineImpl::Finish(Result<WriteResult> r, Durability d) {
  if (r.ok() && d == Durability::kDurable) GV_RETURN_IF_ERROR(Sync());
  return r;
}

// ---------------------------------------------------------------------------------------------------------
// Collections

Result<std::shared_ptr<Collection>> EngineImpl::Find(uint32_t ns, std::string_view name) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = collections_.find({ns, std::string(name)});
  if (it == collections_.end()) return Status::CollectionNotFound(name);
  return it->second;
}

std::vector<std::shared_ptr<Collection>> EngineImpl::AllCollections() {
  std::vector<std::shared_ptr<Collection>> all;
  std::lock_guard<std::mutex> l(mu_);
  for (auto& [k, c] : collections_) all.push_back(c);
  return all;
}

bool EngineImpl::Exists(uint32_t ns, std::string_view name) {
  std::lock_guard<std::mutex> l(mu_);
  return collections_.count({ns, std::string(name)}) > 0;
}

Result<CollectionConfig> EngineImpl::GetConfig(uint32_t ns, std::string_view name) {
  GV_ASSIGN_OR_RETURN(auto c, Find(ns, name));
  return c->config();
}

Status EngineImpl::CreateCollection(uint32_t ns, const CollectionConfig& config, const ApplyStamp* stamp) {
  GV_RETURN_IF_ERROR(ValidateCollectionConfig(config));
  std::lock_guard<std::mutex> l(mu_);
  if (collections_.count({ns, config.name})) return Status::CollectionExists(config.name);
  pb::CollectionMeta meta = NewMeta(ns, config);
  meta.set_uid(next_uid_);
  GV_ASSIGN_OR_RETURN(auto txn, storage_->BeginWrite());
  GV_RETURN_IF_ERROR(txn->Put(storage_->catalog(), kUidKey, EncodeU64(next_uid_ + 1)));
  GV_ASSIGN_OR_RETURN(MDB_dbi dbi, txn->OpenDatabase("c" + std::to_string(meta.uid())));
  GV_RETURN_IF_ERROR(PutMeta(txn.get(), meta));
  GV_RETURN_IF_ERROR(Stamp(txn.get(), stamp));
  GV_RETURN_IF_ERROR(txn->Commit());
  ++next_uid_;
  dirty_ = true;
  GV_ASSIGN_OR_RETURN(auto c, Collection::Open(storage_.get(), this, options_, meta, dbi, IndexDir(meta.uid())));
  collections_[{ns, config.name}] = std::move(c);
  return Status::OK();
}

Status EngineImpl::DropLocked(CollectionMap::iterator it, const ApplyStamp* stamp) {
  std::shared_ptr<Collection> c = it->second;
  std::string key = MetaKey(it->first.first, it->first.second);
  GV_RETURN_IF_ERROR(c->Drop([&](WriteTxn* txn) {
    GV_RETURN_IF_ERROR(txn->Delete(storage_->catalog(), key).status());
    return Stamp(txn, stamp);
  }));
  collections_.erase(it);
  dirty_ = true;
  c->RemoveFiles();
  return Status::OK();
}

Result<bool> EngineImpl::DropCollection(uint32_t ns, std::string_view name, const ApplyStamp* stamp) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = collections_.find({ns, std::string(name)});
  if (it == collections_.end()) return false;
  GV_RETURN_IF_ERROR(DropLocked(it, stamp));
  return true;
}

std::vector<uint32_t> EngineImpl::Namespaces() {
  std::vector<uint32_t> out;
  std::lock_guard<std::mutex> l(mu_);
  // The map is ordered by namespace first: each namespace's collections are adjacent.
  for (const auto& [key, c] : collections_)
    if (out.empty() || out.back() != key.first) out.push_back(key.first);
  return out;
}

Result<size_t> EngineImpl::DropNamespace(uint32_t ns) {
  size_t dropped = 0;
  Status s;
  {
    std::lock_guard<std::mutex> l(mu_);
    auto it = collections_.lower_bound({ns, std::string()});
    while (it != collections_.end() && it->first.first == ns) {
      auto next = std::next(it);
      s = DropLocked(it, nullptr);
      if (!s.ok()) break;
      ++dropped;
      it = next;
    }
  }
  if (dropped > 0) {
    Status synced = Sync();
    if (s.ok()) s = synced;
  }
  if (!s.ok()) return s;
  return dropped;
}

std::vector<CollectionInfo> EngineImpl::ListCollections(uint32_t ns) {
  std::vector<std::shared_ptr<Collection>> found;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (auto it = collections_.lower_bound({ns, std::string()}); it != collections_.end() && it->first.first == ns;
         ++it)
      found.push_back(it->second);
  }
  std::vector<CollectionInfo> out;
  for (auto& c : found) out.push_back(c->Info());
  return out;
}

Result<CollectionInfo> EngineImpl::GetCollectionInfo(uint32_t ns, std::string_view name) {
  GV_ASSIGN_OR_RETURN(auto c, Find(ns, name));
  CollectionInfo info = c->Info();
  c->AddDiskUsage(&info);
  return info;
}

Status EngineImpl::CreatePayloadIndex(uint32_t ns, std::string_view name, const std::string& field,
                                      PayloadIndexType type) {
  GV_ASSIGN_OR_RETURN(auto c, Find(ns, name));
  GV_RETURN_IF_ERROR(c->CreatePayloadIndex(field, type));
  return Sync();
}

// ---------------------------------------------------------------------------------------------------------
// Points

Result<WriteResult> EngineImpl::Upsert(uint32_t ns, std::string_view name, std::vector<PointInput> points,
                                       Durability d) {
  GV_ASSIGN_OR_RETURN(auto c, Find(ns, name));
  return Finish(c->Upsert(std::move(points)), d);
}

Result<std::vector<Record>> EngineImpl::Get(uint32_t ns, std::string_view name, const std::vector<PointId>& ids,
                                            bool with_payload, bool with_vector) {
  GV_ASSIGN_OR_RETURN(auto c, Find(ns, name));
  return c->Get(ids, with_payload, with_vector);
}

Result<WriteResult> EngineImpl::Delete(uint32_t ns, std::string_view name, const PointSelector& selector,
                                       Durability d) {
  GV_ASSIGN_OR_RETURN(auto c, Find(ns, name));
  return Finish(c->Delete(selector), d);
}

Result<uint64_t> EngineImpl::Count(uint32_t ns, std::string_view name, const Filter* filter) {
  GV_ASSIGN_OR_RETURN(auto c, Find(ns, name));
  return c->Count(filter);
}

Result<ScrollPage> EngineImpl::Scroll(uint32_t ns, std::string_view name, const ScrollParams& params) {
  GV_ASSIGN_OR_RETURN(auto c, Find(ns, name));
  return c->Scroll(params);
}

Result<WriteResult> EngineImpl::SetPayload(uint32_t ns, std::string_view name, const PointSelector& selector,
                                           const Json& payload, bool overwrite, Durability d) {
  GV_ASSIGN_OR_RETURN(auto c, Find(ns, name));
  return Finish(c->UpdatePayload(selector, overwrite ? PayloadMode::kOverwrite : PayloadMode::kMerge, payload, {}), d);
}

Result<WriteResult> EngineImpl::DeletePayloadKeys(uint32_t ns, std::string_view name, const PointSelector& selector,
                                                  const std::vector<std::string>& keys, Durability d) {
  GV_ASSIGN_OR_RETURN(auto c, Find(ns, name));
  return Finish(c->UpdatePayload(selector, PayloadMode::kDeleteKeys, Json(), keys), d);
}

Result<WriteResult> EngineImpl::ClearPayload(uint32_t ns, std::string_view name, const PointSelector& selector,
                                             Durability d) {
  GV_ASSIGN_OR_RETURN(auto c, Find(ns, name));
  return Finish(c->UpdatePayload(selector, PayloadMode::kClear, Json(), {}), d);
}

Result<std::vector<ScoredPoint>> EngineImpl::Search(uint32_t ns, std::string_view name, const SearchParams& params,
                                                    SearchPlan* plan) {
  GV_ASSIGN_OR_RETURN(auto c, Find(ns, name));
  return c->Search(params, plan);
}

Result<bool> EngineImpl::WaitIndexed(uint32_t ns, std::string_view name, int timeout_ms) {
  GV_ASSIGN_OR_RETURN(auto c, Find(ns, name));
  return c->WaitIndexed(timeout_ms);
}

EngineStats EngineImpl::Stats() {
  EngineStats st;
  std::vector<std::shared_ptr<Collection>> all = AllCollections();
  st.collections = all.size();
  for (auto& c : all) {
    CollectionInfo info = c->Info();
    st.points += info.points;
    st.index_memory_bytes += info.index_memory_bytes;
    st.pending_memory_bytes += info.pending_memory_bytes;
  }
  st.storage_bytes = storage_->UsedBytes();
  st.last_version = versions_.last();
  st.background_error = BackgroundError();
  auto total = [](const std::atomic<int64_t>& n) { return static_cast<uint64_t>(std::max<int64_t>(0, n.load())); };
  st.open_transactions = total(txn_totals_.open);
  st.txn_memory_bytes = total(txn_totals_.memory_bytes);
  st.txn_spilled_bytes = total(txn_totals_.spilled_bytes);
  return st;
}

// ---------------------------------------------------------------------------------------------------------
// Postgres mode

Result<uint64_t> EngineImpl::ReserveVersion() { return versions_.Reserve(); }

Result<bool> EngineImpl::ApplyCovers(const ApplyPosition& at) { return apply_.Covers(at); }

Status EngineImpl::StampApply(const ApplyPosition& at) {
  dirty_ = true;
  return apply_.PutAlone(at);
}

Status EngineImpl::WriteBackupCopy(const std::string& name) {
  return govector::WriteBackupCopy(storage_->env(), options_.data_dir, name);
}

Status EngineImpl::DropBackupCopy(const std::string& name) { return govector::DropBackupCopy(options_.data_dir, name); }

Result<ApplyState> EngineImpl::GetApplyState(uint64_t advance_restart_lsn) {
  bool wrote = false;
  GV_ASSIGN_OR_RETURN(ApplyState state, apply_.State(advance_restart_lsn, &wrote));
  if (wrote) dirty_ = true;
  return state;
}

}  // namespace govector
