// TxnOverlay and OverlayView: see txn_overlay.h.
#include "engine/txn_overlay.h"

#include <algorithm>
#include <cstring>
#include <unordered_map>
#include <unordered_set>

#include "engine/distance.h"
#include "engine/mmr.h"
#include "engine/payload_codec.h"
#include "engine/payload_index.h"
#include "engine/point_checks.h"

namespace govector {

namespace {

// The filter to evaluate (null when it matches every point).
const Filter* Effective(const Filter* filter) { return filter && !filter->MatchesAll() ? filter : nullptr; }

// A shared_ptr that does not own filter (for a call that outlives nothing of it).
std::shared_ptr<const Filter> Borrow(const Filter* filter) {
  return std::shared_ptr<const Filter>(std::shared_ptr<const Filter>(), filter);
}

Status NoSuchPoint(const PointId& id) { return Status::PointNotFound(id.ToString()); }

// An estimate of the memory a JSON value takes (its node, its strings and containers), for the spill
// threshold: close enough to bound memory, and much cheaper than encoding the value.
size_t JsonBytes(const Json& j) {
  size_t n = sizeof(Json);
  switch (j.type()) {
    case Json::value_t::object:
      n += 48;
      for (auto it = j.begin(); it != j.end(); ++it) n += 48 + it.key().size() + JsonBytes(it.value());
      break;
    case Json::value_t::array:
      n += 24;
      for (const auto& e : j) n += JsonBytes(e);
      break;
    case Json::value_t::string: n += 32 + j.get_ref<const std::string&>().size(); break;
    default: break;
  }
  return n;
}

// The memory a point's vector and payload take (none for a deletion).
uint32_t DataBytes(const OverlayPoint& p) {
  if (p.deleted) return 0;
  uint64_t n = p.vector.size() * sizeof(float) + JsonBytes(p.payload);
  return static_cast<uint32_t>(std::min<uint64_t>(n, UINT32_MAX));
}

// An overlay point's payload and vector, as far as a read needs them: borrowed from memory, or read from
// the spill file.
class PointData {
 public:
  Status Load(const TxnOverlay& txn, const OverlayPoint& p, bool payload, bool vector) {
    if (!p.spilled) {
      payload_ = &p.payload;
      vector_ = &p.vector;
      return Status::OK();
    }
    payload_ = &own_payload_;
    vector_ = &own_vector_;
    return txn.ReadSpilled(p, payload ? &own_payload_ : nullptr, vector ? &own_vector_ : nullptr);
  }
  const Json& payload() const { return *payload_; }
  const std::vector<float>& vector() const { return *vector_; }

