#include "engine/collection.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <queue>
#include <shared_mutex>
#include <thread>

#include "engine/distance.h"
#include "engine/payload_codec.h"
#include "engine/point_checks.h"

namespace govector {

namespace {

using SharedLock = std::shared_lock<RwLock>;
using UniqueLock = std::unique_lock<RwLock>;

// Below this many graph nodes, HNSW insertions run on one thread (see IndexSome).
constexpr size_t kParallelInsertMinNodes = 10000;
// Filtered searches with exactly known matches first look at the query's kProbeSize nearest points.
constexpr size_t kProbeSize = 16;
// How long one indexing round may hold the graph lock (searches wait meanwhile).
constexpr auto kIndexRoundTime = std::chrono::milliseconds(20);
// A vector whose graph insertion failed this many times is not tried again until it changes or the engine
// restarts; it stays in the pending set, where searches score it exactly.
constexpr uint8_t kMaxInsertAttempts = 3;

constexpr char kSnapshotMagic[8] = {'G', 'V', 'I', 'D', 'X', '0', '0', '1'};

uint64_t Fnv1a(const std::string& data) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : data) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

template <typename T>
void PutPod(std::string* out, T v) {
  out->append(reinterpret_cast<const char*>(&v), sizeof(v));
}

template <typename T>
bool GetPod(std::string_view* in, T* v) {
  if (in->size() < sizeof(T)) return false;
  std::memcpy(v, in->data(), sizeof(T));
  in->remove_prefix(sizeof(T));
  return true;
}

// Writes data to path + ".tmp", flushes it and renames it to path: path holds either its old contents or
// all of data. On failure the temporary file is removed and path is untouched.
Status WriteFileDurably(const std::string& path, const std::string& data) {
  std::string tmp = path + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return Status::IOError("cannot create " + tmp + ": " + strerror(errno));
  auto fail = [&](const char* what) {
    Status s = Status::IOError(std::string("cannot ") + what + " " + tmp + ": " + strerror(errno));
    close(fd);
    unlink(tmp.c_str());
    return s;
  };
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("write");
    }
    off += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0) return fail("sync");
  close(fd);
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    Status s = Status::IOError("cannot rename " + tmp + ": " + strerror(errno));
    unlink(tmp.c_str());
    return s;
  }
  return Status::OK();
}

// Flushes a directory's entries (files created, renamed or removed in it) to disk.
Status SyncDirectory(const std::string& dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return Status::IOError("cannot open " + dir + ": " + strerror(errno));
  int rc = fsync(fd);
  int err = errno;
  close(fd);
  if (rc != 0) return Status::IOError("cannot sync " + dir + ": " + strerror(err));
  return Status::OK();
}

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

// Keeps the `limit` candidates with the smallest distance.
class TopK {
 public:
  explicit TopK(size_t limit) : limit_(limit) {}
  void Push(float d, uint32_t slot) {
    if (heap_.size() < limit_) {
      heap_.emplace(d, slot);
    } else if (d < heap_.top().first) {
      heap_.pop();
      heap_.emplace(d, slot);
    }
  }
  void DrainInto(std::vector<std::pair<float, uint32_t>>* out) {
    while (!heap_.empty()) {
      out->push_back(heap_.top());
      heap_.pop();
    }
  }

 private:
  size_t limit_;
  std::priority_queue<std::pair<float, uint32_t>> heap_;
};

// One insertion round of Collection::IndexSome, with the graph locked exclusively: inserts work[i] (slot,
// version) with vectors[i] and sets (*results)[i] to the outcome. A round stops taking new points after
// kIndexRoundTime, since searches wait meanwhile: the points it did not reach keep no result.
void InsertRound(HnswIndex* hnsw, const std::vector<std::pair<uint32_t, uint64_t>>& work,
                 const std::vector<std::vector<float>>& vectors, unsigned threads,
                 std::vector<std::optional<Status>>* results) {
  size_t max_label = 0;
  for (const auto& w : work) max_label = std::max<size_t>(max_label, w.first);
  Status reserved = hnsw->Reserve(std::max(hnsw->size() + work.size(), max_label + 1));
  if (!reserved.ok()) {
    for (auto& r : *results) r = reserved;
    return;
  }
  // New nodes go in from several threads; replacing the vector of an existing node (an update, or a reused
  // slot) races with concurrent insertions in hnswlib 0.6.2, so those go in first, one by one.
  auto deadline = std::chrono::steady_clock::now() + kIndexRoundTime;
  std::vector<size_t> fresh;
  for (size_t i = 0; i < work.size(); ++i) {
    if (!hnsw->HasNode(work[i].first))
      fresh.push_back(i);
    else if (std::chrono::steady_clock::now() < deadline)
      (*results)[i] = hnsw->Add(work[i].first, vectors[i].data());
  }
  std::atomic<size_t> next{0};
  auto worker = [&]() {
    for (size_t j; std::chrono::steady_clock::now() < deadline && (j = next.fetch_add(1)) < fresh.size();) {
      size_t i = fresh[j];
      (*results)[i] = hnsw->Add(work[i].first, vectors[i].data());
    }
  };
  // Concurrent insertions into a small graph interfere (two new neighbours can prune each other away; on
  // degenerate data such as collinear points this leaves nodes unreachable), and parallelism buys little
  // there: insert on one thread until the graph is large.
  unsigned n = hnsw->size() < kParallelInsertMinNodes
                   ? 1u
                   : std::max(1u, std::min<unsigned>(threads, static_cast<unsigned>(fresh.size() / 32)));
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < n; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
}

}  // namespace

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
      index_dir_(std::move(index_dir)) {}

Collection::~Collection() = default;

