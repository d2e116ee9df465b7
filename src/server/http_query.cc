// Qdrant's search routes: /points/query and /points/search, one by one and in batches. Two things the engine
// does not do yet are done here: maximal marginal relevance ({"nearest": ..., "mmr": ...}), and the offset
// of a query without a query vector (points in id order, paged through with the engine's scroll).
#include <algorithm>
#include <cmath>

#include "engine/distance.h"
#include "server/http_api.h"
#include "server/http_json.h"

namespace govector {

using namespace http;  // the JSON helpers the routes are written with

namespace {

struct SearchSpec {
  SearchParams params;
  PayloadSelector selector;
  bool user_wants_vector = false;
  std::optional<double> mmr_diversity;  // set for {"nearest": ..., "mmr": {...}}
  uint32_t mmr_candidates = 0;
  bool no_query = false;                // query absent: points in id order
};

void ReadCommon(const Json& body, SearchSpec* s) {
  s->params.filter = FilterFromJson(body);
  s->params.k = UInt(body, "limit", 10, 1, kMaxK);
  s->params.offset = UInt(body, "offset", 0, 0, kMaxOffset);
  if (const Json* params = Field(body, "params")) {
    s->params.ef = UInt(*params, "hnsw_ef", 0, 0, kMaxEf);
    s->params.exact = Flag(*params, "exact", false);
  }
  if (const Json* t = Field(body, "score_threshold")) {
    if (!t->is_number()) Invalid("score_threshold: expected a number");
    s->params.score_threshold = t->get<float>();
  }
  s->selector = PayloadSelector::From(body, false);
  s->params.with_payload = s->selector.enabled;
  s->user_wants_vector = WithVector(body, false);
  s->params.with_vector = s->user_wants_vector;
}

// {"mmr": {"diversity": 0..1, "candidates_limit": n}} of a nearest query.
void ReadMmr(const Json& mmr, SearchSpec* s) {
  double diversity = 0.5;
  if (mmr.contains("diversity") && !mmr["diversity"].is_null()) {
    if (!mmr["diversity"].is_number()) Invalid("mmr.diversity: expected a number between 0 and 1");
    diversity = mmr["diversity"].get<double>();
    if (diversity < 0 || diversity > 1) Fail({400, "Wrong input: mmr.diversity must be between 0 and 1"});
  }
  s->mmr_diversity = diversity;
  s->mmr_candidates = UInt(mmr, "candidates_limit", 0, 0, kMaxK);
}

// The query field: a vector, a point id, {"nearest": vector|id, "mmr": {...}}, or absent.
void ReadQuery(const Json& body, SearchSpec* s) {
  const Json* q = Field(body, "query");
  if (const Json* using_ = Field(body, "using"); using_ && !(using_->is_string() && using_->get<std::string>().empty()))
    Fail({400, "Wrong input: named vectors are not supported (\"using\")"});
  if (Field(body, "prefetch")) Fail({400, "Wrong input: prefetch is not supported"});
  if (Field(body, "lookup_from")) Fail({400, "Wrong input: lookup_from is not supported"});
  if (!q) {
    s->no_query = true;
    return;
  }
  const Json* target = q;
  if (q->is_object()) {
    if (!q->contains("nearest"))
      Fail({400, "Wrong input: unsupported query " + (q->empty() ? std::string("{}") : "\"" + q->begin().key() + "\"") +
                 " (use a vector, a point id, or {\"nearest\": ...})"});
    target = &(*q)["nearest"];
    if (q->contains("mmr") && !(*q)["mmr"].is_null()) ReadMmr((*q)["mmr"], s);
  }
  if (target->is_array()) {
    s->params.vector = VectorFromJson(*target, "query");
  } else if (target->is_number() || target->is_string()) {
    s->params.by_id = IdFromJson(*target);
  } else {
    Invalid("query: expected a vector, a point id or {\"nearest\": ...}");
  }
}

// Similarity (higher is more alike) between two stored vectors, for MMR: minus the internal distance, so
// cosine or dot similarity, minus the squared L2 distance, or minus the L1 distance (Qdrant's raw scores).
float Similarity(Distance d, const std::vector<float>& a, const std::vector<float>& b) {
  return -InternalDistance(d, a.data(), b.data(), a.size());
}

// Maximal marginal relevance: the best first, then each next maximising
// lambda * relevance - (1 - lambda) * (greatest similarity to one already chosen), lambda = 1 - diversity.
// Relevance is the query's similarity on the same scale as Similarity() (for Euclid minus the squared
// distance, not minus the reported L2 distance), so the two terms are comparable, as in Qdrant.
std::vector<ScoredPoint> Mmr(std::vector<ScoredPoint> cands, Distance d, double diversity, size_t limit) {
  double lambda = 1 - diversity;
  auto relevance = [&](const ScoredPoint& p) { return -DistanceFromScore(d, p.score); };
  std::vector<ScoredPoint> chosen;
  std::vector<bool> used(cands.size(), false);
  while (chosen.size() < limit && chosen.size() < cands.size()) {
    size_t best = cands.size();
    double best_value = -INFINITY;
    for (size_t i = 0; i < cands.size(); ++i) {
      if (used[i]) continue;
      double max_sim = -INFINITY;
      for (const auto& c : chosen) max_sim = std::max<double>(max_sim, Similarity(d, *cands[i].vector, *c.vector));
      double value = chosen.empty() ? relevance(cands[i]) : lambda * relevance(cands[i]) - (1 - lambda) * max_sim;
      if (value > best_value) {
        best_value = value;
        best = i;
      }
    }
    used[best] = true;
    chosen.push_back(cands[best]);
  }
  return chosen;
}

// No query: points in id order, scored 0. The offset is skipped in pages without payloads or vectors (a
// single page of offset + limit points could exceed the scroll limit).
Json PointsInIdOrder(Engine* engine, uint32_t ns, const std::string& name, const SearchSpec& s) {
  ScrollParams sp;
  sp.filter = s.params.filter;
  sp.with_payload = false;
  sp.with_vector = false;
  Json out = Json::array();
  for (uint64_t skip = s.params.offset; skip > 0;) {
    sp.limit = static_cast<uint32_t>(std::min<uint64_t>(skip, kMaxScrollLimit));
    ScrollPage skipped = Take(engine->Scroll(ns, name, sp));
    skip -= std::min<uint64_t>(skip, skipped.points.size());
    if (!skipped.next) return out;
    sp.start = skipped.next;
  }
  sp.limit = s.params.k;
  sp.with_payload = s.selector.enabled;
  sp.with_vector = s.user_wants_vector;
  ScrollPage page = Take(engine->Scroll(ns, name, sp));
  for (const Record& r : page.points) out.push_back(ScoredJson(r, 0, s.selector));
  return out;
}

// MMR over the offset + limit best (or candidates_limit, when larger), read with their vectors; the offset
// is then skipped in MMR's order.
Json MmrSearch(Engine* engine, uint32_t ns, const std::string& name, SearchSpec s) {
  uint32_t k = s.params.k, offset = s.params.offset;
  s.params.k = std::max(s.mmr_candidates ? s.mmr_candidates : k, k + offset);
  s.params.offset = 0;
  s.params.with_vector = true;
  auto cands = Take(engine->Search(ns, name, s.params));
  Distance distance = Take(engine->GetConfig(ns, name)).distance;
  auto picked = Mmr(std::move(cands), distance, *s.mmr_diversity, k + offset);
  Json out = Json::array();
  for (size_t i = offset; i < picked.size(); ++i) {
    if (!s.user_wants_vector) picked[i].vector.reset();
    out.push_back(ScoredJson(picked[i], picked[i].score, s.selector));
  }
  return out;
}

Json RunSearch(Engine* engine, uint32_t ns, const std::string& name, SearchSpec s) {
  if (s.no_query) return PointsInIdOrder(engine, ns, name, s);
  if (s.mmr_diversity) return MmrSearch(engine, ns, name, std::move(s));
  auto hits = Take(engine->Search(ns, name, s.params));
  Json out = Json::array();
  for (const auto& h : hits) out.push_back(ScoredJson(h, h.score, s.selector));
  return out;
}

// The batch endpoints: each request of "searches" answered by one (a failing one fails the batch).
ApiResult Batch(const Json& body, const char* what, const std::function<ApiResult(const Json&)>& one) {
  return Guard([&]() -> Json {
    const Json* searches = Field(body, "searches");
    if (!searches || !searches->is_array()) Invalid(std::string("searches: expected an array of ") + what);
    Json out = Json::array();
    for (const Json& q : *searches) {
      ApiResult r = one(q);
      if (!r.ok()) Fail(r.error());
      out.push_back(r.result());
    }
    return out;
  });
}

}  // namespace

ApiResult QdrantApi::Query(const std::string& name, const Json& body) {
  return Guard([&]() -> Json {
    if (!body.is_object()) Invalid("expected an object");
    SearchSpec s;
    ReadCommon(body, &s);
    ReadQuery(body, &s);
    return {{"points", RunSearch(engine_, ns_, name, std::move(s))}};
  });
}

ApiResult QdrantApi::QueryBatch(const std::string& name, const Json& body) {
  return Batch(body, "queries", [&](const Json& q) { return Query(name, q); });
}

ApiResult QdrantApi::Search(const std::string& name, const Json& body) {
  return Guard([&]() -> Json {
    if (!body.is_object()) Invalid("expected an object");
    const Json* v = Field(body, "vector");
    if (!v) Invalid("vector: required");
    SearchSpec s;
    ReadCommon(body, &s);
    s.params.vector = VectorFromJson(*v, "vector");
    return RunSearch(engine_, ns_, name, std::move(s));
  });
}

ApiResult QdrantApi::SearchBatch(const std::string& name, const Json& body) {
  return Batch(body, "searches", [&](const Json& q) { return Search(name, q); });
}

}  // namespace govector
