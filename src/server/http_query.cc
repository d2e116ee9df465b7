// Qdrant's search routes: /points/query and /points/search, one by one and in batches. A query is a vector,
// a point id or {"nearest": ..., "mmr": ...} (the engine's search, with MMR when asked), or absent (the
// engine's scroll: points in id order, scored 0).
#include <algorithm>

#include "engine/distance.h"
#include "server/http_api.h"
#include "server/http_json.h"

namespace govector {

using namespace http;  // the JSON helpers the routes are written with

namespace {

struct SearchSpec {
  SearchParams params;
  PayloadSelector selector;
  bool no_query = false;  // query absent: points in id order
};

void ReadCommon(const Json& body, SearchSpec* s) {
  s->params.filter = FilterFromJson(body);
  s->params.k = UInt(body, "limit", kDefaultK, 1, kMaxK);
  s->params.offset = UInt(body, "offset", 0, 0, kMaxOffset);
  NotSupported(body, "", "shard_key", "a govector collection is one shard");
  if (const Json* params = Field(body, "params")) {
    KnownFields(*params, "params", {"hnsw_ef", "exact", "quantization", "indexed_only", "acorn", "idf"});
    // Qdrant validates hnsw_ef >= 1 (422); absent means the collection's default.
    s->params.ef = UInt(*params, "hnsw_ef", 0, 1, kMaxEf);
    s->params.exact = Flag(*params, "exact", false);
    OnlyValue(*params, "params", "indexed_only", false, "govector searches every point, indexed or pending");
    NotSupported(*params, "params", "idf", "sparse vectors are not implemented yet");
    if (const Json* acorn = Field(*params, "acorn")) {
      KnownFields(*acorn, "params.acorn", {"enable", "max_selectivity"});
      OnlyValue(*acorn, "params.acorn", "enable", false, "ACORN search is not implemented");
      NotSupported(*acorn, "params.acorn", "max_selectivity", "ACORN search is not implemented");
    }
    if (const Json* q = Field(*params, "quantization")) {
      const std::string why = "an SQ8 search always rescores its best candidates (4 times the limit) with the floats";
      KnownFields(*q, "params.quantization", {"ignore", "rescore", "oversampling"});
      OnlyValue(*q, "params.quantization", "ignore", false, why);
      OnlyValue(*q, "params.quantization", "rescore", true, why);
      NotSupported(*q, "params.quantization", "oversampling", why);
    }
  }
  if (const Json* t = Field(body, "score_threshold")) {
    if (!t->is_number()) Invalid("score_threshold: expected a number");
    s->params.score_threshold = t->get<float>();
  }
  s->selector = PayloadSelector::From(body, false);
  s->params.with_payload = s->selector.enabled;
  s->params.with_vector = WithVector(body, false);
}

// {"mmr": {"diversity": 0..1, "candidates_limit": n}} of a nearest query.
void ReadMmr(const Json& mmr, SearchSpec* s) {
  double diversity = 0.5;
  if (mmr.contains("diversity") && !mmr["diversity"].is_null()) {
    if (!mmr["diversity"].is_number()) Invalid("mmr.diversity: expected a number between 0 and 1");
    diversity = mmr["diversity"].get<double>();
    if (diversity < 0 || diversity > 1) Fail({400, "Wrong input: mmr.diversity must be between 0 and 1"});
  }
  s->params.mmr = MmrParams{diversity, UInt(mmr, "candidates_limit", 0, 0, kMaxK)};
}

// Qdrant's recommend input {positive, negative, strategy} (the query API's and /points/recommend's) as a
// search: the average_vector strategy's query, avg(positive) + (avg(positive) - avg(negative)), with the
// examples given by id left out of the results (as Qdrant does). Examples are point ids or vectors; a
// cosine collection's vectors are averaged normalised, as Qdrant stores them.
void ReadRecommend(Engine* engine, uint32_t ns, const std::string& name, const Json& rec, const Json& body,
                   SearchSpec* s) {
  if (!rec.is_object()) Invalid("recommend: expected {\"positive\": [...], \"negative\": [...]}");
  KnownFields(rec, "recommend", {"positive", "negative", "strategy"});
  if (const Json* strategy = Field(rec, "strategy")) {
    if (!strategy->is_string() ||
        (*strategy != "average_vector" && *strategy != "best_score" && *strategy != "sum_scores"))
      Invalid("strategy: expected average_vector, best_score or sum_scores");
    OnlyValue(rec, "recommend", "strategy", "average_vector", "only the average_vector strategy is implemented yet");
  }
  CollectionConfig config = Take(engine->GetConfig(ns, name));
  std::vector<PointId> example_ids;
  auto examples = [&](const char* which) {
    std::vector<std::vector<float>> out;
    const Json* list = Field(rec, which);
    if (!list) return out;
    if (!list->is_array()) Invalid(std::string(which) + ": expected a list of point ids or vectors");
    std::vector<PointId> ids;
    for (const Json& e : *list) {
      if (e.is_array()) {
        out.push_back(VectorFromJson(e, which));
        if (out.back().size() != config.dimension)
          Fail({400, "Wrong input: Vector dimension error: expected dim: " + std::to_string(config.dimension) +
                         ", got " + std::to_string(out.back().size())});
      } else {
        ids.push_back(IdFromJson(e));
      }
    }
    if (!ids.empty()) {
      auto found = Take(engine->Get(ns, name, ids, false, true));
      for (const PointId& id : ids) {
        auto it = std::find_if(found.begin(), found.end(), [&](const Record& r) { return r.id == id; });
        if (it == found.end() || !it->vector) Fail({404, "Not found: No point with id " + id.ToString() + " found"});
        out.push_back(*it->vector);
        example_ids.push_back(id);
      }
    }
    if (config.distance == Distance::kCosine)
      for (auto& v : out) NormalizeInPlace(v.data(), v.size());
    return out;
  };
  std::vector<std::vector<float>> pos = examples("positive"), neg = examples("negative");
  if (pos.empty()) Fail({400, "Wrong input: recommend with the average_vector strategy needs at least one positive example"});
  auto average = [&](const std::vector<std::vector<float>>& vs) {
    std::vector<double> sum(config.dimension, 0.0);
    for (const auto& v : vs)
      for (size_t i = 0; i < v.size(); ++i) sum[i] += v[i];
    for (double& x : sum) x /= static_cast<double>(vs.size());
    return sum;
  };
  std::vector<double> avg_pos = average(pos);
  std::vector<float> query(config.dimension);
  if (neg.empty()) {
    for (size_t i = 0; i < query.size(); ++i) query[i] = static_cast<float>(avg_pos[i]);
  } else {
    std::vector<double> avg_neg = average(neg);
    for (size_t i = 0; i < query.size(); ++i) query[i] = static_cast<float>(2 * avg_pos[i] - avg_neg[i]);
  }
  s->params.vector = std::move(query);
  if (!example_ids.empty()) {
    // The user's filter, and none of the examples.
    Json ids = Json::array();
    for (const PointId& id : example_ids) ids.push_back(id.ToJson());
    Json filter = {{"must_not", Json::array({{{"has_id", ids}}})}};
    if (const Json* f = Field(body, "filter")) filter["must"] = Json::array({*f});
    s->params.filter = Take(ParseFilterJson(filter));
  }
}

// The query field: a vector, a point id, {"nearest": vector|id, "mmr": {...}}, {"recommend": {...}}, or absent.
void ReadQuery(Engine* engine, uint32_t ns, const std::string& name, const Json& body, SearchSpec* s) {
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
  if (q->is_object() && q->contains("recommend")) {
    if (q->size() != 1) Invalid("query: {\"recommend\": ...} takes no other field");
    ReadRecommend(engine, ns, name, (*q)["recommend"], body, s);
    return;
  }
  if (q->is_object()) {
    if (!q->contains("nearest"))
      Fail({400, "Wrong input: unsupported query " + (q->empty() ? std::string("{}") : "\"" + q->begin().key() + "\"") +
                 " (use a vector, a point id, {\"nearest\": ...} or {\"recommend\": ...})"});
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

// No query: points in id order, scored 0, from the offset on.
Json PointsInIdOrder(Engine* engine, uint32_t ns, const std::string& name, const SearchSpec& s) {
  ScrollParams sp;
  sp.filter = s.params.filter;
  sp.offset = s.params.offset;
  sp.limit = s.params.k;
  sp.with_payload = s.selector.enabled;
  sp.with_vector = s.params.with_vector;
  ScrollPage page = Take(engine->Scroll(ns, name, sp));
  QdrantVectors(engine, ns, name, &page.points);
  Json out = Json::array();
  for (const Record& r : page.points) out.push_back(ScoredJson(r, 0, s.selector));
  return out;
}

Json RunSearch(Engine* engine, uint32_t ns, const std::string& name, const SearchSpec& s) {
  if (s.no_query) return PointsInIdOrder(engine, ns, name, s);
  auto hits = Take(engine->Search(ns, name, s.params));
  QdrantVectors(engine, ns, name, &hits);
  Json out = Json::array();
  for (const auto& h : hits) out.push_back(ScoredJson(h, h.score, s.selector));
  return out;
}

// The batch endpoints: each request of "searches" answered by one (a failing one fails the batch).
ApiResult Batch(const Json& body, const char* what, const std::function<ApiResult(const Json&)>& one) {
  return Guard([&]() -> Json {
    const Json* searches = Field(body, "searches");
    if (!searches || !searches->is_array()) Invalid(std::string("searches: expected an array of ") + what);
    // Bounded before any search runs: a small body may otherwise ask for millions of points.
    if (searches->size() > GV_MAX_BATCH_SEARCHES)
      Fail({400, "Wrong input: a batch holds at most " + std::to_string(GV_MAX_BATCH_SEARCHES) + " " + what + ", not " +
                     std::to_string(searches->size())});
    uint64_t asked = 0;
    for (const Json& q : *searches)
      if (q.is_object()) asked += UInt(q, "limit", kDefaultK, 1, kMaxK);
    if (asked > GV_MAX_BATCH_ANSWER)
      Fail({400, "Wrong input: the " + std::string(what) + " of a batch ask for " + std::to_string(asked) +
                     " points in all (the sum of their limits); at most " + std::to_string(GV_MAX_BATCH_ANSWER) +
                     " are answered at once: split the batch"});
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
    ReadQuery(engine_, ns_, name, body, &s);
    return {{"points", RunSearch(engine_, ns_, name, s)}};
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
    return RunSearch(engine_, ns_, name, s);
  });
}

ApiResult QdrantApi::SearchBatch(const std::string& name, const Json& body) {
  return Batch(body, "searches", [&](const Json& q) { return Search(name, q); });
}

// The legacy POST /points/recommend: {positive, negative, strategy} beside the search fields.
ApiResult QdrantApi::Recommend(const std::string& name, const Json& body) {
  return Guard([&]() -> Json {
    if (!body.is_object()) Invalid("expected an object");
    if (const Json* using_ = Field(body, "using"); using_ && !(using_->is_string() && using_->get<std::string>().empty()))
      Fail({400, "Wrong input: named vectors are not supported (\"using\")"});
    NotSupported(body, "", "lookup_from", "lookup_from is not implemented yet");
    SearchSpec s;
    ReadCommon(body, &s);
    Json rec = Json::object();
    for (const char* k : {"positive", "negative", "strategy"})
      if (body.contains(k)) rec[k] = body[k];
    ReadRecommend(engine_, ns_, name, rec, body, &s);
    return RunSearch(engine_, ns_, name, s);
  });
}

ApiResult QdrantApi::RecommendBatch(const std::string& name, const Json& body) {
  return Batch(body, "searches", [&](const Json& q) { return Recommend(name, q); });
}

}  // namespace govector