Result<std::shared_ptr<Collection>> Collection::Open(Storage* storage, CatalogWriter* catalog,
                                                     const EngineOptions& options, const pb::CollectionMeta& meta,
                                                     MDB_dbi dbi, const std::string& index_dir) {
  std::shared_ptr<Collection> c(new Collection(storage, catalog, options, meta, dbi, index_dir));
  GV_RETURN_IF_ERROR(c->Load());
  return c;
}

size_t Collection::ElementBytes() const {
  return IsQuantized() ? Sq8CodeBytes(dimension()) : dimension() * sizeof(float);
}

Status Collection::NotFoundError() const {
  return Status::NotFound("Collection `" + name() + "` doesn't exist!");
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
      hnsw_ = std::make_unique<HnswIndex>(distance(), IsQuantized() ? Quantization::kSq8 : Quantization::kNone,
                                          dimension(), config_.m, config_.ef_construct);
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
    uint32_t slot;
    auto it = slot_of_key.find(std::string(key));
    if (it != slot_of_key.end()) {
      slot = it->second;
    } else {
      slot = static_cast<uint32_t>(slots_.size());
      slots_.emplace_back();
    }
    Slot& s = slots_[slot];
    s.id = std::move(id).value();
    s.version = point.version();
    s.vector_version = point.vector_version() ? point.vector_version() : point.version();
    s.payload = StructToJson(point.payload());
    s.live = true;
    by_id_[s.id] = slot;
    ++live_count_;
    payload_indexes_.Insert(slot, s.payload);
    if (IsHnsw()) {
      if (UsesScanCodes()) EncodeScanCode(slot, point.vector().data());
      if (!(s.in_graph && s.graph_version == s.vector_version)) {
        pending_vectors_[slot].assign(point.vector().begin(), point.vector().end());
        pending_queue_.push_back(slot);
      }
    } else {
      ApplyVector(slot, point.vector().data());
    }
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

Status Collection::LoadSnapshot(std::unordered_map<std::string, uint32_t>* slot_of_key) {
  std::string current;
  if (!ReadFile(index_dir_ + "/CURRENT", &current)) return Status::NotFound("no snapshot");
  uint64_t gen = std::strtoull(current.c_str(), nullptr, 10);
  // The next snapshot gets a later generation even when this one turns out unusable, so SaveSnapshot never
  // rewrites the files CURRENT names.
  snapshot_generation_ = gen;
  std::string labels;
  if (!ReadFile(index_dir_ + "/labels." + std::to_string(gen), &labels) || labels.size() < 48)
    return Status::IOError("snapshot labels missing");
  uint64_t checksum;
  std::memcpy(&checksum, labels.data() + labels.size() - 8, 8);
  labels.resize(labels.size() - 8);
  if (Fnv1a(labels) != checksum) return Status::IOError("snapshot labels corrupt");
  std::string_view in(labels);
  char magic[8];
  std::memcpy(magic, in.data(), 8);
  in.remove_prefix(8);
  uint64_t file_gen, uid, count;
  uint32_t dim;
  uint8_t dist, quant;
  uint16_t reserved;
  if (std::memcmp(magic, kSnapshotMagic, 8) != 0 || !GetPod(&in, &file_gen) || !GetPod(&in, &uid) ||
      !GetPod(&in, &dim) || !GetPod(&in, &dist) || !GetPod(&in, &quant) || !GetPod(&in, &reserved) ||
      !GetPod(&in, &count))
    return Status::IOError("snapshot header");
  if (file_gen != gen || uid != meta_.uid() || dim != dimension() || dist != meta_.distance() ||
      quant != meta_.quantization())
    return Status::IOError("snapshot belongs to another configuration");

  GV_ASSIGN_OR_RETURN(hnsw_, HnswIndex::Load(index_dir_ + "/graph." + std::to_string(gen), distance(),
                                             IsQuantized() ? Quantization::kSq8 : Quantization::kNone, dimension(),
                                             config_.m, config_.ef_construct));
  slots_.resize(count);
  for (uint64_t label = 0; label < count; ++label) {
    uint64_t graph_version;
    uint32_t key_len;
    if (!GetPod(&in, &graph_version) || !GetPod(&in, &key_len) || in.size() < key_len)
      return Status::IOError("snapshot labels truncated");
    std::string key(in.substr(0, key_len));
    in.remove_prefix(key_len);
    Slot& s = slots_[label];
    s.in_graph = hnsw_->Contains(label);
    if (graph_version != 0 && !key.empty() && s.in_graph && slot_of_key->emplace(key, label).second) {
      s.graph_version = graph_version;
    } else if (s.in_graph) {
      hnsw_->MarkDeleted(label);
      s.in_graph = false;
    }
  }
  return Status::OK();
}

// ---------------------------------------------------------------------------------------------------------
// Slots

uint32_t Collection::AllocateSlot() {
  uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
    Slot& s = slots_[slot];
    s.version = s.vector_version = s.graph_version = 0;
    s.payload = Json();
    s.free = false;
  } else {
    slot = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  return slot;
}

void Collection::ReleaseSlot(uint32_t slot) {
  Slot& s = slots_[slot];
  payload_indexes_.Remove(slot, s.payload);
  by_id_.erase(s.id);
  s.live = false;
  s.payload = Json();
  --live_count_;
  if (!IsHnsw()) {
    FreeIfUnused(slot);
    return;
  }
  pending_vectors_.erase(slot);
  if (s.in_graph)
    QueueUnindex(slot);  // the indexer marks the node deleted, then frees the slot
  else
    FreeIfUnused(slot);  // (an in-flight slot is handled when its insertion finishes)
}

void Collection::QueueUnindex(uint32_t slot) {
  Slot& s = slots_[slot];
  if (s.unindex_queued) return;
  s.unindex_queued = true;
  unindex_queue_.push_back(slot);
}

void Collection::FreeIfUnused(uint32_t slot) {
  Slot& s = slots_[slot];
  if (s.live || s.in_flight || s.in_graph || s.unindex_queued || s.free) return;
  s.free = true;
  free_slots_.push_back(slot);
}

void Collection::EncodeScanCode(uint32_t slot, const float* vec) {
  size_t bytes = Sq8CodeBytes(dimension());
  if (scan_codes_.size() < (slot + 1) * bytes)
    scan_codes_.resize(std::max((slot + 1) * bytes, scan_codes_.size() * 3 / 2));
  Sq8Encode(vec, dimension(), scan_codes_.data() + slot * bytes);
}

void Collection::ApplyVector(uint32_t slot, const float* vec) {
  if (UsesScanCodes()) EncodeScanCode(slot, vec);
  if (IsHnsw()) {
    pending_vectors_[slot].assign(vec, vec + dimension());
    pending_queue_.push_back(slot);
    slots_[slot].insert_failures = 0;  // a new vector gets its own attempts
    return;
  }
  size_t elem = ElementBytes();
  if (arena_.size() < (slot + 1) * elem) arena_.resize(std::max((slot + 1) * elem, arena_.size() * 3 / 2));
  uint8_t* dst = arena_.data() + slot * elem;
  if (IsQuantized())
    Sq8Encode(vec, dimension(), dst);
  else
    std::memcpy(dst, vec, elem);
}

std::optional<PayloadIndexSet::CandidateSet> Collection::FilterCandidates(const Filter& filter) const {
  return payload_indexes_.Candidates(filter, [&](const Condition& c) -> std::optional<std::vector<uint32_t>> {
    if (c.type != Condition::Type::kHasId) return std::nullopt;
    std::vector<uint32_t> slots;
    for (const PointId& id : c.ids) {
      auto it = by_id_.find(id);
      if (it != by_id_.end()) slots.push_back(it->second);
    }
    std::sort(slots.begin(), slots.end());
    slots.erase(std::unique(slots.begin(), slots.end()), slots.end());
    return slots;
  });
}

std::vector<uint32_t> Collection::SelectSlots(const PointSelector& selector) {
  std::vector<uint32_t> out;
  if (selector.filter) {
    const Filter& f = *selector.filter;
    auto candidates = FilterCandidates(f);
    auto consider = [&](uint32_t slot) {
      const Slot& s = slots_[slot];
      if (s.live && FilterMatches(f, s.id, s.payload)) out.push_back(slot);
    };
    if (candidates && candidates->exact) {
      out = std::move(candidates->slots);
    } else if (candidates) {
      for (uint32_t slot : candidates->slots) consider(slot);
    } else {
      for (uint32_t slot = 0; slot < slots_.size(); ++slot) consider(slot);
    }
    return out;
  }
  for (const PointId& id : selector.ids) {
    auto it = by_id_.find(id);
    if (it != by_id_.end() && std::find(out.begin(), out.end(), it->second) == out.end()) out.push_back(it->second);
  }
  return out;
}

Result<std::vector<float>> Collection::ReadVector(ReadTxn* txn, const PointId& id) {
  GV_ASSIGN_OR_RETURN(auto value, txn->Get(dbi_, id.Key()));
  if (!value) return Status::NotFound("No point with id " + id.ToString() + " found");
  std::vector<float> vector;
  if (!ParsePointVector(*value, &vector)) return Status::IOError("unreadable point record " + id.ToString());
  return vector;
}

// ---------------------------------------------------------------------------------------------------------
// Writes

Result<WriteResult> Collection::Upsert(std::vector<PointInput> points, const ApplyStamp* stamp) {
  // Validate everything before anything is written: one bad point rejects the batch.
  GV_RETURN_IF_ERROR(PrepareUpsert(&points, dimension(), distance()));

  std::vector<std::string> keys(points.size()), values(points.size());
  pb::Point record;
  for (size_t i = 0; i < points.size(); ++i) keys[i] = points[i].id.Key();

  std::lock_guard<std::mutex> write_lock(write_mu_);
  if (dropped_) return NotFoundError();
  {
    // Vector-only updates take the payload stored now (no other writer can change it: we hold write_mu_).
    SharedLock state_lock(state_mu_);
    for (auto& p : points) {
      if (!p.keep_payload) continue;
      auto it = by_id_.find(p.id);
      p.payload = it != by_id_.end() ? slots_[it->second].payload : Json::object();
    }
  }
  GV_ASSIGN_OR_RETURN(auto txn, storage_->BeginWrite());
  GV_ASSIGN_OR_RETURN(uint64_t version, catalog_->NextVersion(txn.get(), stamp));
  for (size_t i = 0; i < points.size(); ++i) {
    record.Clear();
    record.mutable_vector()->Add(points[i].vector.begin(), points[i].vector.end());
    record.set_version(version);
    record.set_vector_version(version);
    GV_RETURN_IF_ERROR(JsonToStruct(points[i].payload, record.mutable_payload()));
    record.SerializeToString(&values[i]);
    GV_RETURN_IF_ERROR(txn->Put(dbi_, keys[i], values[i]));
  }
  GV_RETURN_IF_ERROR(txn->Commit());

  {
    UniqueLock state_lock(state_mu_);
    for (auto& p : points) {
      uint32_t slot;
      auto it = by_id_.find(p.id);
      if (it != by_id_.end()) {
        slot = it->second;
        payload_indexes_.Remove(slot, slots_[slot].payload);
      } else {
        slot = AllocateSlot();
        by_id_[p.id] = slot;
        ++live_count_;
      }
      Slot& s = slots_[slot];
      s.id = p.id;
      s.version = version;
      s.vector_version = version;
      s.payload = std::move(p.payload);
      s.live = true;
      payload_indexes_.Insert(slot, s.payload);
      ApplyVector(slot, p.vector.data());
    }
  }
  if (IsHnsw()) {
    if (options_.background_indexing)
      catalog_->NotifyIndexWork();
    else
      while (IndexSome(4096, options_.index_threads) > 0) {
      }
  }
  return WriteResult{version, points.size()};
}

Result<WriteResult> Collection::Delete(const PointSelector& selector, const ApplyStamp* stamp) {
  std::lock_guard<std::mutex> write_lock(write_mu_);
  if (dropped_) return NotFoundError();
  std::vector<uint32_t> slots;
  std::vector<std::string> keys;
  {
    SharedLock state_lock(state_mu_);
    slots = SelectSlots(selector);
    for (uint32_t slot : slots) keys.push_back(slots_[slot].id.Key());
  }
  if (slots.empty()) return WriteResult{0, 0};
  GV_ASSIGN_OR_RETURN(auto txn, storage_->BeginWrite());
  GV_ASSIGN_OR_RETURN(uint64_t version, catalog_->NextVersion(txn.get(), stamp));
  for (const auto& key : keys) GV_RETURN_IF_ERROR(txn->Delete(dbi_, key).status());
  GV_RETURN_IF_ERROR(txn->Commit());
  {
    UniqueLock state_lock(state_mu_);
    for (uint32_t slot : slots) ReleaseSlot(slot);
  }
  if (IsHnsw()) {
    if (options_.background_indexing)
      catalog_->NotifyIndexWork();
    else
      while (IndexSome(4096, options_.index_threads) > 0) {
      }
  }
  return WriteResult{version, slots.size()};
}

Result<WriteResult> Collection::UpdatePayload(const PointSelector& selector, PayloadMode mode, const Json& payload,
                                              const std::vector<std::string>& keys, const ApplyStamp* stamp) {
  GV_RETURN_IF_ERROR(CheckPayloadUpdate(mode, payload));
  std::lock_guard<std::mutex> write_lock(write_mu_);
  if (dropped_) return NotFoundError();
  std::vector<uint32_t> slots;
  std::vector<Json> updated;
  {
    SharedLock state_lock(state_mu_);
    slots = SelectSlots(selector);
    for (uint32_t slot : slots) updated.push_back(UpdatedPayload(slots_[slot].payload, mode, payload, keys));
  }
  if (slots.empty()) return WriteResult{0, 0};
  GV_ASSIGN_OR_RETURN(auto txn, storage_->BeginWrite());
  GV_ASSIGN_OR_RETURN(uint64_t version, catalog_->NextVersion(txn.get(), stamp));
  pb::Point record;
  std::string bytes;
  for (size_t i = 0; i < slots.size(); ++i) {
    std::string key = slots_[slots[i]].id.Key();  // ids of selected slots cannot change: we hold write_mu_
    GV_ASSIGN_OR_RETURN(auto old, txn->Get(dbi_, key));
    if (!old || !ParsePoint(*old, &record))
      return Status::IOError("point record missing for " + slots_[slots[i]].id.ToString());
    if (record.vector_version() == 0) record.set_vector_version(record.version());
    record.set_version(version);
    record.clear_payload();
    GV_RETURN_IF_ERROR(JsonToStruct(updated[i], record.mutable_payload()));
    record.SerializeToString(&bytes);
    GV_RETURN_IF_ERROR(txn->Put(dbi_, key, bytes));
  }
  GV_RETURN_IF_ERROR(txn->Commit());
  {
    UniqueLock state_lock(state_mu_);
    for (size_t i = 0; i < slots.size(); ++i) {
      Slot& s = slots_[slots[i]];
      payload_indexes_.Remove(slots[i], s.payload);
      s.payload = std::move(updated[i]);
      s.version = version;
      payload_indexes_.Insert(slots[i], s.payload);
    }
  }
  return WriteResult{version, slots.size()};
}

Status Collection::CreatePayloadIndex(const std::string& field, PayloadIndexType type, const ApplyStamp* stamp) {
  std::lock_guard<std::mutex> write_lock(write_mu_);
  if (dropped_) return NotFoundError();
  {
    UniqueLock state_lock(state_mu_);
    if (payload_indexes_.Has(field)) {
      for (const auto& pi : meta_.payload_indexes())
        if (pi.field() == field && static_cast<PayloadIndexType>(pi.type()) == type) return Status::OK();
    }
    GV_RETURN_IF_ERROR(payload_indexes_.Add(field, type));
  }
  pb::CollectionMeta meta = meta_;
  auto* pi = meta.add_payload_indexes();
  pi->set_field(field);
  pi->set_type(static_cast<pb::PayloadIndexType>(type));
  GV_ASSIGN_OR_RETURN(auto txn, storage_->BeginWrite());
  GV_RETURN_IF_ERROR(catalog_->PutMeta(txn.get(), meta));
  GV_RETURN_IF_ERROR(catalog_->Stamp(txn.get(), stamp));
  GV_RETURN_IF_ERROR(txn->Commit());
  UniqueLock state_lock(state_mu_);
  meta_ = meta;
  // Rebuild all indexes from scratch is not needed: the new one is empty, the others are complete.
  PayloadIndexSet fresh;
  for (const auto& m : meta_.payload_indexes())
    GV_RETURN_IF_ERROR(fresh.Add(m.field(), static_cast<PayloadIndexType>(m.type())));
  for (uint32_t slot = 0; slot < slots_.size(); ++slot)
    if (slots_[slot].live) fresh.Insert(slot, slots_[slot].payload);
  payload_indexes_ = std::move(fresh);
  return Status::OK();
}

// ---------------------------------------------------------------------------------------------------------
// Reads

Result<std::vector<Record>> Collection::Get(const std::vector<PointId>& ids, bool with_payload, bool with_vector) {
  SharedLock state_lock(state_mu_);
  if (dropped_) return NotFoundError();
  std::unique_ptr<ReadTxn> txn;
  if (with_vector) {
    GV_ASSIGN_OR_RETURN(txn, storage_->BeginRead());
  }
  std::vector<Record> out;
  std::unordered_map<PointId, bool, PointIdHash> seen;
  for (const PointId& id : ids) {
    auto it = by_id_.find(id);
    if (it == by_id_.end() || !seen.emplace(id, true).second) continue;
    const Slot& s = slots_[it->second];
    Record r;
    r.id = s.id;
    r.version = s.version;
    if (with_payload) r.payload = s.payload;
    if (with_vector) {
      GV_ASSIGN_OR_RETURN(r.vector, ReadVector(txn.get(), s.id));
    }
    out.push_back(std::move(r));
  }
  return out;
}

Result<uint64_t> Collection::Count(const Filter* filter) {
  SharedLock state_lock(state_mu_);
  if (dropped_) return NotFoundError();
  if (!filter || filter->MatchesAll()) return static_cast<uint64_t>(live_count_);
  uint64_t n = 0;
  auto candidates = FilterCandidates(*filter);
  auto consider = [&](uint32_t slot) {
    const Slot& s = slots_[slot];
    if (s.live && FilterMatches(*filter, s.id, s.payload)) ++n;
  };
  if (candidates && candidates->exact) return static_cast<uint64_t>(candidates->slots.size());
  if (candidates) {
    for (uint32_t slot : candidates->slots) consider(slot);
  } else {
    for (uint32_t slot = 0; slot < slots_.size(); ++slot) consider(slot);
  }
  return n;
}

Result<ScrollPage> Collection::Scroll(const ScrollParams& params) {
  GV_RETURN_IF_ERROR(CheckScrollLimit(params.limit));
  SharedLock state_lock(state_mu_);
  if (dropped_) return NotFoundError();
  GV_ASSIGN_OR_RETURN(auto txn, storage_->BeginRead());
  const Filter* filter = params.filter && !params.filter->MatchesAll() ? params.filter.get() : nullptr;
  ScrollPage page;
  Status error;
  pb::Point point;
  if (filter) {
    if (auto candidates = FilterCandidates(*filter)) {
      // Few candidates (ids, payload index): visit them in id order instead of walking every key.
      std::vector<uint32_t> slots;
      for (uint32_t slot : candidates->slots) {
        const Slot& s = slots_[slot];
        if (s.live && (!params.start || !(s.id < *params.start)) && FilterMatches(*filter, s.id, s.payload))
          slots.push_back(slot);
      }
      std::sort(slots.begin(), slots.end(), [&](uint32_t a, uint32_t b) { return slots_[a].id < slots_[b].id; });
      for (uint32_t slot : slots) {
        const Slot& s = slots_[slot];
        if (page.points.size() == params.limit) {
          page.next = s.id;
          break;
        }
        Record r;
        r.id = s.id;
        r.version = s.version;
        if (params.with_payload) r.payload = s.payload;
        if (params.with_vector) {
          GV_ASSIGN_OR_RETURN(r.vector, ReadVector(txn.get(), s.id));
        }
        page.points.push_back(std::move(r));
      }
      return page;
    }
  }
  std::string start = params.start ? params.start->Key() : std::string();
  GV_RETURN_IF_ERROR(Storage::Scan(txn->raw(), dbi_, start, [&](std::string_view key, std::string_view value) {
    auto id = PointId::FromKey(key);
    if (!id.ok()) {
      error = id.status();
      return false;
    }
    auto it = by_id_.find(*id);
    if (it == by_id_.end()) return true;  // committed but not yet applied: not visible yet
    const Slot& s = slots_[it->second];
    if (filter && !FilterMatches(*filter, s.id, s.payload)) return true;
    if (page.points.size() == params.limit) {
      page.next = s.id;
      return false;
    }
    Record r;
    r.id = s.id;
    r.version = s.version;
    if (params.with_payload) r.payload = s.payload;
    if (params.with_vector) {
      if (!ParsePoint(value, &point)) {
        error = Status::IOError("unreadable point record " + s.id.ToString());
        return false;
      }
      r.vector.emplace(point.vector().begin(), point.vector().end());
    }
    page.points.push_back(std::move(r));
    return true;
  }));
  GV_RETURN_IF_ERROR(error);
  return page;
}

// ---------------------------------------------------------------------------------------------------------
// Search

size_t Collection::EstimateMatches(const Filter& filter, const PayloadIndexSet::CandidateSet* indexed,
                                   size_t live) const {
  if (indexed) return indexed->slots.size();
  size_t n = slots_.size();
  if (n <= 4096) {
    size_t hits = 0;
    for (uint32_t slot = 0; slot < n; ++slot)
      if (slots_[slot].live && FilterMatches(filter, slots_[slot].id, slots_[slot].payload)) ++hits;
    return hits;
  }
  // Sample about 1,000 slots spread evenly over the table.
  size_t step = n / 1024, sampled = 0, hits = 0;
  for (size_t slot = step / 2; slot < n; slot += step) {
    const Slot& s = slots_[slot];
    if (!s.live) continue;
    ++sampled;
    if (FilterMatches(filter, s.id, s.payload)) ++hits;
  }
  if (sampled == 0) return 0;
  // Round up, so "a few hits" never becomes zero.
  return (hits * live + sampled - 1) / sampled;
}

void Collection::ExactScan(const QueryDistance& qd, const std::vector<float>& query,
                           FunctionRef<bool(uint32_t)> accept, const std::vector<uint32_t>* candidates,
                           bool use_codes, std::vector<Candidate>* out) {
  // Quantized distances are approximate: keep more, the caller rescores them with the stored floats.
  size_t limit = out->capacity();
  const size_t code_bytes = Sq8CodeBytes(dimension());
  // Scan codes: keep four times what is asked (at least 64) by code distance, then rescore those exactly.
  TopK top(use_codes ? std::max<size_t>(limit * 4, 64) : limit);
  std::optional<QueryDistance> code_qd;
  if (use_codes) code_qd.emplace(distance(), Quantization::kSq8, query.data(), dimension());
  size_t elem = ElementBytes();
  // The slot's element in the graph or the flat arena (float vector, or SQ8 code for SQ8 collections);
  // nullptr when the graph lacks its current vector.
  auto element_of = [&](uint32_t slot) -> const void* {
    if (!IsHnsw()) return arena_.data() + slot * elem;
    return SlotSearchable(slot) ? hnsw_->ElementData(slot) : nullptr;
  };
  auto data = [&](uint32_t slot) -> const void* {
    return use_codes ? scan_codes_.data() + slot * code_bytes : element_of(slot);
  };
  const size_t prefetch_bytes = std::min<size_t>(use_codes ? code_bytes : elem, 1024);
  // The float distance of a slot: from its element, or from the pending set when the graph lacks it.
  auto float_distance = [&](uint32_t slot, float* d) {
    if (const void* element = element_of(slot)) {
      *d = qd(element);
      return true;
    }
    auto it = pending_vectors_.find(slot);
    if (it == pending_vectors_.end()) return false;
    *d = InternalDistance(distance(), query.data(), it->second.data(), dimension());
    return true;
  };
  auto consider = [&](uint32_t slot) {
    if (!accept(slot)) return;
    if (use_codes) {
      top.Push((*code_qd)(data(slot)), slot);
      return;
    }
    float d;
    if (float_distance(slot, &d)) top.Push(d, slot);
  };
  if (candidates) {
    // Scoring a few thousand scattered vectors is bound by memory latency: fetch the next one's first
    // cache lines while this one is scored.
    const std::vector<uint32_t>& c = *candidates;
    for (size_t i = 0; i < c.size(); ++i) {
      if (i + 1 < c.size() && c[i + 1] < slots_.size()) {
        if (const char* next = static_cast<const char*>(data(c[i + 1])))
          for (size_t off = 0; off < prefetch_bytes; off += 64) __builtin_prefetch(next + off);
      }
      consider(c[i]);
    }
  } else {
    for (uint32_t slot = 0; slot < slots_.size(); ++slot)
      if (slots_[slot].live) consider(slot);
  }
  if (!use_codes) {
    top.DrainInto(out);
    return;
  }
  std::vector<Candidate> coded;
  top.DrainInto(&coded);
  TopK exact(limit);
  for (const auto& [code_distance, slot] : coded) {
    float d;
    if (float_distance(slot, &d)) exact.Push(d, slot);
  }
  exact.DrainInto(out);
}

void Collection::ScanPending(const std::vector<float>& query, FunctionRef<bool(uint32_t)> accept,
                             std::vector<Candidate>* out, SearchPlan* plan) {
  for (const auto& [slot, vec] : pending_vectors_) {
    if (SlotSearchable(slot) || !accept(slot)) continue;
    ++plan->pending_scanned;
    out->emplace_back(InternalDistance(distance(), query.data(), vec.data(), dimension()), slot);
  }
}

Status Collection::Rescore(ReadTxn* txn, const std::vector<float>& query, std::vector<Candidate>* cands) {
  for (auto& c : *cands) {
    GV_ASSIGN_OR_RETURN(auto vec, ReadVector(txn, slots_[c.second].id));
    c.first = InternalDistance(distance(), query.data(), vec.data(), dimension());
  }
  return Status::OK();
}

Result<std::vector<ScoredPoint>> Collection::Search(const SearchParams& p, SearchPlan* plan_out) {
  GV_RETURN_IF_ERROR(CheckSearchParams(p));
  SearchPlan plan;

  std::unique_ptr<SharedLock> index_lock;
  if (IsHnsw()) index_lock = std::make_unique<SharedLock>(index_mu_);
  SharedLock state_lock(state_mu_);
  if (dropped_) return NotFoundError();
  std::unique_ptr<ReadTxn> txn;
  auto read_txn = [&]() -> Result<ReadTxn*> {
    if (!txn) {
      GV_ASSIGN_OR_RETURN(txn, storage_->BeginRead());
    }
    return txn.get();
  };

  std::vector<float> query;
  std::optional<uint32_t> exclude;
  if (p.by_id) {
    auto it = by_id_.find(*p.by_id);
    if (it == by_id_.end()) return Status::NotFound("No point with id " + p.by_id->ToString() + " found");
    exclude = it->second;
    GV_ASSIGN_OR_RETURN(ReadTxn * t, read_txn());
    GV_ASSIGN_OR_RETURN(query, ReadVector(t, *p.by_id));
  } else {
    GV_RETURN_IF_ERROR(CheckVector(p.vector, dimension(), distance(), "query vector"));
    query = p.vector;
    if (distance() == Distance::kCosine) NormalizeInPlace(query.data(), query.size());
  }

  const Filter* filter = p.filter && !p.filter->MatchesAll() ? p.filter.get() : nullptr;
  const size_t need = static_cast<size_t>(p.k) + p.offset;
  const size_t ef = std::max<size_t>(p.ef ? p.ef : config_.ef, need);
  QueryDistance qd(distance(), IsQuantized() ? Quantization::kSq8 : Quantization::kNone, query.data(),
                   dimension());

  std::optional<PayloadIndexSet::CandidateSet> indexed;
  if (filter) {
    indexed = FilterCandidates(*filter);
    plan.from_payload_index = indexed.has_value();
  }
  // When the indexes answer the whole filter, membership is a bit test instead of a payload evaluation.
  std::vector<uint64_t> members;
  if (indexed && indexed->exact) {
    members.assign(slots_.size() / 64 + 1, 0);
    for (uint32_t slot : indexed->slots) members[slot / 64] |= uint64_t{1} << (slot % 64);
  }
  auto accept = [&](uint32_t slot) {
    const Slot& s = slots_[slot];
    if (!s.live || (exclude && *exclude == slot)) return false;
    if (!filter) return true;
    if (!members.empty()) return (members[slot / 64] >> (slot % 64) & 1) != 0;
    return FilterMatches(*filter, s.id, s.payload);
  };
  bool exact = p.exact || !IsHnsw();
  if (!exact && filter) {
    plan.estimated_matches = EstimateMatches(*filter, indexed ? &*indexed : nullptr, live_count_);
    if (plan.estimated_matches * dimension() * sizeof(float) <= options_.full_scan_threshold_bytes) exact = true;
  }
  // How many candidates to keep before rescoring quantized distances with the stored floats.
  const size_t keep = IsQuantized() ? std::max<size_t>({ef, need * 4, 64}) : need;

  std::vector<Candidate> cands;
  auto exact_scan = [&]() {
    cands.clear();
    cands.reserve(keep);
    ExactScan(qd, query, accept, indexed ? &indexed->slots : nullptr, UsesScanCodes() && !p.exact, &cands);
  };
  if (exact) {
    plan.kind = SearchPlan::Kind::kExact;
    exact_scan();
  } else {
    plan.kind = SearchPlan::Kind::kGraph;
    std::vector<std::pair<float, uint64_t>> found;
    auto accept_graph = [&](uint64_t label) { return SlotSearchable(static_cast<uint32_t>(label)) && accept(label); };
    // A filtered walk may spend long among non-matching nodes before it reaches the matching ones (a filter
    // selecting points far from the query). Scoring every match costs about as many distance computations
    // as there are matches, so a walk that has not filled its results by then is abandoned for that.
    size_t budget = filter ? std::max<size_t>(plan.estimated_matches, 8 * ef) : 0;
    std::vector<uint64_t> seeds;
    bool matches_only = false;
    if (!members.empty()) {
      // The matches are known exactly. Probe the query's own neighbourhood: if matches are among its nearest
      // points, walk the matching subgraph from them (cheap, and accurate when matches cluster near the
      // query); if none are, the matches lie elsewhere, where a walk is slow and unreliable, and scoring them
      // all is the better plan.
      std::vector<std::pair<float, uint64_t>> probe;
      auto live = [&](uint64_t label) { return SlotSearchable(static_cast<uint32_t>(label)) && slots_[label].live; };
      plan.visited += hnsw_->Search(qd, kProbeSize, live, &probe).visited;
      for (const auto& pr : probe)
        if (accept(static_cast<uint32_t>(pr.second))) seeds.push_back(pr.second);
      matches_only = !seeds.empty();
    }
    HnswIndex::SearchStats stats;
    if (!members.empty() && seeds.empty()) {
      stats.exhausted_budget = true;  // no match near the query: straight to scoring every match
    } else {
      stats = hnsw_->Search(qd, ef, accept_graph, &found, budget, seeds, matches_only);
    }
    plan.visited += stats.visited;
    for (const auto& [d, label] : found) cands.emplace_back(d, static_cast<uint32_t>(label));
    ScanPending(query, accept, &cands, &plan);
    if (stats.exhausted_budget || cands.size() < need) {
      // The walk could not fill the request in its budget (few matches, matches far away, or matches the
      // graph does not reach): score them all, so a filter matching at least k points always returns k.
      plan.kind = SearchPlan::Kind::kGraphThenExact;
      exact_scan();
    }
  }

  if (IsQuantized()) {
    GV_ASSIGN_OR_RETURN(ReadTxn * t, read_txn());
    GV_RETURN_IF_ERROR(Rescore(t, query, &cands));
  }
  std::sort(cands.begin(), cands.end());
  if (cands.size() > need) cands.resize(need);

  std::vector<ScoredPoint> out;
  Distance d = distance();
  for (size_t i = p.offset; i < cands.size(); ++i) {
    float score = ScoreFromDistance(d, cands[i].first);
    if (p.score_threshold && !PassesThreshold(d, score, *p.score_threshold)) break;
    const Slot& s = slots_[cands[i].second];
    ScoredPoint sp;
    sp.id = s.id;
    sp.score = score;
    sp.version = s.version;
    if (p.with_payload) sp.payload = s.payload;
    if (p.with_vector) {
      GV_ASSIGN_OR_RETURN(ReadTxn * t, read_txn());
      GV_ASSIGN_OR_RETURN(sp.vector, ReadVector(t, s.id));
    }
    out.push_back(std::move(sp));
  }
  if (plan_out) *plan_out = plan;
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Background indexing

bool Collection::HasIndexWork() {
  if (!IsHnsw()) return false;
  SharedLock state_lock(state_mu_);
  return !dropped_ && (!pending_queue_.empty() || !unindex_queue_.empty());
}

size_t Collection::IndexSome(size_t max_points, unsigned threads) {
  if (!IsHnsw() || dropped_) return 0;
  std::vector<std::pair<uint32_t, uint64_t>> work;
  std::vector<std::vector<float>> vectors;
  std::vector<uint32_t> unindex;
  {
    UniqueLock state_lock(state_mu_);
    unindex.swap(unindex_queue_);
    size_t taken = 0;
    while (taken < pending_queue_.size() && work.size() < max_points) {
      uint32_t slot = pending_queue_[taken++];
      Slot& s = slots_[slot];
      if (!s.live || s.in_flight || (s.in_graph && s.graph_version == s.vector_version)) continue;
      auto it = pending_vectors_.find(slot);
      if (it == pending_vectors_.end()) continue;
      work.emplace_back(slot, s.vector_version);
      vectors.push_back(it->second);
      s.in_flight = true;
    }
    pending_queue_.erase(pending_queue_.begin(), pending_queue_.begin() + static_cast<long>(taken));
  }
  if (work.empty() && unindex.empty()) return 0;

  std::vector<std::optional<Status>> results(work.size());
  {
    UniqueLock index_lock(index_mu_);
    for (uint32_t slot : unindex) hnsw_->MarkDeleted(slot);
    InsertRound(hnsw_.get(), work, vectors, threads, &results);
  }
  size_t inserted = 0, failed = 0, given_up = 0;
  Status first_error;
  {
    UniqueLock state_lock(state_mu_);
    for (uint32_t slot : unindex) {
      slots_[slot].unindex_queued = false;
      slots_[slot].in_graph = false;
      FreeIfUnused(slot);
    }
    for (size_t i = 0; i < work.size(); ++i) {
      auto [slot, version] = work[i];
      Slot& s = slots_[slot];
      s.in_flight = false;
      bool ok = results[i] && results[i]->ok();
      bool error = results[i] && !ok;  // (no result: the round ended before its turn)
      if (ok) {
        ++inserted;
        s.in_graph = true;
        s.graph_version = version;
      } else if (error) {
        if (failed++ == 0) first_error = *results[i];
      }
      if (!s.live) {
        if (s.in_graph)
          QueueUnindex(slot);  // deleted while it was being inserted
        else
          FreeIfUnused(slot);
      } else if (ok && s.vector_version == version) {
        pending_vectors_.erase(slot);
      } else if (error && s.vector_version == version && ++s.insert_failures >= kMaxInsertAttempts) {
        ++given_up;  // stays pending, so searches score it exactly, but is not queued again
      } else {
        pending_queue_.push_back(slot);  // updated meanwhile, not reached, or failed: try again
      }
    }
  }
  if (given_up > 0)
    catalog_->RecordBackgroundError(Status(
        first_error.code(), "collection `" + name() + "`: " + std::to_string(given_up) +
                                " points left out of the HNSW graph after " + std::to_string(kMaxInsertAttempts) +
                                " failed insertions each (searches still find them by exact scan; rewriting a "
                                "point or restarting the engine tries again): " + first_error.message()));
  else if (failed > 0)
    InfoLog(options_, InfoLogLevel::kWarning,
            "collection `" + name() + "`: " + std::to_string(failed) +
                " graph insertions failed and will be tried again: " + first_error.ToString());
  changes_since_snapshot_ += inserted + unindex.size();
  return inserted + unindex.size();
}

bool Collection::WaitIndexed(int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    {
      SharedLock state_lock(state_mu_);
      if (dropped_ || (pending_vectors_.empty() && unindex_queue_.empty() && pending_queue_.empty())) return true;
    }
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

// ---------------------------------------------------------------------------------------------------------
// Snapshots, info, drop

Status Collection::SaveSnapshot() {
  if (!IsHnsw()) return Status::OK();
  std::lock_guard<std::mutex> snapshot_lock(snapshot_mu_);
  if (dropped_ || changes_since_snapshot_.load() == 0) return Status::OK();
  SharedLock index_lock(index_mu_);
  SharedLock state_lock(state_mu_);
  if (mkdir(index_dir_.c_str(), 0700) != 0 && errno != EEXIST)
    return Status::IOError("cannot create " + index_dir_ + ": " + strerror(errno));
  // CURRENT names snapshot_generation_ (or an earlier one), never gen (see LoadSnapshot): until CURRENT is
  // replaced, a failure removes what this attempt wrote, so no partial file is left behind.
  const uint64_t previous = snapshot_generation_, gen = previous + 1;
  const std::string graph_path = index_dir_ + "/graph." + std::to_string(gen);
  const std::string labels_path = index_dir_ + "/labels." + std::to_string(gen);
  auto fail = [&](const Status& s) {
    unlink(graph_path.c_str());
    unlink(labels_path.c_str());
    return s;
  };
  Status s = hnsw_->Save(graph_path);
  if (!s.ok()) return fail(s);

  std::string labels(kSnapshotMagic, 8);
  PutPod(&labels, gen);
  PutPod(&labels, static_cast<uint64_t>(meta_.uid()));
  PutPod(&labels, static_cast<uint32_t>(dimension()));
  PutPod(&labels, static_cast<uint8_t>(meta_.distance()));
  PutPod(&labels, static_cast<uint8_t>(meta_.quantization()));
  PutPod(&labels, static_cast<uint16_t>(0));
  PutPod(&labels, static_cast<uint64_t>(slots_.size()));
  for (const Slot& slot : slots_) {
    bool keep = slot.live && slot.in_graph && !slot.in_flight;
    std::string key = keep ? slot.id.Key() : std::string();
    PutPod(&labels, keep ? slot.graph_version : uint64_t{0});
    PutPod(&labels, static_cast<uint32_t>(key.size()));
    labels += key;
  }
  PutPod(&labels, Fnv1a(labels));
  s = WriteFileDurably(labels_path, labels);
  // The new files' names reach the disk before CURRENT names them.
  if (s.ok()) s = SyncDirectory(index_dir_);
  if (s.ok()) s = WriteFileDurably(index_dir_ + "/CURRENT", std::to_string(gen));
  if (!s.ok()) return fail(s);
  snapshot_generation_ = gen;
  // The previous generation's files go only once the new CURRENT is on disk: until then a crash may leave
  // the old CURRENT, which names them. (Unlinking a file that is not there is harmless.)
  GV_RETURN_IF_ERROR(SyncDirectory(index_dir_));
  unlink((index_dir_ + "/graph." + std::to_string(previous)).c_str());
  unlink((index_dir_ + "/labels." + std::to_string(previous)).c_str());
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
    info.index_memory_bytes = hnsw_->MemoryBytes() + scan_codes_.capacity();
    info.snapshot_pending = changes_since_snapshot_.load() > 0;
    info.vector_memory_bytes = hnsw_->VectorBytes();
    for (const auto& [slot, v] : pending_vectors_) info.pending_memory_bytes += v.size() * sizeof(float);
  } else {
    info.indexed_vectors = live_count_;
    info.index_memory_bytes = arena_.capacity();
    info.vector_memory_bytes = live_count_ * ElementBytes();
  }
  info.payload_indexes = payload_indexes_.Info();
  return info;
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
