// TxnOverlay and OverlayView: see txn_overlay.h.
#include "engine/txn_overlay.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "engine/distance.h"
#include "engine/mmr.h"
#include "engine/payload_index.h"
#include "engine/point_checks.h"

namespace govector {

namespace {

// The filter to evaluate (null when it matches every point).
const Filter* Effective(const Filter* filter) { return filter && !filter->MatchesAll() ? filter : nullptr; }

bool Visible(const Filter* filter, const PointId& id, const OverlayPoint& p) {
  return !p.deleted && (!filter || FilterMatches(*filter, id, p.payload));
}

Record ToRecord(const PointId& id, const OverlayPoint& p, bool with_payload, bool with_vector) {
  Record r;
  r.id = id;
  r.version = p.version;
  if (with_payload) r.payload = p.payload;
  if (with_vector) r.vector = p.vector;
  return r;
}

// A shared_ptr that does not own filter (for a call that outlives nothing of it).
std::shared_ptr<const Filter> Borrow(const Filter* filter) {
  return std::shared_ptr<const Filter>(std::shared_ptr<const Filter>(), filter);
}

Status NoSuchPoint(const PointId& id) { return Status::PointNotFound(id.ToString()); }

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

const OverlayCollection* TxnOverlay::Find(uint32_t ns, std::string_view name) const {
  auto it = collections_.find({ns, std::string(name)});
  return it == collections_.end() ? nullptr : &it->second;
}

OverlayCollection& TxnOverlay::Entry(const Key& key) { return collections_[key]; }

void TxnOverlay::PutPoint(const Key& key, const PointId& id, OverlayPoint point) {
  OverlayCollection& c = Entry(key);
  Undo u{Undo::Kind::kPoint, point.subxact, key, id, std::nullopt, nullptr};
  auto it = c.points.find(id);
  if (it == c.points.end()) {
    c.points.emplace(id, std::move(point));
    c.id_filter.reset();
    undo_.push_back(std::move(u));
    return;
  }
  // A point last changed in this same subtransaction needs no second record: rolling the subtransaction
  // back restores it from the record of its first change there.
  if (it->second.subxact != point.subxact) {
    u.point = std::move(it->second);
    undo_.push_back(std::move(u));
  }
  it->second = std::move(point);
}

void TxnOverlay::PutCollection(const Key& key, OverlayCollection collection, uint32_t subxact) {
  Undo u{Undo::Kind::kCollection, subxact, key, PointId(), std::nullopt, nullptr};
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
  undo_.push_back(Undo{Undo::Kind::kPayloadIndex, subxact, key, PointId(), std::nullopt, nullptr});
}

void TxnOverlay::RollbackTo(uint32_t subxact) {
  while (!undo_.empty() && undo_.back().subxact >= subxact) {
    Undo u = std::move(undo_.back());
    undo_.pop_back();
    switch (u.kind) {
      case Undo::Kind::kPoint: {
        OverlayCollection& c = Entry(u.key);
        if (!u.point) {
          c.points.erase(u.id);
          c.id_filter.reset();
        } else if (c.points.insert_or_assign(u.id, std::move(*u.point)).second) {
          c.id_filter.reset();
        }
        break;
      }
      case Undo::Kind::kCollection:
        if (u.collection)
          collections_[u.key] = std::move(*u.collection);
        else
          collections_.erase(u.key);
        break;
      case Undo::Kind::kPayloadIndex: Entry(u.key).payload_indexes.pop_back(); break;
    }
  }
}

void TxnOverlay::Clear() {
  collections_.clear();
  undo_.clear();
}

// ---------------------------------------------------------------------------------------------------------
// OverlayView

OverlayView::OverlayView(std::shared_ptr<Collection> committed, const OverlayCollection* overlay)
    : committed_(std::move(committed)), overlay_(overlay) {}

uint32_t OverlayView::dimension() const { return committed_ ? committed_->dimension() : overlay_->config.dimension; }

Distance OverlayView::distance() const { return committed_ ? committed_->distance() : overlay_->config.distance; }

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
      if (!own->deleted) out.push_back(ToRecord(id, *own, with_payload, with_vector));
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
  for (const auto& [id, p] : overlay_->points) n += Visible(f, id, p);
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
  auto skip_hidden = [&] {
    while (own != end && !Visible(f, own->first, own->second)) ++own;
  };
  skip_hidden();
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
    if (turn == ScrollPageFiller::Turn::kTake)
      fill.Add(ToRecord(own->first, own->second, params.with_payload, params.with_vector));
    ++own;
    skip_hidden();
  }
  return std::move(fill.page());
}

Status OverlayView::Query(const SearchParams& p, SearchParams* committed, std::vector<float>* query) const {
  if (!p.by_id) {
    GV_RETURN_IF_ERROR(CheckVector(p.vector, dimension(), distance(), "query vector"));
    *query = p.vector;
    if (distance() == Distance::kCosine) NormalizeInPlace(query->data(), query->size());
    return Status::OK();
  }
  if (const OverlayPoint* own = Own(*p.by_id)) {
    if (own->deleted) return NoSuchPoint(*p.by_id);
    // Committed state does not hold this vector: search it with the vector itself (the point is one of the
    // overlay's ids, which committed results leave out anyway).
    *query = own->vector;
    committed->by_id.reset();
    committed->vector = own->vector;
    return Status::OK();
  }
  if (!committed_) return NoSuchPoint(*p.by_id);
  GV_ASSIGN_OR_RETURN(auto records, committed_->Get({*p.by_id}, false, true));
  if (records.empty()) return NoSuchPoint(*p.by_id);
  *query = std::move(*records[0].vector);
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
    if (!Visible(f, e.first, e.second) || (p.by_id && e.first == *p.by_id)) continue;
    float score = ScoreFromDistance(d, InternalDistance(d, query.data(), e.second.vector.data(), dimension()));
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
    ScoredPoint sp;
    sp.id = h.own->first;
    sp.score = h.score;
    sp.version = h.own->second.version;
    if (p.with_payload) sp.payload = h.own->second.payload;
    if (p.with_vector) sp.vector = h.own->second.vector;
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
  for (const auto& [id, p] : overlay_->points)
    if (Visible(f, id, p)) fn(ToRecord(id, p, true, with_vector));
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
  if (committed_)
    info = committed_->Info();
  else
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
