#include "server/http_api.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <unordered_set>

#include "engine/distance.h"
#include "server/rpc_handler.h"

namespace govector {

using Json = nlohmann::json;

ApiError ErrorFromStatus(const Status& s) {
  switch (s.code()) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kInvalidFilter:
      return {400, "Wrong input: " + s.message()};
    case StatusCode::kNotFound: return {404, "Not found: " + s.message()};
    case StatusCode::kAlreadyExists: return {409, "Wrong input: " + s.message()};
    case StatusCode::kResourceExhausted: return {507, "Insufficient storage: " + s.message()};
    case StatusCode::kUnavailable: return {503, "Service unavailable: " + s.message()};
    default: return {500, "Service internal error: " + s.message()};
  }
}

ApiError ValidationError(const std::string& what) { return {422, "Validation error in JSON body: " + what}; }

namespace {

// Thrown inside this file only, and turned into an ApiResult by Guard().
struct Failure {
  ApiError error;
};

[[noreturn]] void Fail(ApiError e) { throw Failure{std::move(e)}; }
[[noreturn]] void Invalid(const std::string& what) { Fail(ValidationError(what)); }
void Check(const Status& s) {
  if (!s.ok()) Fail(ErrorFromStatus(s));
}
template <typename T>
T Take(Result<T> r) {
  if (!r.ok()) Fail(ErrorFromStatus(r.status()));
  return std::move(r).value();
}

ApiResult Guard(const std::function<Json()>& fn) {
  try {
    return fn();
  } catch (const Failure& f) {
    return f.error;
  } catch (const std::bad_alloc&) {
    return ApiError{500, "Service internal error: out of memory"};
  } catch (const std::exception& e) {
    return ApiError{500, std::string("Service internal error: ") + e.what()};
  }
}

const Json* Field(const Json& body, const char* key) {
  if (!body.is_object()) return nullptr;
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return nullptr;
  return &*it;
}

uint32_t UInt(const Json& body, const char* key, uint32_t fallback, uint32_t min, uint32_t max) {
  const Json* v = Field(body, key);
  if (!v) return fallback;
  if (!v->is_number_integer() && !v->is_number_unsigned())
    Invalid(std::string(key) + ": expected a non-negative integer, got " + v->dump());
  if (v->is_number_integer() && v->get<int64_t>() < 0)
    Invalid(std::string(key) + ": expected a non-negative integer, got " + v->dump());
  uint64_t n = v->get<uint64_t>();
  if (n < min || n > max)
    Invalid(std::string(key) + " must be between " + std::to_string(min) + " and " + std::to_string(max) +
            ", got " + std::to_string(n));
  return static_cast<uint32_t>(n);
}

bool Flag(const Json& body, const char* key, bool fallback) {
  const Json* v = Field(body, key);
  if (!v) return fallback;
  if (!v->is_boolean()) Invalid(std::string(key) + ": expected true or false, got " + v->dump());
  return v->get<bool>();
}

// Qdrant's point ids: an unsigned integer or a UUID. govector's string ids are accepted too, except strings
// of digits, which Qdrant rejects (they look like numbers but are not). Anything else (negative or fractional
// numbers, null, which is what JSON.stringify makes of NaN, objects) is a 422 validation error, like every
// other body of the wrong shape.
PointId IdFromJson(const Json& j) {
  if (j.is_string()) {
    const std::string& s = j.get_ref<const std::string&>();
    if (!s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
      Invalid("value " + s + " is not a valid point ID, valid values are either an unsigned integer or a UUID");
  }
  auto id = PointId::FromJson(j, true);
  if (!id.ok()) Invalid(id.status().message());
  return std::move(id).value();
}

std::vector<PointId> IdList(const Json& j, const char* what) {
  if (!j.is_array()) Invalid(std::string(what) + ": expected an array of point ids");
  std::vector<PointId> ids;
  for (const Json& e : j) ids.push_back(IdFromJson(e));
  return ids;
}

std::vector<float> VectorFromJson(const Json& j, const char* what) {
  if (j.is_object()) {
    // Named vectors: one unnamed ("") entry is the collection's only vector.
    if (j.size() == 1 && j.begin().key().empty()) return VectorFromJson(j.begin().value(), what);
    Fail({400, "Wrong input: named vectors are not supported; send the vector as an array of numbers"});
  }
  if (!j.is_array()) Invalid(std::string(what) + ": expected an array of numbers");
  std::vector<float> v;
  v.reserve(j.size());
  for (const Json& x : j) {
    if (!x.is_number()) Invalid(std::string(what) + ": expected numbers, got " + x.dump());
    v.push_back(x.get<float>());
  }
  return v;
}

std::shared_ptr<const Filter> FilterFromJson(const Json& body) {
  const Json* f = Field(body, "filter");
  if (!f) return nullptr;
  return Take(ParseFilterJson(*f));
}

Durability ToDurability(bool wait) { return wait ? Durability::kDurable : Durability::kApplied; }

Json UpdateResult(uint64_t version, bool wait) {
  return {{"operation_id", version}, {"status", wait ? "completed" : "acknowledged"}};
}

// with_payload: true/false, a list of keys, {"include": [...]} or {"exclude": [...]}.
struct PayloadSelector {
  bool enabled = false;
  std::vector<std::string> include, exclude;

  static PayloadSelector From(const Json& body, bool fallback) {
    PayloadSelector s;
    const Json* v = Field(body, "with_payload");
    if (!v) {
      s.enabled = fallback;
      return s;
    }
    auto keys = [](const Json& a, std::vector<std::string>* out) {
      if (!a.is_array()) Invalid("with_payload: expected a list of keys");
      for (const Json& k : a) {
        if (!k.is_string()) Invalid("with_payload: keys must be strings");
        out->push_back(k.get<std::string>());
      }
    };
    if (v->is_boolean()) {
      s.enabled = v->get<bool>();
    } else if (v->is_array()) {
      s.enabled = true;
      keys(*v, &s.include);
    } else if (v->is_object() && v->contains("include")) {
      s.enabled = true;
      keys((*v)["include"], &s.include);
    } else if (v->is_object() && v->contains("exclude")) {
      s.enabled = true;
      keys((*v)["exclude"], &s.exclude);
    } else {
      Invalid("with_payload: expected a boolean, a list of keys, {\"include\": [...]} or {\"exclude\": [...]}");
    }
    return s;
  }

  Json Apply(const Json& payload) const {
    if (include.empty() && exclude.empty()) return payload;
    Json out = Json::object();
    for (auto it = payload.begin(); it != payload.end(); ++it) {
      bool in = include.empty() || std::find(include.begin(), include.end(), it.key()) != include.end();
      bool out_ = std::find(exclude.begin(), exclude.end(), it.key()) != exclude.end();
      if (in && !out_) out[it.key()] = it.value();
    }
    return out;
  }
};

bool WithVector(const Json& body, bool fallback) {
  const Json* v = Field(body, "with_vector");
  if (!v) return fallback;
  if (v->is_boolean()) return v->get<bool>();
  if (v->is_array()) return !v->empty();
  Invalid("with_vector: expected a boolean or a list of vector names");
}

Json RecordJson(const PointId& id, const std::optional<Json>& payload, const std::optional<std::vector<float>>& vector,
                const PayloadSelector& sel) {
  Json r = {{"id", id.ToJson()}};
  if (sel.enabled && payload) r["payload"] = sel.Apply(*payload);
  if (vector) r["vector"] = *vector;
  return r;
}

Json ScoredJson(const ScoredPoint& p, const PayloadSelector& sel) {
  Json r = {{"id", p.id.ToJson()}, {"version", p.version}, {"score", p.score}};
  if (sel.enabled && p.payload) r["payload"] = sel.Apply(*p.payload);
  if (p.vector) r["vector"] = *p.vector;
  return r;
}

const char* QdrantDistance(Distance d) {
  switch (d) {
    case Distance::kCosine: return "Cosine";
    case Distance::kEuclid: return "Euclid";
    case Distance::kDot: return "Dot";
    case Distance::kManhattan: return "Manhattan";
  }
  return "Cosine";
}

PointSelector SelectorFromJson(const Json& body) {
  PointSelector sel;
  if (const Json* f = Field(body, "filter")) {
    sel.filter = Take(ParseFilterJson(*f));
  } else if (const Json* pts = Field(body, "points")) {
    sel.ids = IdList(*pts, "points");
  } else {
    Invalid("expected \"points\" (a list of ids) or \"filter\"");
  }
  return sel;
}

// The selector of a payload operation. Qdrant refuses one that names a point that does not exist (404 "No
// point with id N found") and changes nothing; govector checks before it writes. (A point deleted between
// the check and the write is simply not changed.)
PointSelector PayloadTargets(Engine* engine, uint32_t ns, const std::string& name, const Json& body) {
  PointSelector sel = SelectorFromJson(body);
  if (sel.filter || sel.ids.empty()) return sel;
  auto found = Take(engine->Get(ns, name, sel.ids, false, false));
  std::unordered_set<PointId, PointIdHash> present;
  for (const auto& r : found) present.insert(r.id);
  for (const PointId& id : sel.ids)
    if (!present.count(id)) Fail({404, "Not found: No point with id " + id.ToString() + " found"});
  return sel;
}

// Similarity (higher is more alike) between two stored vectors, for MMR: minus the internal distance, so
// cosine or dot similarity, minus the squared L2 distance, or minus the L1 distance (Qdrant's raw scores).
float Similarity(Distance d, const std::vector<float>& a, const std::vector<float>& b) {
  return -InternalDistance(d, a.data(), b.data(), a.size());
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------
// Collections

ApiResult QdrantApi::ListCollections() {
  return Guard([&]() -> Json {
    Json list = Json::array();
    for (const auto& info : engine_->ListCollections(ns_)) list.push_back({{"name", info.meta.name()}});
    return {{"collections", list}};
  });
}

ApiResult QdrantApi::CreateCollection(const std::string& name, const Json& body) {
  return Guard([&]() -> Json {
    if (!body.is_object()) Invalid("expected an object");
    const Json* vectors = Field(body, "vectors");
    if (!vectors || !vectors->is_object()) Invalid("vectors: expected {\"size\": n, \"distance\": ...}");
    Json v = *vectors;
    if (!v.contains("size")) {
      // A map of named vectors: one is accepted as the collection's vector.
      if (v.size() != 1) Fail({400, "Wrong input: named vectors are not supported (give one unnamed vector)"});
      v = v.begin().value();
    }
    CollectionConfig c;
    c.name = name;
    if (!v.contains("size") || !v["size"].is_number_unsigned()) Invalid("vectors.size: expected a positive integer");
    if (v["size"].get<uint64_t>() < 1 || v["size"].get<uint64_t>() > kMaxDimension)
      Invalid("vectors.size must be between 1 and " + std::to_string(kMaxDimension) + ", got " + v["size"].dump());
    c.dimension = v["size"].get<uint32_t>();
    if (!v.contains("distance") || !v["distance"].is_string())
      Invalid("vectors.distance: expected Cosine, Euclid, Dot or Manhattan");
    c.distance = Take(ParseDistance(v["distance"].get<std::string>()));
    for (const Json* hnsw : {Field(body, "hnsw_config"), Field(v, "hnsw_config")}) {
      if (!hnsw) continue;
      c.m = UInt(*hnsw, "m", c.m, 0, kMaxM);
      if (c.m == 0) c.index = IndexKind::kFlat;  // Qdrant: m = 0 disables the graph
      c.ef_construct = UInt(*hnsw, "ef_construct", c.ef_construct, 4, kMaxEfConstruct);
    }
    for (const Json* q : {Field(body, "quantization_config"), Field(v, "quantization_config")}) {
      if (!q) continue;
      if (q->is_object() && q->contains("scalar")) {
        const Json& scalar = (*q)["scalar"];
        if (scalar.contains("type") && scalar["type"] != "int8")
          Fail({400, "Wrong input: scalar quantization supports type int8 only"});
        c.quantization = Quantization::kSq8;
      } else {
        Fail({400, "Wrong input: only scalar (int8) quantization is supported"});
      }
    }
    if (c.index == IndexKind::kFlat) c.m = kDefaultM;
    Check(engine_->CreateCollection(ns_, c));
    Check(engine_->Sync());
    return true;
  });
}

ApiResult QdrantApi::DeleteCollection(const std::string& name) {
  return Guard([&]() -> Json { return Take(engine_->DropCollection(ns_, name)); });
}

ApiResult QdrantApi::CollectionExists(const std::string& name) {
  return Guard([&]() -> Json { return {{"exists", engine_->Find(ns_, name).ok()}}; });
}

ApiResult QdrantApi::GetCollection(const std::string& name) {
  return Guard([&]() -> Json {
    CollectionInfo info = Take(engine_->GetCollectionInfo(ns_, name));
    const auto& m = info.meta;
    Json schema = Json::object();
    for (const auto& pi : info.payload_indexes)
      schema[pi.field] = {{"data_type", PayloadIndexTypeName(pi.type)}, {"points", pi.points}};
    Json quant = nullptr;
    if (m.quantization() == pb::SQ8) quant = {{"scalar", {{"type", "int8"}, {"always_ram", true}}}};
    return {
        {"status", info.indexed_vectors == info.points ? "green" : "yellow"},
        {"optimizer_status", "ok"},
        {"indexed_vectors_count", info.indexed_vectors},
        {"points_count", info.points},
        {"segments_count", 1},
        {"config",
         {{"params",
           {{"vectors", {{"size", m.dimension()}, {"distance", QdrantDistance(static_cast<Distance>(m.distance()))}}},
            {"shard_number", 1},
            {"replication_factor", 1},
            {"write_consistency_factor", 1},
            {"on_disk_payload", true}}},
          {"hnsw_config",
           {{"m", m.index() == pb::FLAT ? 0 : m.m()},
            {"ef_construct", m.ef_construct()},
            {"full_scan_threshold", 10000},
            {"max_indexing_threads", 0},
            {"on_disk", false}}},
          {"optimizer_config",
           {{"deleted_threshold", 0.2},
            {"vacuum_min_vector_number", 1000},
            {"default_segment_number", 0},
            {"max_segment_size", nullptr},
            {"memmap_threshold", nullptr},
            {"indexing_threshold", 0},
            {"flush_interval_sec", 1},
            {"max_optimization_threads", nullptr}}},
          {"wal_config", {{"wal_capacity_mb", 32}, {"wal_segments_ahead", 0}}},
          {"quantization_config", quant}}},
        {"payload_schema", schema},
    };
  });
}

ApiResult QdrantApi::CreateFieldIndex(const std::string& name, const Json& body, bool wait) {
  return Guard([&]() -> Json {
    const Json* field = Field(body, "field_name");
    if (!field || !field->is_string()) Invalid("field_name: expected a string");
    std::string type = "keyword";
    if (const Json* schema = Field(body, "field_schema")) {
      if (schema->is_string())
        type = schema->get<std::string>();
      else if (schema->is_object() && schema->contains("type") && (*schema)["type"].is_string())
        type = (*schema)["type"].get<std::string>();
      else
        Invalid("field_schema: expected a type name or {\"type\": ...}");
    }
    Check(engine_->CreatePayloadIndex(ns_, name, field->get<std::string>(), Take(ParsePayloadIndexType(type))));
    return UpdateResult(0, wait);
  });
}

// ---------------------------------------------------------------------------------------------------------
// Points

ApiResult QdrantApi::Upsert(const std::string& name, const Json& body, bool wait) {
  return Guard([&]() -> Json {
    std::vector<PointInput> points;
    auto payload_of = [](const Json* p) -> Json {
      if (!p) return Json::object();
      if (!p->is_object()) Invalid("payload: expected an object");
      return *p;
    };
    if (const Json* list = Field(body, "points")) {
      if (!list->is_array()) Invalid("points: expected an array");
      for (const Json& p : *list) {
        if (!p.is_object() || !p.contains("id") || !p.contains("vector")) Invalid("each point needs an id and a vector");
        PointInput in;
        in.id = IdFromJson(p["id"]);
        in.vector = VectorFromJson(p["vector"], "vector");
        in.payload = payload_of(Field(p, "payload"));
        points.push_back(std::move(in));
      }
    } else if (const Json* batch = Field(body, "batch")) {
      const Json* ids = Field(*batch, "ids");
      const Json* vectors = Field(*batch, "vectors");
      const Json* payloads = Field(*batch, "payloads");
      if (!ids || !vectors || !ids->is_array() || !vectors->is_array()) Invalid("batch: expected ids and vectors arrays");
      if (ids->size() != vectors->size() || (payloads && (!payloads->is_array() || payloads->size() != ids->size())))
        Invalid("batch: ids, vectors and payloads must have the same length");
      for (size_t i = 0; i < ids->size(); ++i) {
        PointInput in;
        in.id = IdFromJson((*ids)[i]);
        in.vector = VectorFromJson((*vectors)[i], "vectors");
        if (payloads && !(*payloads)[i].is_null()) in.payload = payload_of(&(*payloads)[i]);
        points.push_back(std::move(in));
      }
    } else {
      Invalid("expected \"points\" or \"batch\"");
    }
    if (points.empty()) return UpdateResult(0, wait);
    // Qdrant's message for a wrong dimension names no point (the engine's does); checked here so it is the
    // same for the list and the batch form.
    uint32_t dimension = Take(engine_->Find(ns_, name))->dimension();
    for (const PointInput& p : points)
      if (p.vector.size() != dimension)
        Fail({400, "Wrong input: Vector dimension error: expected dim: " + std::to_string(dimension) + ", got " +
                       std::to_string(p.vector.size())});
    WriteResult w = Take(engine_->Upsert(ns_, name, std::move(points), ToDurability(wait)));
    return UpdateResult(w.version, wait);
  });
}

ApiResult QdrantApi::Retrieve(const std::string& name, const Json& body) {
  return Guard([&]() -> Json {
    const Json* ids = Field(body, "ids");
    if (!ids) Invalid("ids: required");
    PayloadSelector sel = PayloadSelector::From(body, true);
    bool with_vector = WithVector(body, false);
    auto records = Take(engine_->Get(ns_, name, IdList(*ids, "ids"), sel.enabled, with_vector));
    Json out = Json::array();
    for (const auto& r : records) out.push_back(RecordJson(r.id, r.payload, r.vector, sel));
    return out;
  });
}

ApiResult QdrantApi::GetPoint(const std::string& name, const std::string& id_text) {
  return Guard([&]() -> Json {
    PointId id = Take(PointId::FromText(id_text));
    auto records = Take(engine_->Get(ns_, name, {id}, true, true));
    if (records.empty()) Fail({404, "Not found: No point with id " + id_text + " found"});
    PayloadSelector all;
    all.enabled = true;
    return RecordJson(records[0].id, records[0].payload, records[0].vector, all);
  });
}

ApiResult QdrantApi::Scroll(const std::string& name, const Json& body) {
  return Guard([&]() -> Json {
    if (Field(body, "order_by")) Fail({400, "Wrong input: order_by is not supported"});
    ScrollParams sp;
    sp.filter = FilterFromJson(body);
    sp.limit = UInt(body, "limit", 10, 1, kMaxScrollLimit);
    if (const Json* offset = Field(body, "offset")) sp.start = IdFromJson(*offset);
    PayloadSelector sel = PayloadSelector::From(body, true);
    sp.with_payload = sel.enabled;
    sp.with_vector = WithVector(body, false);
    ScrollPage page = Take(engine_->Scroll(ns_, name, sp));
    Json points = Json::array();
    for (const auto& r : page.points) points.push_back(RecordJson(r.id, r.payload, r.vector, sel));
    return {{"points", points}, {"next_page_offset", page.next ? page.next->ToJson() : Json(nullptr)}};
  });
}

ApiResult QdrantApi::Count(const std::string& name, const Json& body) {
  return Guard([&]() -> Json {
    auto filter = FilterFromJson(body);
    return {{"count", Take(engine_->Count(ns_, name, filter.get()))}};
  });
}

ApiResult QdrantApi::DeletePoints(const std::string& name, const Json& body, bool wait) {
  return Guard([&]() -> Json {
    WriteResult w = Take(engine_->Delete(ns_, name, SelectorFromJson(body), ToDurability(wait)));
    return UpdateResult(w.version, wait);
  });
}

ApiResult QdrantApi::SetPayload(const std::string& name, const Json& body, bool overwrite, bool wait) {
  return Guard([&]() -> Json {
    if (Field(body, "key")) Fail({400, "Wrong input: setting a payload at a nested key is not supported"});
    const Json* payload = Field(body, "payload");
    if (!payload || !payload->is_object()) Invalid("payload: expected an object");
    WriteResult w = Take(engine_->SetPayload(ns_, name, PayloadTargets(engine_, ns_, name, body), *payload, overwrite,
                                             ToDurability(wait)));
    return UpdateResult(w.version, wait);
  });
}

ApiResult QdrantApi::DeletePayload(const std::string& name, const Json& body, bool wait) {
  return Guard([&]() -> Json {
    const Json* keys = Field(body, "keys");
    if (!keys || !keys->is_array()) Invalid("keys: expected a list of payload keys");
    std::vector<std::string> k;
    for (const Json& x : *keys) {
      if (!x.is_string()) Invalid("keys: expected strings");
      k.push_back(x.get<std::string>());
    }
    WriteResult w =
        Take(engine_->DeletePayloadKeys(ns_, name, PayloadTargets(engine_, ns_, name, body), k, ToDurability(wait)));
    return UpdateResult(w.version, wait);
  });
}

ApiResult QdrantApi::ClearPayload(const std::string& name, const Json& body, bool wait) {
  return Guard([&]() -> Json {
    WriteResult w = Take(engine_->ClearPayload(ns_, name, PayloadTargets(engine_, ns_, name, body), ToDurability(wait)));
    return UpdateResult(w.version, wait);
  });
}

// ---------------------------------------------------------------------------------------------------------
// Search

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
    if (q->contains("mmr") && !(*q)["mmr"].is_null()) {
      const Json& mmr = (*q)["mmr"];
      double diversity = 0.5;
      if (mmr.contains("diversity") && !mmr["diversity"].is_null()) {
        if (!mmr["diversity"].is_number()) Invalid("mmr.diversity: expected a number between 0 and 1");
        diversity = mmr["diversity"].get<double>();
        if (diversity < 0 || diversity > 1) Fail({400, "Wrong input: mmr.diversity must be between 0 and 1"});
      }
      s->mmr_diversity = diversity;
      s->mmr_candidates = UInt(mmr, "candidates_limit", 0, 0, kMaxK);
    }
  }
  if (target->is_array()) {
    s->params.vector = VectorFromJson(*target, "query");
  } else if (target->is_number() || target->is_string()) {
    s->params.by_id = IdFromJson(*target);
  } else {
    Invalid("query: expected a vector, a point id or {\"nearest\": ...}");
  }
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

}  // namespace

static Json RunSearch(Engine* engine, uint32_t ns, const std::string& name, SearchSpec s) {
  if (s.no_query) {
    // No query: points in id order, scored 0. The offset is skipped in pages without payloads or vectors (a
    // single page of offset + limit points could exceed the scroll limit).
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
    for (const Record& r : page.points) {
      Json p = {{"id", r.id.ToJson()}, {"version", r.version}, {"score", 0}};
      if (s.selector.enabled && r.payload) p["payload"] = s.selector.Apply(*r.payload);
      if (r.vector) p["vector"] = *r.vector;
      out.push_back(p);
    }
    return out;
  }
  if (s.mmr_diversity) {
    uint32_t k = s.params.k, offset = s.params.offset;
    s.params.k = std::max(s.mmr_candidates ? s.mmr_candidates : k, k + offset);
    s.params.offset = 0;
    s.params.with_vector = true;
    auto cands = Take(engine->Search(ns, name, s.params));
    CollectionInfo info = Take(engine->GetCollectionInfo(ns, name));
    auto picked = Mmr(std::move(cands), static_cast<Distance>(info.meta.distance()), *s.mmr_diversity, k + offset);
    Json out = Json::array();
    for (size_t i = offset; i < picked.size(); ++i) {
      if (!s.user_wants_vector) picked[i].vector.reset();
      out.push_back(ScoredJson(picked[i], s.selector));
    }
    return out;
  }
  auto hits = Take(engine->Search(ns, name, s.params));
  Json out = Json::array();
  for (const auto& h : hits) out.push_back(ScoredJson(h, s.selector));
  return out;
}

ApiResult QdrantApi::Query(const std::string& name, const Json& body) {
  return Guard([&]() -> Json {
    if (!body.is_object()) Invalid("expected an object");
    SearchSpec s;
    ReadCommon(body, &s);
    ReadQuery(body, &s);
    return {{"points", RunSearch(engine_, ns_, name, std::move(s))}};
  });
}

// The batch endpoints: each request of "searches" answered by one (a failing one fails the batch).
static ApiResult Batch(const Json& body, const char* what, const std::function<ApiResult(const Json&)>& one) {
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
