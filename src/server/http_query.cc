// Qdrant's search routes: /points/query and /points/search, one by one and in batches. A query is a vector,
// a point id or {"nearest": ..., "mmr": ...} (the engine's search, with MMR when asked), or absent (the
// engine's scroll: points in id order, scored 0).
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
    ReadQuery(body, &s);
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

}  // namespace govector
