// Qdrant's point routes: upsert, retrieve, get, scroll, count, delete, and the payload operations.
#include <unordered_set>

#include "server/http_api.h"
#include "server/http_json.h"
#include "server/http_pg_writes.h"

namespace govector {

using namespace http;  // the JSON helpers the routes are written with

namespace {

Json PayloadOf(const Json* p) {
  if (!p) return Json::object();
  if (!p->is_object()) Invalid("payload: expected an object");
  return *p;
}

// The points of an upsert: a list {"points": [{"id", "vector", "payload"}...]} or columns {"batch": {"ids",
// "vectors", "payloads"}}.
std::vector<PointInput> PointsFromJson(const Json& body) {
  std::vector<PointInput> points;
  KnownFields(body, "", {"points", "batch", "shard_key", "update_filter", "update_mode"});
  NotSupported(body, "", "shard_key", "a govector collection is one shard");
  NotSupported(body, "", "update_filter", "conditional upserts are not implemented yet");
  OnlyValue(body, "", "update_mode", "upsert", "only upsert (insert or replace) is implemented yet");
  if (const Json* list = Field(body, "points")) {
    if (!list->is_array()) Invalid("points: expected an array");
    for (const Json& p : *list) {
      if (!p.is_object() || !p.contains("id") || !p.contains("vector")) Invalid("each point needs an id and a vector");
      KnownFields(p, "points[]", {"id", "vector", "payload"});
      PointInput in;
      in.id = IdFromJson(p["id"]);
      in.vector = VectorFromJson(p["vector"], "vector");
      in.payload = PayloadOf(Field(p, "payload"));
      points.push_back(std::move(in));
    }
  } else if (const Json* batch = Field(body, "batch")) {
    const Json* ids = Field(*batch, "ids");
    const Json* vectors = Field(*batch, "vectors");
    const Json* payloads = Field(*batch, "payloads");
    if (!ids || !vectors || !ids->is_array() || !vectors->is_array()) Invalid("batch: expected ids and vectors arrays");
    KnownFields(*batch, "batch", {"ids", "vectors", "payloads"});
    if (ids->size() != vectors->size() || (payloads && (!payloads->is_array() || payloads->size() != ids->size())))
      Invalid("batch: ids, vectors and payloads must have the same length");
    for (size_t i = 0; i < ids->size(); ++i) {
      PointInput in;
      in.id = IdFromJson((*ids)[i]);
      in.vector = VectorFromJson((*vectors)[i], "vectors");
      if (payloads && !(*payloads)[i].is_null()) in.payload = PayloadOf(&(*payloads)[i]);
      points.push_back(std::move(in));
    }
  } else {
    Invalid("expected \"points\" or \"batch\"");
  }
  return points;
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

}  // namespace

ApiResult QdrantApi::Upsert(const std::string& name, const Json& body, bool wait) {
  return Guard([&]() -> Json {
    std::vector<PointInput> points = PointsFromJson(body);
    if (points.empty()) return UpdateResult(0, wait);
    // Qdrant's message for a wrong dimension names no point (the engine's does); checked here so it is the
    // same for the list and the batch form.
    uint32_t dimension = Take(engine_->GetConfig(ns_, name)).dimension;
    for (const PointInput& p : points)
      if (p.vector.size() != dimension)
        Fail({400, "Wrong input: Vector dimension error: expected dim: " + std::to_string(dimension) + ", got " +
                       std::to_string(p.vector.size())});
    WriteResult w = pg_ ? Take(pg_writes::Upsert(*pg_, name, points))
                        : Take(engine_->Upsert(ns_, name, std::move(points), ToDurability(wait)));
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
    QdrantVectors(engine_, ns_, name, &records);
    Json out = Json::array();
    for (const auto& r : records) out.push_back(PointJson(r, sel));
    return out;
  });
}

ApiResult QdrantApi::GetPoint(const std::string& name, const std::string& id_text) {
  return Guard([&]() -> Json {
    PointId id = Take(PointId::FromText(id_text));
    auto records = Take(engine_->Get(ns_, name, {id}, true, true));
    if (records.empty()) Fail(ErrorFromStatus(Status::PointNotFound(id_text)));
    QdrantVectors(engine_, ns_, name, &records);
    PayloadSelector all;
    all.enabled = true;
    return PointJson(records[0], all);
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
    QdrantVectors(engine_, ns_, name, &page.points);
    Json points = Json::array();
    for (const auto& r : page.points) points.push_back(PointJson(r, sel));
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
    PointSelector sel = SelectorFromJson(body);
    WriteResult w = pg_ ? Take(pg_writes::Delete(*pg_, name, sel, body))
                        : Take(engine_->Delete(ns_, name, sel, ToDurability(wait)));
    return UpdateResult(w.version, wait);
  });
}

ApiResult QdrantApi::SetPayload(const std::string& name, const Json& body, bool overwrite, bool wait) {
  return Guard([&]() -> Json {
    if (Field(body, "key")) Fail({400, "Wrong input: setting a payload at a nested key is not supported"});
    const Json* payload = Field(body, "payload");
    if (!payload || !payload->is_object()) Invalid("payload: expected an object");
    PointSelector sel = PayloadTargets(engine_, ns_, name, body);
    WriteResult w = pg_ ? Take(pg_writes::SetPayload(*pg_, name, sel, body, *payload, overwrite))
                        : Take(engine_->SetPayload(ns_, name, sel, *payload, overwrite, ToDurability(wait)));
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
    PointSelector sel = PayloadTargets(engine_, ns_, name, body);
    WriteResult w = pg_ ? Take(pg_writes::DeletePayload(*pg_, name, sel, body, k, false))
                        : Take(engine_->DeletePayloadKeys(ns_, name, sel, k, ToDurability(wait)));
    return UpdateResult(w.version, wait);
  });
}

ApiResult QdrantApi::ClearPayload(const std::string& name, const Json& body, bool wait) {
  return Guard([&]() -> Json {
    PointSelector targets = PayloadTargets(engine_, ns_, name, body);
    WriteResult w = pg_ ? Take(pg_writes::DeletePayload(*pg_, name, targets, body, {}, true))
                        : Take(engine_->ClearPayload(ns_, name, targets, ToDurability(wait)));
    return UpdateResult(w.version, wait);
  });
}

}  // namespace govector
