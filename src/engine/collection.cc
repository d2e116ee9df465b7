// Collection (collection.h): opening a collection (its points from LMDB, its graph from the index snapshot),
// saving the snapshot, its statistics, and dropping it. The other parts of the class live by concern in
// point_table.cc, vector_store.cc, point_writes.cc, point_reads.cc, search_planner.cc and indexer.cc.
#include "engine/collection.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <shared_mutex>

#include "engine/index_snapshot.h"
#include "engine/payload_codec.h"

namespace govector {

CollectionConfig ConfigFromMeta(const pb::CollectionMeta& meta) {
  CollectionConfig c;
  c.name = meta.name();
  c.dimension = meta.dimension();
  c.distance = static_cast<Distance>(meta.distance());
  c.index = static_cast<IndexKind>(meta.index());
  c.m = meta.m();
  c.ef_construct = meta.ef_construct();
  c.ef = meta.ef();
  c.quantization = static_cast<Quantization>(meta.quantization());
  return c;
}

Collection::Collection(Storage* storage, CatalogWriter* catalog, const EngineOptions& options,
                       const pb::CollectionMeta& meta, MDB_dbi dbi, std::string index_dir)
    : storage_(storage), catalog_(catalog), options_(options), meta_(meta), config_(ConfigFromMeta(meta)), dbi_(dbi),
      index_dir_(std::move(index_dir)) {
  arena_.Reset(ElementBytes());
  scan_codes_.Reset(Sq8CodeBytes(dimension()));
}

Collection::~Collection() = default;

Result<std::shared_ptr<Collection>> Collection::Open(Storage* storage, CatalogWriter* catalog,
                                                     const EngineOptions& options, const pb::CollectionMeta& meta,
                                                     MDB_dbi dbi, const std::string& index_dir) {
  std::shared_ptr<Collection> c(new Collection(storage, catalog, options, meta, dbi, index_dir));
  GV_RETURN_IF_ERROR(c->Load());
  return c;
}

Status Collection::NotFoundError() const {
  return Status::CollectionNotFound(name());
}

SnapshotIdentity Collection::Identity() const {
  return SnapshotIdentity{uid(), dimension(), distance(), config_.quantization};
}

// ---------------------------------------------------------------------------------------------------------
// Loading

Status Collection::Load() {
  for (const auto& pi : meta_.payload_indexes())
    GV_RETURN_IF_ERROR(payload_indexes_.Add(pi.field(), static_cast<PayloadIndexType>(pi.type())));

  std::unordered_map<std::string, uint32_t> slot_of_key;
  if (IsHnsw()) {
    Status s = LoadSnapshot(&slot_of_key);
    if (!s.ok()) {
      // A missing or unusable snapshot only costs a rebuild: LMDB has every point.
      if (s.code() != StatusCode::kNotFound)
        InfoLog(options_, InfoLogLevel::kWarning,
                "collection `" + name() + "`: index snapshot unusable, rebuilding the graph: " + s.ToString());
      slots_.clear();
      slot_of_key.clear();
      hnsw_ =
          std::make_unique<HnswIndex>(distance(), config_.quantization, dimension(), config_.m, config_.ef_construct);
    }
  }

  GV_ASSIGN_OR_RETURN(auto txn, storage_->BeginRead());
  Status parse_error;
  pb::Point point;
  GV_RETURN_IF_ERROR(Storage::Scan(txn->raw(), dbi_, "", [&](std::string_view key, std::string_view value) {
    auto id = PointId::FromKey(key);
    if (!id.ok() || !ParsePoint(value, &point)) {
      parse_error = Status::IOError("collection " + name() + ": unreadable point record");
      return false;
    }
    auto it = slot_of_key.find(std::string(key));
    LoadPoint(std::move(id).value(), point,
              it != slot_of_key.end() ? std::optional<uint32_t>(it->second) : std::nullopt);
    return true;
  }));
  GV_RETURN_IF_ERROR(parse_error);

  // Graph nodes whose point is gone (deleted after the snapshot) become free slots.
  for (uint32_t slot = 0; slot < slots_.size(); ++slot) {
    Slot& s = slots_[slot];
    if (s.live) continue;
    if (s.in_graph) {
      hnsw_->MarkDeleted(slot);
      s.in_graph = false;
    }
    FreeIfUnused(slot);
  }
  return Status::OK();
}

void Collection::LoadPoint(PointId id, const pb::Point& point, std::optional<uint32_t> snapshot_slot) {
  uint32_t slot;
  if (snapshot_slot) {
    slot = *snapshot_slot;
  } else {
    slot = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Slot& s = slots_[slot];
  s.id = std::move(id);
  s.version = point.version();
  s.vector_version = point.vector_version() ? point.vector_version() : point.version();
  s.payload = StructToJson(point.payload());
  s.live = true;
  by_id_[s.id] = slot;
  ++live_count_;
  payload_indexes_.Insert(slot, s.payload);
  if (!IsHnsw()) {
    ApplyVector(slot, point.vector().data());
    return;
  }
  std::vector<float> buf;
  const float* vec = IndexedVector(point.vector().data(), &buf);
  if (UsesScanCodes()) EncodeScanCode(slot, vec);
  if (!(s.in_graph && s.graph_version == s.vector_version)) {
    pending_vectors_[slot].assign(vec, vec + dimension());
    pending_queue_.push_back(slot);
  }
}

Status Collection::LoadSnapshot(std::unordered_map<std::string, uint32_t>* slot_of_key) {
  GV_ASSIGN_OR_RETURN(uint64_t gen, ReadSnapshotGeneration(index_dir_));
  // The next snapshot gets a later generation even when this one turns out unusable, so SaveSnapshot never
  // rewrites the files CURRENT names.
  snapshot_generation_ = gen;
  GV_ASSIGN_OR_RETURN(std::vector<SnapshotLabel> labels, ReadSnapshotLabels(index_dir_, gen, Identity()));
  GV_ASSIGN_OR_RETURN(hnsw_, HnswIndex::Load(SnapshotGraphPath(index_dir_, gen), distance(), config_.quantization,
                                             dimension(), config_.m, config_.ef_construct));
  slots_.resize(labels.size());
  for (uint32_t label = 0; label < labels.size(); ++label) {
    const SnapshotLabel& entry = labels[label];
    Slot& s = slots_[label];
    s.in_graph = hnsw_->Contains(label);
    if (entry.graph_version != 0 && !entry.key.empty() && s.in_graph && slot_of_key->emplace(entry.key, label).second) {
      s.graph_version = entry.graph_version;
    } else if (s.in_graph) {
      hnsw_->MarkDeleted(label);
      s.in_graph = false;
    }
  }
  return Status::OK();
}

// ---------------------------------------------------------------------------------------------------------
// Snapshots, info, drop

Status Collection::SaveSnapshot() {
  if (!IsHnsw()) return Status::OK();
  std::lock_guard<std::mutex> snapshot_lock(snapshot_mu_);
  if (dropped_ || changes_since_snapshot_.load() == 0) return Status::OK();
  SharedLock index_lock(index_mu_);
  SharedLock state_lock(state_mu_);
  std::vector<SnapshotLabel> labels(slots_.size());
  for (size_t slot = 0; slot < slots_.size(); ++slot) {
    const Slot& s = slots_[slot];
    if (!s.live || !s.in_graph || s.in_flight) continue;  // the label holds no point's vector now
    labels[slot].graph_version = s.graph_version;
    labels[slot].key = s.id.Key();
  }
  // CURRENT names snapshot_generation_ (or an earlier one), never gen (see LoadSnapshot).
  const uint64_t previous = snapshot_generation_, gen = previous + 1;
  GV_RETURN_IF_ERROR(
      WriteSnapshot(index_dir_, gen, Identity(), labels, [&](const std::string& path) { return hnsw_->Save(path); }));
  snapshot_generation_ = gen;
  GV_RETURN_IF_ERROR(RemoveSnapshotGeneration(index_dir_, previous));
  changes_since_snapshot_ = 0;
  return Status::OK();
}

CollectionInfo Collection::Info() {
  CollectionInfo info;
  std::unique_ptr<SharedLock> index_lock;
  if (IsHnsw()) index_lock = std::make_unique<SharedLock>(index_mu_);
  SharedLock state_lock(state_mu_);
  info.config = config_;
  info.points = live_count_;
  if (IsHnsw()) {
    for (uint32_t slot = 0; slot < slots_.size(); ++slot)
      if (SlotSearchable(slot)) ++info.indexed_vectors;
    info.graph_elements = hnsw_->size();
    info.graph_deleted = hnsw_->deleted_count();
    info.index_memory_bytes = hnsw_->MemoryBytes() + scan_codes_.MemoryBytes();
    info.snapshot_pending = changes_since_snapshot_.load() > 0;
    info.vector_memory_bytes = hnsw_->VectorBytes();
    for (const auto& [slot, v] : pending_vectors_) info.pending_memory_bytes += v.size() * sizeof(float);
  } else {
    info.indexed_vectors = live_count_;
    info.index_memory_bytes = arena_.MemoryBytes();
    info.vector_memory_bytes = live_count_ * ElementBytes();
  }
  info.payload_indexes = payload_indexes_.Info();
  return info;
}

void Collection::AddDiskUsage(CollectionInfo* info) const {
  if (auto txn = storage_->BeginRead(); txn.ok()) {
    MDB_stat st;
    if (mdb_stat((*txn)->raw(), dbi_, &st) == 0)
      info->storage_bytes = (st.ms_branch_pages + st.ms_leaf_pages + st.ms_overflow_pages) * uint64_t{st.ms_psize};
  }
  if (DIR* d = opendir(index_dir_.c_str())) {
    while (struct dirent* e = readdir(d)) {
      struct stat fst;
      if (e->d_name[0] != '.' && stat((index_dir_ + "/" + e->d_name).c_str(), &fst) == 0 && S_ISREG(fst.st_mode))
        info->index_file_bytes += static_cast<uint64_t>(fst.st_size);
    }
    closedir(d);
  }
}

Status Collection::Drop(FunctionRef<Status(WriteTxn*)> in_same_txn) {
  std::lock_guard<std::mutex> write_lock(write_mu_);
  UniqueLock index_lock(index_mu_);
  UniqueLock state_lock(state_mu_);
  if (dropped_) return NotFoundError();
  GV_ASSIGN_OR_RETURN(auto txn, storage_->BeginWrite());
  GV_RETURN_IF_ERROR(in_same_txn(txn.get()));
  GV_RETURN_IF_ERROR(txn->DropDatabase(dbi_));
  GV_RETURN_IF_ERROR(txn->Commit());
  dropped_ = true;
  return Status::OK();
}

void Collection::RemoveFiles() {
  DIR* d = opendir(index_dir_.c_str());
  if (!d) return;
  while (struct dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") unlink((index_dir_ + "/" + n).c_str());
  }
  closedir(d);
  rmdir(index_dir_.c_str());
}

}  // namespace govector
