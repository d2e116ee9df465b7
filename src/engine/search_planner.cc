// A collection's searches (collection.h): the planner, which picks an exact scan or a graph walk from the
// filter's estimated matches (Qdrant's full_scan_threshold), and the scans both plans use. A graph walk
// also scores the pending set (vectors the indexer has not put in the graph yet) exactly, and falls back to
// an exact scan when it cannot fill the request. A search with MMR re-ranks a plain search's best (mmr.h).
#include "engine/collection.h"

#include <algorithm>
#include <queue>

#include "engine/distance.h"
#include "engine/mmr.h"
#include "engine/point_checks.h"

namespace govector {

namespace {

// Filtered searches with exactly known matches first look at the query's kProbeSize nearest points.
constexpr size_t kProbeSize = 16;
// An SQ8 search rescores with the floats the best kRescoreFactor * (k + offset) candidates by code distance,
// at least kMinRescore of them.
constexpr size_t kRescoreFactor = 4;
constexpr size_t kMinRescore = 32;

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

}  // namespace

// One search: its query, what its filter admits, and its plan. index_mu_ and state_mu_ held shared.
struct Collection::SearchContext {
  explicit SearchContext(const SearchParams& p) : params(p) {}

  const SearchParams& params;
  std::vector<float> query;                              // normalised for cosine
  std::optional<uint32_t> exclude;                       // the slot of params.by_id
  const Filter* filter = nullptr;                        // null: every point
  std::optional<PayloadIndexSet::CandidateSet> indexed;  // the slots the filter can match, when known
  std::vector<uint64_t> members;                         // bitset of indexed->slots when they are exact
  size_t need = 0;                                       // k + offset
  size_t ef = 0;
  // How many candidates a scan keeps, the exact plan's and a walk's fallback alike: need, or for SQ8 more,
  // since their quantized distances are rescored with the floats afterwards.
  size_t keep = 0;
  SearchPlan plan;
};

Result<std::vector<ScoredPoint>> Collection::Search(const SearchParams& p, SearchPlan* plan_out) {
  GV_RETURN_IF_ERROR(CheckSearchParams(p));
  if (p.mmr) return SearchWithMmr(p, distance(), [&](const SearchParams& pool) { return Search(pool, plan_out); });
  std::unique_ptr<SharedLock> index_lock;
  if (IsHnsw()) index_lock = std::make_unique<SharedLock>(index_mu_);
  SharedLock state_lock(state_mu_);
  if (dropped_) return NotFoundError();
  LazyReadTxn txn(storage_);
  SearchContext ctx(p);
  GV_RETURN_IF_ERROR(ResolveQuery(&ctx, &txn));
  PlanSearch(&ctx);
  QueryDistance qd(distance(), config_.quantization, ctx.query.data(), dimension());
  std::vector<Candidate> cands;
  if (ctx.plan.kind == SearchPlan::Kind::kExact)
    ExactScan(ctx, qd, ctx.keep, &cands);
  else
    GraphSearch(&ctx, qd, &cands);
  if (IsQuantized()) {
    // Rescoring reads each candidate's floats from the store: only the best by code distance are worth it
    // (a walk at ef 128 finds 128 for a request of 10). kRescoreFactor was measured, not guessed (README).
    size_t width = std::max<size_t>(ctx.need * kRescoreFactor, kMinRescore);
    if (cands.size() > width) {
      std::nth_element(cands.begin(), cands.begin() + width, cands.end());
      cands.resize(width);
    }
    GV_ASSIGN_OR_RETURN(ReadTxn * t, txn.Get());
    GV_RETURN_IF_ERROR(Rescore(t, ctx.query, &cands));
  }
  std::sort(cands.begin(), cands.end());
  if (cands.size() > ctx.need) cands.resize(ctx.need);
  GV_ASSIGN_OR_RETURN(std::vector<ScoredPoint> out, Hits(ctx, cands, &txn));
  if (plan_out) *plan_out = ctx.plan;
  return out;
}

Status Collection::ResolveQuery(SearchContext* ctx, LazyReadTxn* txn) const {
  const SearchParams& p = ctx->params;
  if (p.by_id) {
    auto it = by_id_.find(*p.by_id);
    if (it == by_id_.end()) return Status::PointNotFound(p.by_id->ToString());
    ctx->exclude = it->second;
    GV_ASSIGN_OR_RETURN(ReadTxn * t, txn->Get());
    GV_ASSIGN_OR_RETURN(ctx->query, ReadVector(t, *p.by_id));
  } else {
    GV_RETURN_IF_ERROR(CheckVector(p.vector, dimension(), distance(), "query vector"));
    ctx->query = p.vector;
  }
  // A cosine query, given or stored (as written), is searched normalised.
  if (distance() == Distance::kCosine) NormalizeInPlace(ctx->query.data(), ctx->query.size());
  return Status::OK();
}

void Collection::PlanSearch(SearchContext* ctx) const {
  const SearchParams& p = ctx->params;
  ctx->filter = p.filter && !p.filter->MatchesAll() ? p.filter.get() : nullptr;
  ctx->need = static_cast<size_t>(p.k) + p.offset;
  ctx->ef = std::max<size_t>(p.ef ? p.ef : config_.ef, ctx->need);
  ctx->keep = IsQuantized() ? std::max<size_t>({ctx->ef, ctx->need * 4, 64}) : ctx->need;
  if (ctx->filter) {
    ctx->indexed = FilterCandidates(*ctx->filter);
    ctx->plan.from_payload_index = ctx->indexed.has_value();
  }
  // When the indexes answer the whole filter, membership is a bit test instead of a payload evaluation.
  if (ctx->indexed && ctx->indexed->exact) {
    ctx->members.assign(slots_.size() / 64 + 1, 0);
    for (uint32_t slot : ctx->indexed->slots) ctx->members[slot / 64] |= uint64_t{1} << (slot % 64);
  }
  bool exact = p.exact || !IsHnsw();
  if (!exact && ctx->filter) {
    ctx->plan.estimated_matches = EstimateMatches(*ctx->filter, ctx->indexed ? &*ctx->indexed : nullptr, live_count_);
    if (ctx->plan.estimated_matches * dimension() * sizeof(float) <= options_.full_scan_threshold_bytes) exact = true;
  }
  ctx->plan.kind = exact ? SearchPlan::Kind::kExact : SearchPlan::Kind::kGraph;
}

bool Collection::Accepts(const SearchContext& ctx, uint32_t slot) const {
  const Slot& s = slots_[slot];
  if (!s.live || (ctx.exclude && *ctx.exclude == slot)) return false;
  if (!ctx.filter) return true;
  if (!ctx.members.empty()) return (ctx.members[slot / 64] >> (slot % 64) & 1) != 0;
  return FilterMatches(*ctx.filter, s.id, s.payload);
}

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

void Collection::GraphSearch(SearchContext* ctx, const QueryDistance& qd, std::vector<Candidate>* cands) const {
  SearchPlan& plan = ctx->plan;
  auto accept = [&](uint64_t label) { return Accepts(*ctx, static_cast<uint32_t>(label)); };
  auto accept_graph = [&](uint64_t label) { return SlotSearchable(static_cast<uint32_t>(label)) && accept(label); };
  // A filtered walk may spend long among non-matching nodes before it reaches the matching ones (a filter
  // selecting points far from the query). Scoring every match costs about as many distance computations
  // as there are matches, so a walk that has not filled its results by then is abandoned for that.
  size_t budget = ctx->filter ? std::max<size_t>(plan.estimated_matches, 8 * ctx->ef) : 0;
  std::vector<uint64_t> seeds;
  if (!ctx->members.empty()) {
    // The matches are known exactly. Probe the query's own neighbourhood: if matches are among its nearest
    // points, walk the matching subgraph from them (cheap, and accurate when matches cluster near the
    // query); if none are, the matches lie elsewhere, where a walk is slow and unreliable, and scoring them
    // all is the better plan.
    std::vector<std::pair<float, uint64_t>> probe;
    auto live = [&](uint64_t label) { return SlotSearchable(static_cast<uint32_t>(label)) && slots_[label].live; };
    plan.visited += hnsw_->Search(qd, kProbeSize, live, &probe).visited;
    for (const auto& pr : probe)
      if (accept(pr.second)) seeds.push_back(pr.second);
  }
  HnswIndex::SearchStats stats;
  std::vector<std::pair<float, uint64_t>> found;
  if (!ctx->members.empty() && seeds.empty()) {
    stats.exhausted_budget = true;  // no match near the query: straight to scoring every match
  } else {
    stats = hnsw_->Search(qd, ctx->ef, accept_graph, &found, budget, seeds, /*matches_only=*/!seeds.empty());
  }
  plan.visited += stats.visited;
  for (const auto& [d, label] : found) cands->emplace_back(d, static_cast<uint32_t>(label));
  ScanPending(*ctx, cands);
  if (stats.exhausted_budget || cands->size() < ctx->need) {
    // The walk could not fill the request in its budget (few matches, matches far away, or matches the
    // graph does not reach): score them all, so a filter matching at least k points always returns k.
    plan.kind = SearchPlan::Kind::kGraphThenExact;
    ExactScan(*ctx, qd, ctx->keep, cands);
  }
}

void Collection::ExactScan(const SearchContext& ctx, const QueryDistance& qd, size_t limit,
                           std::vector<Candidate>* out) const {
  out->clear();
  out->reserve(limit);
  // Scan codes for the planner's exact scans; a search the caller asks to be exact scores the floats.
  const bool use_codes = UsesScanCodes() && !ctx.params.exact;
  const size_t code_bytes = Sq8CodeBytes(dimension());
  const size_t elem = ElementBytes();
  // Scan codes: keep four times what is asked (at least 64) by code distance, then rescore those exactly.
  TopK top(use_codes ? std::max<size_t>(limit * 4, 64) : limit);
  std::optional<QueryDistance> code_qd;
  if (use_codes) code_qd.emplace(distance(), Quantization::kSq8, ctx.query.data(), dimension());
  auto data = [&](uint32_t slot) -> const void* {
    return use_codes ? scan_codes_.At(slot) : ElementOf(slot, elem);
  };
  const size_t prefetch_bytes = std::min<size_t>(use_codes ? code_bytes : elem, 1024);
  auto consider = [&](uint32_t slot) {
    if (!Accepts(ctx, slot)) return;
    if (use_codes) {
      top.Push((*code_qd)(data(slot)), slot);
      return;
    }
    float d;
    if (FloatDistance(qd, ctx.query, slot, elem, &d)) top.Push(d, slot);
  };
  if (ctx.indexed) {
    // Scoring a few thousand scattered vectors is bound by memory latency: fetch the next one's first
    // cache lines while this one is scored.
    const std::vector<uint32_t>& c = ctx.indexed->slots;
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
    if (FloatDistance(qd, ctx.query, slot, elem, &d)) exact.Push(d, slot);
  }
  exact.DrainInto(out);
}

void Collection::ScanPending(SearchContext& ctx, std::vector<Candidate>* out) const {
  for (const auto& [slot, vec] : pending_vectors_) {
    if (SlotSearchable(slot) || !Accepts(ctx, slot)) continue;
    ++ctx.plan.pending_scanned;
    out->emplace_back(InternalDistance(distance(), ctx.query.data(), vec.data(), dimension()), slot);
  }
}

Status Collection::Rescore(ReadTxn* txn, const std::vector<float>& query, std::vector<Candidate>* cands) const {
  size_t kept = 0;
  for (auto& c : *cands) {
    GV_ASSIGN_OR_RETURN(auto vec, ReadVectorIfStored(txn, slots_[c.second].id));
    if (!vec) continue;  // deleted while this search ran
    std::vector<float> buf;
    c.first = InternalDistance(distance(), query.data(), IndexedVector(vec->data(), &buf), dimension());
    (*cands)[kept++] = c;
  }
  cands->resize(kept);
  return Status::OK();
}

Result<std::vector<ScoredPoint>> Collection::Hits(const SearchContext& ctx, const std::vector<Candidate>& cands,
                                                  LazyReadTxn* txn) const {
  const SearchParams& p = ctx.params;
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
      GV_ASSIGN_OR_RETURN(ReadTxn * t, txn->Get());
      GV_ASSIGN_OR_RETURN(auto vector, ReadVectorIfStored(t, s.id));
      if (!vector) continue;  // deleted while this search ran
      sp.vector = std::move(*vector);
    }
    out.push_back(std::move(sp));
  }
  return out;
}

}  // namespace govector