 private:
  const Json* payload_ = nullptr;
  const std::vector<float>* vector_ = nullptr;
  Json own_payload_;
  std::vector<float> own_vector_;
};

}  // namespace

// ---------------------------------------------------------------------------------------------------------
// TxnOverlay

std::shared_ptr<const Filter> OverlayCollection::IdFilter() const {
  if (!id_filter) {
    Condition c;
    c.type = Condition::Type::kHasId;
    c.ids.reserve(points.size());
    for (const auto& [id, p] : points) c.ids.insert(id);
    auto f = std::make_shared<Filter>();
    f->must.push_back(std::move(c));
    id_filter = std::move(f);
  }
  return id_filter;
}

TxnOverlay::TxnOverlay(TxnSpillOptions spill) : spill_options_(std::move(spill)) {}

TxnOverlay::~TxnOverlay() = default;

const OverlayCollection* TxnOverlay::Find(uint32_t ns, std::string_view name) const {
  auto it = collections_.find({ns, std::string(name)});
  return it == collections_.end() ? nullptr : &it->second;
}

OverlayCollection& TxnOverlay::Entry(const Key& key) { return collections_[key]; }

uint32_t TxnOverlay::KeyIndex(const Key& key) {
  auto [it, added] = key_index_.emplace(key, static_cast<uint32_t>(keys_.size()));
  if (added) keys_.push_back(key);
  return it->second;
}

uint64_t TxnOverlay::spilled_bytes() const { return spill_ ? spill_->size() : 0; }

Result<uint64_t> TxnOverlay::AppendToSpill(const OverlayPoint& p, uint32_t* payload_bytes, uint32_t* data_bytes) {
  if (!spill_) {
    GV_ASSIGN_OR_RETURN(spill_, SpillFile::Create(spill_options_.path));
    if (spill_options_.info_log)
      spill_options_.info_log(InfoLogLevel::kInfo,
                              "a transaction holds more than " + std::to_string(spill_options_.threshold_bytes) +
                                  " bytes of uncommitted vectors and payloads: spilling them to " + spill_->path());
  }
  // The payload as a stored point's (so it comes back exactly as committed state gives it), then the floats.
  pb::Point record;
  GV_RETURN_IF_ERROR(JsonToStruct(p.payload, record.mutable_payload()));
  std::string bytes = record.SerializeAsString();
  const size_t payload_size = bytes.size();
  bytes.append(reinterpret_cast<const char*>(p.vector.data()), p.vector.size() * sizeof(float));
  if (bytes.size() > UINT32_MAX) return Status::ResourceExhausted("a point of more than 4 GiB cannot be spilled");
  GV_ASSIGN_OR_RETURN(uint64_t offset, spill_->Append(bytes));
  *payload_bytes = static_cast<uint32_t>(payload_size);
  *data_bytes = static_cast<uint32_t>(bytes.size());
  return offset;
}

void TxnOverlay::MarkSpilled(OverlayPoint* p, uint64_t offset, uint32_t payload_bytes, uint32_t data_bytes) {
  p->spill_offset = offset;
  p->spilled = true;
  p->data_bytes = data_bytes;
  p->payload_bytes = payload_bytes;
  std::vector<float>().swap(p->vector);
  p->payload = Json();
}

Status TxnOverlay::Spill(OverlayPoint* p) {
  uint32_t payload_bytes = 0, data_bytes = 0;
  GV_ASSIGN_OR_RETURN(uint64_t offset, AppendToSpill(*p, &payload_bytes, &data_bytes));
  MarkSpilled(p, offset, payload_bytes, data_bytes);
  return Status::OK();
}

Status TxnOverlay::SpillQueued() {
  if (spill_queue_.empty()) return Status::OK();
  // Everything is appended and flushed before any point is marked, so a failure leaves them all in memory.
  struct Done {
    OverlayPoint* point;
    uint64_t offset;
    uint32_t payload_bytes, data_bytes, memory_bytes;
  };
  std::vector<Done> done;
  done.reserve(spill_queue_.size());
  for (const auto& [k, id] : spill_queue_) {
    auto c = collections_.find(keys_[k]);
    if (c == collections_.end()) continue;
    auto it = c->second.points.find(id);
    if (it == c->second.points.end() || it->second.spilled || it->second.data_bytes == 0) continue;
    Done d{&it->second, 0, 0, 0, it->second.data_bytes};
    auto offset = AppendToSpill(it->second, &d.payload_bytes, &d.data_bytes);
    if (!offset.ok()) return Status(offset.status().code(), "cannot spill the transaction's points: " + offset.status().message());
    d.offset = *offset;
    done.push_back(d);
  }
  if (spill_) {
    Status st = spill_->Flush();
    if (!st.ok()) return Status(st.code(), "cannot spill the transaction's points: " + st.message());
  }
  for (const Done& d : done) {
    memory_bytes_ -= d.memory_bytes;
    MarkSpilled(d.point, d.offset, d.payload_bytes, d.data_bytes);
  }
  spill_queue_.clear();
  return Status::OK();
}

Status TxnOverlay::ReadSpilled(const OverlayPoint& p, Json* payload, std::vector<float>* vector) const {
  if (!p.spilled || !spill_) return Status::Internal("the transaction overlay's point is not spilled");
  const size_t vector_bytes = p.data_bytes - p.payload_bytes;
  if (!payload) {
    if (!vector) return Status::OK();
    vector->resize(vector_bytes / sizeof(float));
    return spill_->Read(p.spill_offset + p.payload_bytes, vector_bytes, reinterpret_cast<char*>(vector->data()));
  }
  std::string bytes(vector ? p.data_bytes : p.payload_bytes, '\0');
  GV_RETURN_IF_ERROR(spill_->Read(p.spill_offset, bytes.size(), bytes.data()));
  pb::Point record;
  if (!ParsePoint(std::string_view(bytes.data(), p.payload_bytes), &record))
    return Status::Internal("unreadable point record in spill file " + spill_->path());
  *payload = StructToJson(record.payload());
  if (vector) {
    vector->resize(vector_bytes / sizeof(float));
    std::memcpy(vector->data(), bytes.data() + p.payload_bytes, vector_bytes);
  }
  return Status::OK();
}

void TxnOverlay::Release(const OverlayPoint& p) {
  if (!p.spilled) memory_bytes_ -= p.data_bytes;
}

void TxnOverlay::Release(const OverlayCollection& c) {
  for (const auto& [id, p] : c.points) Release(p);
}

Status TxnOverlay::PutPoints(const Key& key, std::vector<std::pair<PointId, OverlayPoint>> points) {
  // Each point's vector and payload stay in memory while the data held there stays within the threshold,
  // and go to the spill file after. All are written to the file before the overlay changes, so a write that
  // fails changes nothing.
  if (defer_spill_) GV_RETURN_IF_ERROR(SpillQueued());  // an earlier write's points first (or its error)
  uint64_t held = memory_bytes_;
  for (auto& [id, p] : points) {
    p.spilled = false;
    p.data_bytes = DataBytes(p);
    if (defer_spill_ || held + p.data_bytes <= spill_options_.threshold_bytes || p.data_bytes == 0) {
      held += p.data_bytes;
      continue;
    }
    Status st = Spill(&p);
    if (!st.ok()) return Status(st.code(), "cannot spill the transaction's points: " + st.message());
  }
  if (spill_) {
    Status st = spill_->Flush();
    if (!st.ok()) return Status(st.code(), "cannot spill the transaction's points: " + st.message());
  }
  OverlayCollection& c = Entry(key);
  const uint32_t k = KeyIndex(key);
  for (auto& [id, p] : points) {
    if (!p.spilled) memory_bytes_ += p.data_bytes;
    if (defer_spill_ && p.data_bytes > 0 && memory_bytes_ > spill_options_.threshold_bytes)
      spill_queue_.emplace_back(k, id);
    const uint32_t subxact = p.subxact;
    auto it = c.points.find(id);
    if (it == c.points.end()) {
      c.points.emplace(id, std::move(p));
      c.id_filter.reset();
      undo_.push_back(Undo{Undo::Kind::kPoint, subxact, k, id, nullptr, nullptr});
      continue;
    }
    // A point last changed in this same subtransaction needs no second record: rolling the subtransaction
    // back restores it from the record of its first change there.
    if (it->second.subxact != subxact)
      undo_.push_back(
          Undo{Undo::Kind::kPoint, subxact, k, id, std::make_unique<OverlayPoint>(std::move(it->second)), nullptr});
    else
      Release(it->second);
    it->second = std::move(p);
  }
  return Status::OK();
}

void TxnOverlay::PutCollection(const Key& key, OverlayCollection collection, uint32_t subxact) {
  Undo u{Undo::Kind::kCollection, subxact, KeyIndex(key), PointId(), nullptr, nullptr};
  auto it = collections_.find(key);
  if (it != collections_.end()) {
    u.collection = std::make_unique<OverlayCollection>(std::move(it->second));
    it->second = std::move(collection);
  } else {
    collections_.emplace(key, std::move(collection));
  }
  undo_.push_back(std::move(u));
}

void TxnOverlay::AddPayloadIndex(const Key& key, PayloadIndexSpec index, uint32_t subxact) {
  Entry(key).payload_indexes.push_back(std::move(index));
  undo_.push_back(Undo{Undo::Kind::kPayloadIndex, subxact, KeyIndex(key), PointId(), nullptr, nullptr});
}

void TxnOverlay::RollbackTo(uint32_t subxact) {
  while (!undo_.empty() && undo_.back().subxact >= subxact) {
    Undo u = std::move(undo_.back());
    undo_.pop_back();
    const Key& key = keys_[u.key];
    switch (u.kind) {
      case Undo::Kind::kPoint: {
        OverlayCollection& c = Entry(key);
        auto it = c.points.find(u.id);
        if (it != c.points.end()) Release(it->second);
        if (!u.point) {
          if (it != c.points.end()) c.points.erase(it);
          c.id_filter.reset();
        } else if (it != c.points.end()) {
          it->second = std::move(*u.point);
        } else {
          c.points.emplace(u.id, std::move(*u.point));
          c.id_filter.reset();
        }
        break;
      }
      case Undo::Kind::kCollection: {
        auto it = collections_.find(key);
        if (it != collections_.end()) Release(it->second);
        if (u.collection)
          collections_[key] = std::move(*u.collection);
        else if (it != collections_.end())
          collections_.erase(it);
        break;
      }
      case Undo::Kind::kPayloadIndex: Entry(key).payload_indexes.pop_back(); break;
    }
  }
}

void TxnOverlay::Clear() {
  spill_queue_.clear();
  collections_.clear();
  undo_.clear();
  keys_.clear();
  key_index_.clear();
  memory_bytes_ = 0;
  if (!spill_) return;
  const std::string said = "removed " + spill_->path() + " (" + std::to_string(spill_->size()) + " bytes)";
  spill_.reset();
  if (spill_options_.info_log) spill_options_.info_log(InfoLogLevel::kInfo, said);
}

// ---------------------------------------------------------------------------------------------------------
// OverlayView

OverlayView::OverlayView(std::shared_ptr<Collection> committed, const TxnOverlay* txn,
                         const OverlayCollection* overlay)
    : committed_(std::move(committed)), txn_(txn), overlay_(overlay) {}

uint32_t OverlayView::dimension() const { return committed_ ? committed_->dimension() : overlay_->config.dimension; }

Distance OverlayView::distance() const { return committed_ ? committed_->distance() : overlay_->config.distance; }

Result<bool> OverlayView::Visible(const Filter* filter, const PointId& id, const OverlayPoint& p) const {
  if (p.deleted) return false;
  if (!filter) return true;
  PointData data;
  GV_RETURN_IF_ERROR(data.Load(*txn_, p, true, false));
  return FilterMatches(*filter, id, data.payload());
}

Result<Record> OverlayView::ToRecord(const PointId& id, const OverlayPoint& p, bool with_payload,
                                     bool with_vector) const {
  Record r;
  r.id = id;
  r.version = p.version;
  if (!p.spilled) {
    if (with_payload) r.payload = p.payload;
    if (with_vector) r.vector = p.vector;
    return r;
  }
  Json payload;
  std::vector<float> vector;
  GV_RETURN_IF_ERROR(txn_->ReadSpilled(p, with_payload ? &payload : nullptr, with_vector ? &vector : nullptr));
  if (with_payload) r.payload = std::move(payload);
  if (with_vector) r.vector = std::move(vector);
  return r;
}

const OverlayPoint* OverlayView::Own(const PointId& id) const {
  if (!overlay_) return nullptr;
  auto it = overlay_->points.find(id);
  return it == overlay_->points.end() ? nullptr : &it->second;
}

std::shared_ptr<const Filter> OverlayView::Beneath(std::shared_ptr<const Filter> filter) const {
  if (!HasPoints()) return filter;
  auto f = std::make_shared<Filter>();
  if (Effective(filter.get())) {
    Condition c;
    c.type = Condition::Type::kFilter;
    c.filter = std::move(filter);
    f->must.push_back(std::move(c));
  }
  Condition own;
  own.type = Condition::Type::kFilter;
  own.filter = overlay_->IdFilter();
  f->must_not.push_back(std::move(own));
  return f;
}

Result<std::vector<Record>> OverlayView::Get(const std::vector<PointId>& ids, bool with_payload,
                                             bool with_vector) const {
  if (!HasPoints()) {
    if (committed_) return committed_->Get(ids, with_payload, with_vector);
    return std::vector<Record>();
  }
  std::vector<PointId> beneath;
  for (const PointId& id : ids)
    if (!Own(id)) beneath.push_back(id);
  std::unordered_map<PointId, Record, PointIdHash> found;
  if (committed_ && !beneath.empty()) {
    GV_ASSIGN_OR_RETURN(auto records, committed_->Get(beneath, with_payload, with_vector));
    for (auto& r : records) found.emplace(r.id, std::move(r));
  }
  // In the order asked, each id once, as Collection::Get answers.
  std::vector<Record> out;
  std::unordered_set<PointId, PointIdHash> seen;
  for (const PointId& id : ids) {
    if (!seen.insert(id).second) continue;
    if (const OverlayPoint* own = Own(id)) {
      if (own->deleted) continue;
      GV_ASSIGN_OR_RETURN(Record r, ToRecord(id, *own, with_payload, with_vector));
      out.push_back(std::move(r));
    } else if (auto it = found.find(id); it != found.end()) {
      out.push_back(std::move(it->second));
    }
  }
  return out;
}

Result<uint64_t> OverlayView::Count(const Filter* filter) const {
  if (!HasPoints()) {
    if (committed_) return committed_->Count(filter);
    return uint64_t{0};
  }
  uint64_t n = 0;
  if (committed_) {
    std::shared_ptr<const Filter> beneath = Beneath(Borrow(filter));
    GV_ASSIGN_OR_RETURN(n, committed_->Count(beneath.get()));
  }
  const Filter* f = Effective(filter);
  for (const auto& [id, p] : overlay_->points) {
    GV_ASSIGN_OR_RETURN(bool visible, Visible(f, id, p));
    n += visible;
  }
  return n;
}

Result<ScrollPage> OverlayView::Scroll(const ScrollParams& params) const {
  GV_RETURN_IF_ERROR(CheckScrollParams(params));
  if (!HasPoints()) {
    if (committed_) return committed_->Scroll(params);
    return ScrollPage();
  }
  // The committed points (less the overlay's ids) and the overlay's visible ones in the scroll's range,
  // merged in id order; the offset counts both. Committed points come a page at a time, a page as long as
  // the merged page can use (and one more, for its next).
  ScrollParams cp = params;
  cp.filter = Beneath(params.filter);
  cp.offset = 0;
  cp.limit = static_cast<uint32_t>(std::min<size_t>(kMaxScrollLimit, size_t{params.offset} + params.limit + 1));
  ScrollPage beneath;
  size_t next_beneath = 0;
  bool more_beneath = committed_ != nullptr;
  auto below = [&]() -> Result<Record*> {
    while (next_beneath == beneath.points.size() && more_beneath) {
      GV_ASSIGN_OR_RETURN(beneath, committed_->Scroll(cp));
      next_beneath = 0;
      more_beneath = beneath.next.has_value();
      cp.start = beneath.next;
      cp.after.reset();
    }
    return next_beneath < beneath.points.size() ? &beneath.points[next_beneath] : nullptr;
  };
  const Filter* f = Effective(params.filter.get());
  const auto end = overlay_->points.end();
  auto own = params.start ? overlay_->points.lower_bound(*params.start) : overlay_->points.begin();
  if (params.after && own != end && !(*params.after < own->first)) own = overlay_->points.upper_bound(*params.after);
  auto skip_hidden = [&]() -> Status {
    for (; own != end; ++own) {
      GV_ASSIGN_OR_RETURN(bool visible, Visible(f, own->first, own->second));
      if (visible) break;
    }
    return Status::OK();
  };
  GV_RETURN_IF_ERROR(skip_hidden());
  ScrollPageFiller fill(params);
  while (true) {
    GV_ASSIGN_OR_RETURN(Record * committed, below());
    bool take_own = own != end && (!committed || own->first < committed->id);
    if (!take_own && !committed) break;
    ScrollPageFiller::Turn turn = fill.Next(take_own ? own->first : committed->id);
    if (turn == ScrollPageFiller::Turn::kFull) break;
    if (!take_own) {
      if (turn == ScrollPageFiller::Turn::kTake) fill.Add(std::move(*committed));
      ++next_beneath;
      continue;
    }
    if (turn == ScrollPageFiller::Turn::kTake) {
      GV_ASSIGN_OR_RETURN(Record r, ToRecord(own->first, own->second, params.with_payload, params.with_vector));
      fill.Add(std::move(r));
    }
    ++own;
    GV_RETURN_IF_ERROR(skip_hidden());
  }
  return std::move(fill.page());
}

Status OverlayView::Query(const SearchParams& p, SearchParams* committed, std::vector<float>* query) const {
  if (!p.by_id) {
    GV_RETURN_IF_ERROR(CheckVector(p.vector, dimension(), distance(), "query vector"));
    *query = p.vector;
  } else if (const OverlayPoint* own = Own(*p.by_id)) {
    if (own->deleted) return NoSuchPoint(*p.by_id);
    // Committed state does not hold this vector: search it with the vector itself (the point is one of the
    // overlay's ids, which committed results leave out anyway).
    PointData data;
    GV_RETURN_IF_ERROR(data.Load(*txn_, *own, false, true));
    *query = data.vector();
    committed->by_id.reset();
    committed->vector = data.vector();
  } else {
    if (!committed_) return NoSuchPoint(*p.by_id);
    GV_ASSIGN_OR_RETURN(auto records, committed_->Get({*p.by_id}, false, true));
    if (records.empty()) return NoSuchPoint(*p.by_id);
    *query = std::move(*records[0].vector);
  }
  // A cosine query, given or stored (as written), is searched normalised.
  if (distance() == Distance::kCosine) NormalizeInPlace(query->data(), query->size());
  return Status::OK();
}

Result<std::vector<ScoredPoint>> OverlayView::CommittedHits(SearchParams p, size_t need) const {
  // k is at most kMaxK while k + offset may be more: ask for the ranks in chunks. Each chunk is its own
  // search, so a point may come twice at a chunk's edge; the first one counts.
  std::vector<ScoredPoint> hits;
  std::unordered_set<PointId, PointIdHash> seen;
  for (size_t start = 0; start < need;) {
    p.offset = static_cast<uint32_t>(start);
    p.k = static_cast<uint32_t>(std::min<size_t>(kMaxK, need - start));
    GV_ASSIGN_OR_RETURN(auto chunk, committed_->Search(p));
    bool short_chunk = chunk.size() < p.k;
    for (auto& h : chunk)
      if (seen.insert(h.id).second) hits.push_back(std::move(h));
    if (short_chunk) break;
    start += p.k;
  }
  return hits;
}

Result<std::vector<ScoredPoint>> OverlayView::Search(const SearchParams& p) const {
  if (!HasPoints() && committed_) return committed_->Search(p);
  GV_RETURN_IF_ERROR(CheckSearchParams(p));
  if (p.mmr) return SearchWithMmr(p, distance(), [&](const SearchParams& pool) { return Search(pool); });
  SearchParams cp = p;
  std::vector<float> query;
  GV_RETURN_IF_ERROR(Query(p, &cp, &query));
  const size_t need = static_cast<size_t>(p.k) + p.offset;
  std::vector<ScoredPoint> beneath;
  if (committed_) {
    cp.filter = Beneath(p.filter);
    GV_ASSIGN_OR_RETURN(beneath, CommittedHits(std::move(cp), need));
  }
  // Score the overlay's matching points exactly.
  const Distance d = distance();
  const Filter* f = Effective(p.filter.get());
  using Entry = std::pair<const PointId, OverlayPoint>;
  std::vector<std::pair<float, const Entry*>> own;
  for (const Entry& e : overlay_->points) {
    if (e.second.deleted || (p.by_id && e.first == *p.by_id)) continue;
    PointData data;
    GV_RETURN_IF_ERROR(data.Load(*txn_, e.second, f != nullptr, true));
    if (f && !FilterMatches(*f, e.first, data.payload())) continue;
    std::vector<float> buf;
    const float* v = ScoringVector(d, data.vector().data(), dimension(), &buf);
    float score = ScoreFromDistance(d, InternalDistance(d, query.data(), v, dimension()));
    if (p.score_threshold && !PassesThreshold(d, score, *p.score_threshold)) continue;
    own.emplace_back(score, &e);
  }
  // Merge best first; on a tie the committed hit (already ranked by the collection) goes first.
  struct Hit {
    float score;
    const Entry* own;  // null: beneath[index]
    size_t index;
  };
  std::vector<Hit> hits;
  for (size_t i = 0; i < beneath.size(); ++i) hits.push_back({beneath[i].score, nullptr, i});
  for (const auto& [score, e] : own) hits.push_back({score, e, 0});
  std::stable_sort(hits.begin(), hits.end(), [&](const Hit& a, const Hit& b) {
    return HigherIsBetter(d) ? a.score > b.score : a.score < b.score;
  });
  std::vector<ScoredPoint> out;
  for (size_t i = p.offset; i < std::min(hits.size(), need); ++i) {
    const Hit& h = hits[i];
    if (!h.own) {
      out.push_back(std::move(beneath[h.index]));
      continue;
    }
    GV_ASSIGN_OR_RETURN(Record r, ToRecord(h.own->first, h.own->second, p.with_payload, p.with_vector));
    ScoredPoint sp;
    sp.id = std::move(r.id);
    sp.score = h.score;
    sp.version = r.version;
    sp.payload = std::move(r.payload);
    sp.vector = std::move(r.vector);
    out.push_back(std::move(sp));
  }
  return out;
}

Status OverlayView::ForEach(const Filter* filter, bool with_vector, FunctionRef<void(Record&&)> fn) const {
  if (committed_) {
    ScrollParams sp;
    sp.filter = Beneath(Borrow(filter));
    sp.limit = kMaxScrollLimit;
    sp.with_payload = true;
    sp.with_vector = with_vector;
    while (true) {
      GV_ASSIGN_OR_RETURN(ScrollPage page, committed_->Scroll(sp));
      for (auto& r : page.points) fn(std::move(r));
      if (!page.next) break;
      sp.start = page.next;
    }
  }
  if (!overlay_) return Status::OK();
  const Filter* f = Effective(filter);
  for (const auto& [id, p] : overlay_->points) {
    GV_ASSIGN_OR_RETURN(bool visible, Visible(f, id, p));
    if (!visible) continue;
    GV_ASSIGN_OR_RETURN(Record r, ToRecord(id, p, true, with_vector));
    fn(std::move(r));
  }
  return Status::OK();
}

std::vector<PayloadIndexSpec> OverlayView::PayloadIndexes() const {
  std::vector<PayloadIndexSpec> out;
  if (committed_)
    for (const auto& pi : committed_->Info().payload_indexes) out.push_back({pi.field, pi.type});
  if (overlay_) out.insert(out.end(), overlay_->payload_indexes.begin(), overlay_->payload_indexes.end());
  return out;
}

Result<CollectionInfo> OverlayView::Info() const {
  CollectionInfo info;
  if (committed_) {
    info = committed_->Info();
    committed_->AddDiskUsage(&info);
  } else
    info.config = overlay_->config;
  if (HasPoints()) {
    GV_ASSIGN_OR_RETURN(info.points, Count(nullptr));
    info.indexed_vectors = committed_ ? std::min(info.indexed_vectors, info.points) : 0;
  }
  if (!overlay_ || overlay_->payload_indexes.empty()) return info;
  // The transaction's own indexes do not exist yet: count what they will hold.
  PayloadIndexSet added;
  for (const auto& pi : overlay_->payload_indexes) GV_RETURN_IF_ERROR(added.Add(pi.field, pi.type));
  uint32_t slot = 0;
  GV_RETURN_IF_ERROR(ForEach(nullptr, false, [&](Record&& r) { added.Insert(slot++, *r.payload); }));
  for (auto& pi : added.Info()) info.payload_indexes.push_back(std::move(pi));
  return info;
}

}  // namespace govector
