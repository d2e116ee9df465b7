// TxnSession: see txn_session.h.
#include "engine/txn_session.h"

#include <map>
#include <unordered_map>

#include "engine/collection.h"
#include "engine/engine_impl.h"
#include "engine/payload_index.h"
#include "engine/point_checks.h"
#include "engine/txn_overlay.h"

namespace govector {

namespace {

// Failures that replaying the same write may not meet again: storage, memory, a shutdown. The apply worker
// retries those; every other failure (the request itself is refused) would repeat forever, so it is skipped.
bool Retryable(StatusCode code) {
  return code == StatusCode::kIOError || code == StatusCode::kResourceExhausted || code == StatusCode::kDiskFull ||
         code == StatusCode::kUnavailable || code == StatusCode::kCancelled;
}

// Where a session's overlay spills: a file of its own in the engine's spill directory.
TxnSpillOptions SpillOptionsFor(EngineImpl* impl) {
  TxnSpillOptions o;
  o.path = impl->TxnSpillDir() + "/" + std::to_string(impl->NewSessionId()) + ".spill";
  o.threshold_bytes = impl->options().txn_spill_bytes;
  o.info_log = impl->options().info_log;
  return o;
}

}  // namespace

TxnSession::TxnSession(Engine* engine)
    : EngineOps(engine),
      impl_(EngineImpl::Of(engine)),
      overlay_(std::make_unique<TxnOverlay>(SpillOptionsFor(impl_))) {}

TxnSession::~TxnSession() {
  overlay_->Clear();
  Report();
}

void TxnSession::Report() {
  EngineImpl::TxnTotals& totals = impl_->txn_totals();
  const int64_t open = overlay_->empty() ? 0 : 1;
  const auto memory = static_cast<int64_t>(overlay_->memory_bytes());
  const auto spilled = static_cast<int64_t>(overlay_->spilled_bytes());
  if (open != reported_open_) totals.open += open - reported_open_;
  if (memory != reported_memory_) totals.memory_bytes += memory - reported_memory_;
  if (spilled != reported_spilled_) totals.spilled_bytes += spilled - reported_spilled_;
  reported_open_ = open;
  reported_memory_ = memory;
  reported_spilled_ = spilled;
}

// ---------------------------------------------------------------------------------------------------------
// Requests

Status TxnSession::Begin(const RequestContext& context) {
  if (apply_lock_.owns_lock()) apply_lock_.unlock();  // a previous apply request that never reached End
  mode_ = Mode::kPlain;
  covered_ = skipped_ = false;
  reserved_ = 0;
  if (context.txn && context.apply)
    return Status::InvalidArgument("a request carries a transaction context or an apply context, not both");
  if (!context.txn || context.txn->token != token_) {
    overlay_->Clear();
    Report();
    token_ = 0;
  }
  if (context.apply) return BeginApply(context);
  if (!context.txn) return Status::OK();
  const TxnContext& txn = *context.txn;
  if (txn.token == 0) return Status::InvalidArgument("a transaction context needs a non-zero token");
  bool write = context.kind == RequestKind::kPointWrite || context.kind == RequestKind::kCollectionWrite;
  if (write && !txn.tentative)
    return Status::InvalidArgument("a write inside a transaction must be tentative (TxnContext.tentative)");
  token_ = txn.token;
  subxact_ = txn.subxact;
  for (uint32_t s : txn.aborted_subxacts) overlay_->RollbackTo(s);
  Report();
  mode_ = Mode::kTxn;
  return Status::OK();
}

Status TxnSession::BeginApply(const RequestContext& context) {
  const ApplyStamp& a = *context.apply;
  if (context.kind != RequestKind::kPointWrite && context.kind != RequestKind::kCollectionWrite)
    return Status::InvalidArgument("only writes carry an apply context");
  if (a.at.commit_lsn == 0) return Status::InvalidArgument("an apply context needs its commit_lsn");
  if (context.kind == RequestKind::kPointWrite && a.version == 0)
    return Status::InvalidArgument("an applied point write needs the version reserved for it");
  std::unique_lock<std::mutex> lock(impl_->apply_mu());
  GV_ASSIGN_OR_RETURN(covered_, impl_->ApplyCovers(a.at));
  apply_ = a;
  apply_lock_ = std::move(lock);
  mode_ = Mode::kApply;
  return Status::OK();
}

void TxnSession::set_defer_spill(bool defer) { overlay_->set_defer_spill(defer); }

Status TxnSession::AfterAnswer() {
  Status st = overlay_->SpillQueued();
  Report();
  return st;
}

Status TxnSession::End(const Status& result) {
  Report();
  if (mode_ != Mode::kApply) return Status::OK();
  std::unique_lock<std::mutex> lock = std::move(apply_lock_);  // released on return
  mode_ = Mode::kPlain;
  if (!result.ok() && Retryable(result.code())) return Status::OK();
  GV_ASSIGN_OR_RETURN(bool stamped, impl_->ApplyCovers(apply_.at));
  if (!stamped) GV_RETURN_IF_ERROR(impl_->StampApply(apply_.at));
  skipped_ = !result.ok();
  return Status::OK();
}

Result<OverlayView> TxnSession::View(uint32_t ns, std::string_view name) {
  const OverlayCollection* own = overlay_->Find(ns, name);
  if (own && own->created) return OverlayView(nullptr, overlay_.get(), own);
  if (own && own->dropped) return Status::CollectionNotFound(name);
  GV_ASSIGN_OR_RETURN(auto committed, impl_->Find(ns, name));
  return OverlayView(std::move(committed), overlay_.get(), own);
}

bool TxnSession::Exists(uint32_t ns, const std::string& name) {
  const OverlayCollection* own = overlay_->Find(ns, name);
  if (own && (own->created || own->dropped)) return own->created;
  return impl_->Find(ns, name).ok();
}

Result<uint64_t> TxnSession::Reserve() {
  GV_ASSIGN_OR_RETURN(reserved_, engine_->ReserveVersion());
  return reserved_;
}

Status TxnSession::Sync() {
  if (mode_ == Mode::kApply) return Status::OK();
  return EngineOps::Sync();
}

// ---------------------------------------------------------------------------------------------------------
// Collections

Status TxnSession::CreateCollection(uint32_t ns, const CollectionConfig& config) {
  if (mode_ == Mode::kPlain) return EngineOps::CreateCollection(ns, config);
  if (mode_ == Mode::kApply) return impl_->CreateCollection(ns, config, &apply_);
  GV_RETURN_IF_ERROR(ValidateCollectionConfig(config));
  if (Exists(ns, config.name)) return Status::CollectionExists(config.name);
  OverlayCollection c;
  c.created = true;
  c.config = config;
  overlay_->PutCollection({ns, config.name}, std::move(c), subxact_);
  return Status::OK();
}

Result<bool> TxnSession::DropCollection(uint32_t ns, std::string_view name) {
  if (mode_ == Mode::kPlain) return EngineOps::DropCollection(ns, name);
  if (mode_ == Mode::kApply) return impl_->DropCollection(ns, name, &apply_);
  if (!Exists(ns, std::string(name))) return false;
  OverlayCollection gone;
  gone.dropped = true;
  overlay_->PutCollection({ns, std::string(name)}, std::move(gone), subxact_);
  return true;
}

std::vector<CollectionInfo> TxnSession::ListCollections(uint32_t ns) {
  std::vector<CollectionInfo> committed = EngineOps::ListCollections(ns);
  if (mode_ != Mode::kTxn) return committed;
  std::map<std::string, CollectionInfo> by_name;
  for (auto& info : committed) by_name[info.config.name] = std::move(info);
  for (const auto& [key, own] : overlay_->collections()) {
    if (key.first != ns) continue;
    if (own.created || own.dropped) by_name.erase(key.second);
    if (own.dropped && !own.created) continue;
    if (!own.created && own.points.empty() && own.payload_indexes.empty()) continue;
    auto view = View(ns, key.second);
    if (!view.ok()) continue;  // dropped by another transaction since
    auto info = view->Info();
    if (info.ok()) by_name[key.second] = std::move(info).value();
  }
  std::vector<CollectionInfo> out;
  for (auto& [name, info] : by_name) out.push_back(std::move(info));
  return out;
}

Result<CollectionInfo> TxnSession::GetCollectionInfo(uint32_t ns, std::string_view name) {
  if (mode_ != Mode::kTxn) return EngineOps::GetCollectionInfo(ns, name);
  GV_ASSIGN_OR_RETURN(OverlayView view, View(ns, name));
  return view.Info();
}

Status TxnSession::CreatePayloadIndex(uint32_t ns, std::string_view name, const std::string& field,
                                      PayloadIndexType type) {
  if (mode_ == Mode::kPlain) return EngineOps::CreatePayloadIndex(ns, name, field, type);
  if (mode_ == Mode::kTxn) return TentativePayloadIndex(ns, name, field, type);
  GV_ASSIGN_OR_RETURN(auto c, impl_->Find(ns, name));
  return c->CreatePayloadIndex(field, type, &apply_);
}

Status TxnSession::TentativePayloadIndex(uint32_t ns, std::string_view name, const std::string& field,
                                         PayloadIndexType type) {
  GV_ASSIGN_OR_RETURN(OverlayView view, View(ns, name));
  // Collection::CreatePayloadIndex's rules: the same index again is no change; another type on the field,
  // a bad field path or type is refused by PayloadIndexSet::Add.
  PayloadIndexSet probe;
  for (const auto& pi : view.PayloadIndexes()) {
    if (pi.field == field && pi.type == type) return Status::OK();
    GV_RETURN_IF_ERROR(probe.Add(pi.field, pi.type));
  }
  GV_RETURN_IF_ERROR(probe.Add(field, type));
  overlay_->AddPayloadIndex({ns, std::string(name)}, PayloadIndexSpec{field, type}, subxact_);
  return Status::OK();
}

// ---------------------------------------------------------------------------------------------------------
// Point writes

Result<WriteResult> TxnSession::Upsert(uint32_t ns, std::string_view name, std::vector<PointInput> points,
                                       Durability d) {
  if (mode_ == Mode::kPlain) return EngineOps::Upsert(ns, name, std::move(points), d);
  if (mode_ == Mode::kTxn) return TentativeUpsert(ns, name, std::move(points));
  GV_ASSIGN_OR_RETURN(auto c, impl_->Find(ns, name));
  return c->Upsert(std::move(points), &apply_);
}

Result<WriteResult> TxnSession::TentativeUpsert(uint32_t ns, std::string_view name, std::vector<PointInput> points) {
  GV_ASSIGN_OR_RETURN(OverlayView view, View(ns, name));
  GV_RETURN_IF_ERROR(PrepareUpsert(&points, view.dimension(), view.distance()));
  // Vector-only updates keep the payload the transaction sees now ({} for a new point).
  std::vector<PointId> keep;
  for (const auto& p : points)
    if (p.keep_payload) keep.push_back(p.id);
  std::unordered_map<PointId, Json, PointIdHash> kept;
  if (!keep.empty()) {
    GV_ASSIGN_OR_RETURN(auto records, view.Get(keep, true, false));
    for (auto& r : records) kept[r.id] = std::move(*r.payload);
  }
  GV_ASSIGN_OR_RETURN(uint64_t version, Reserve());
  std::vector<std::pair<PointId, OverlayPoint>> writes;
  writes.reserve(points.size());
  for (auto& p : points) {
    OverlayPoint own;
    own.version = version;
    own.vector = std::move(p.vector);
    if (!p.keep_payload) {
      own.payload = std::move(p.payload);
    } else if (auto it = kept.find(p.id); it != kept.end()) {
      own.payload = std::move(it->second);
    } else {
      own.payload = Json::object();
    }
    own.subxact = subxact_;
    writes.emplace_back(p.id, std::move(own));
  }
  GV_RETURN_IF_ERROR(overlay_->PutPoints({ns, std::string(name)}, std::move(writes)));
  return WriteResult{version, points.size()};
}

Result<WriteResult> TxnSession::Delete(uint32_t ns, std::string_view name, const PointSelector& selector,
                                       Durability d) {
  if (mode_ == Mode::kPlain) return EngineOps::Delete(ns, name, selector, d);
  if (mode_ == Mode::kApply) {
    GV_ASSIGN_OR_RETURN(auto c, impl_->Find(ns, name));
    return c->Delete(selector, &apply_);
  }
  GV_ASSIGN_OR_RETURN(OverlayView view, View(ns, name));
  // Listed ids are deleted for the transaction whether it sees them or not (so is whatever another
  // transaction commits under them meanwhile, as the replay will do); a filter deletes what matches now.
  std::vector<PointId> ids;
  uint64_t count = 0;
  if (selector.filter) {
    GV_RETURN_IF_ERROR(view.ForEach(selector.filter.get(), false, [&](Record&& r) { ids.push_back(r.id); }));
    count = ids.size();
  } else {
    ids = selector.ids;
    GV_ASSIGN_OR_RETURN(auto seen, view.Get(ids, false, false));
    count = seen.size();
  }
  GV_ASSIGN_OR_RETURN(uint64_t version, Reserve());
  std::vector<std::pair<PointId, OverlayPoint>> writes;
  writes.reserve(ids.size());
  for (const PointId& id : ids) {
    OverlayPoint gone;
    gone.deleted = true;
    gone.version = version;
    gone.subxact = subxact_;
    writes.emplace_back(id, std::move(gone));
  }
  GV_RETURN_IF_ERROR(overlay_->PutPoints({ns, std::string(name)}, std::move(writes)));
  return WriteResult{version, count};
}

Result<WriteResult> TxnSession::SetPayload(uint32_t ns, std::string_view name, const PointSelector& selector,
                                           const Json& payload, bool overwrite, Durability d) {
  if (mode_ == Mode::kPlain) return EngineOps::SetPayload(ns, name, selector, payload, overwrite, d);
  return UpdatePayload(ns, name, selector, overwrite ? PayloadMode::kOverwrite : PayloadMode::kMerge, payload, {});
}

Result<WriteResult> TxnSession::DeletePayloadKeys(uint32_t ns, std::string_view name, const PointSelector& selector,
                                                  const std::vector<std::string>& keys, Durability d) {
  if (mode_ == Mode::kPlain) return EngineOps::DeletePayloadKeys(ns, name, selector, keys, d);
  return UpdatePayload(ns, name, selector, PayloadMode::kDeleteKeys, Json(), keys);
}

Result<WriteResult> TxnSession::ClearPayload(uint32_t ns, std::string_view name, const PointSelector& selector,
                                             Durability d) {
  if (mode_ == Mode::kPlain) return EngineOps::ClearPayload(ns, name, selector, d);
  return UpdatePayload(ns, name, selector, PayloadMode::kClear, Json(), {});
}

Result<WriteResult> TxnSession::UpdatePayload(uint32_t ns, std::string_view name, const PointSelector& selector,
                                              PayloadMode mode, const Json& payload,
                                              const std::vector<std::string>& keys) {
  if (mode_ == Mode::kTxn) return TentativeUpdate(ns, name, selector, mode, payload, keys);
  GV_ASSIGN_OR_RETURN(auto c, impl_->Find(ns, name));
  return c->UpdatePayload(selector, mode, payload, keys, &apply_);
}

Result<WriteResult> TxnSession::TentativeUpdate(uint32_t ns, std::string_view name, const PointSelector& selector,
                                                PayloadMode mode, const Json& payload,
                                                const std::vector<std::string>& keys) {
  GV_ASSIGN_OR_RETURN(OverlayView view, View(ns, name));
  GV_RETURN_IF_ERROR(CheckPayloadUpdate(mode, payload));
  std::vector<Record> targets;
  if (selector.filter) {
    GV_RETURN_IF_ERROR(
        view.ForEach(selector.filter.get(), true, [&](Record&& r) { targets.push_back(std::move(r)); }));
  } else {
    GV_ASSIGN_OR_RETURN(targets, view.Get(selector.ids, true, true));
  }
  GV_ASSIGN_OR_RETURN(uint64_t version, Reserve());
  std::vector<std::pair<PointId, OverlayPoint>> writes;
  writes.reserve(targets.size());
  for (auto& t : targets) {
    OverlayPoint own;
    own.version = version;
    own.vector = std::move(*t.vector);
    own.payload = UpdatedPayload(*t.payload, mode, payload, keys);
    own.subxact = subxact_;
    writes.emplace_back(t.id, std::move(own));
  }
  GV_RETURN_IF_ERROR(overlay_->PutPoints({ns, std::string(name)}, std::move(writes)));
  return WriteResult{version, targets.size()};
}

// ---------------------------------------------------------------------------------------------------------
// Point reads

Result<std::vector<Record>> TxnSession::Get(uint32_t ns, std::string_view name, const std::vector<PointId>& ids,
                                            bool with_payload, bool with_vector) {
  if (mode_ != Mode::kTxn) return EngineOps::Get(ns, name, ids, with_payload, with_vector);
  GV_ASSIGN_OR_RETURN(OverlayView view, View(ns, name));
  return view.Get(ids, with_payload, with_vector);
}

Result<uint64_t> TxnSession::Count(uint32_t ns, std::string_view name, const Filter* filter) {
  if (mode_ != Mode::kTxn) return EngineOps::Count(ns, name, filter);
  GV_ASSIGN_OR_RETURN(OverlayView view, View(ns, name));
  return view.Count(filter);
}

Result<ScrollPage> TxnSession::Scroll(uint32_t ns, std::string_view name, const ScrollParams& params) {
  if (mode_ != Mode::kTxn) return EngineOps::Scroll(ns, name, params);
  GV_ASSIGN_OR_RETURN(OverlayView view, View(ns, name));
  return view.Scroll(params);
}

Result<std::vector<ScoredPoint>> TxnSession::Search(uint32_t ns, std::string_view name, const SearchParams& params) {
  if (mode_ != Mode::kTxn) return EngineOps::Search(ns, name, params);
  GV_ASSIGN_OR_RETURN(OverlayView view, View(ns, name));
  return view.Search(params);
}

}  // namespace govector
