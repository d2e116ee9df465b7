// Qdrant's point routes: upsert, retrieve, get, scroll, count, delete, and the payload operations.
#include <map>
#include <set>
#include <unordered_set>

#include "engine/datetime.h"
#include "engine/json_path.h"

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
PointSelector PayloadTargets(Engine* engine, uint32_t ns, const std::string& name, const Json& body,
                             const std::unordered_set<PointId, PointIdHash>& written_before = {}) {
  PointSelector sel = SelectorFromJson(body);
  if (sel.filter || sel.ids.empty()) return sel;
  auto found = Take(engine->Get(ns, name, sel.ids, false, false));
  std::unordered_set<PointId, PointIdHash> present = written_before;
  for (const auto& r : found) present.insert(r.id);
  for (const PointId& id : sel.ids)
    if (!present.count(id)) Fail({404, "Not found: No point with id " + id.ToString() + " found"});
  return sel;
}

// The checks of an upsert that need the collection: Qdrant's message for a wrong dimension names no point
// (the engine's does), so it is checked here, the same for the list and the batch form.
void CheckDimensions(Engine* engine, uint32_t ns, const std::string& name, const std::vector<PointInput>& points) {
  if (points.empty()) return;
  uint32_t dimension = Take(engine->GetConfig(ns, name)).dimension;
  for (const PointInput& p : points)
    if (p.vector.size() != dimension)
      Fail({400, "Wrong input: Vector dimension error: expected dim: " + std::to_string(dimension) + ", got " +
                     std::to_string(p.vector.size())});
}

// The payload of a set / overwrite payload body.
const Json& SetPayloadBody(const Json& body) {
  if (Field(body, "key")) Fail({400, "Wrong input: setting a payload at a nested key is not supported"});
  const Json* payload = Field(body, "payload");
  if (!payload || !payload->is_object()) Invalid("payload: expected an object");
  return *payload;
}

// The keys of a delete payload body.
std::vector<std::string> PayloadKeys(const Json& body) {
  const Json* keys = Field(body, "keys");
  if (!keys || !keys->is_array()) Invalid("keys: expected a list of payload keys");
  std::vector<std::string> k;
  for (const Json& x : *keys) {
    if (!x.is_string()) Invalid("keys: expected strings");
    k.push_back(x.get<std::string>());
  }
  return k;
}

}  // namespace

ApiResult QdrantApi::Upsert(const std::string& name, const Json& body, bool wait) {
  return Guard([&]() -> Json {
    std::vector<PointInput> points = PointsFromJson(body);
    if (points.empty()) return UpdateResult(0, wait);
    CheckDimensions(engine_, ns_, name, points);
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

namespace {

// Scroll ordered by a payload key (Qdrant's order_by: a key with an integer, float or datetime index):
// every matching point once per value it holds under the key, by value then id, from start_from on; no
// next page (as in Qdrant: page with start_from). Found by reading the matching points.
Json OrderedScroll(Engine* engine, uint32_t ns, const std::string& name, const Json& body, const Json& order_by,
                   const PayloadSelector& sel, bool with_vector, uint32_t limit) {
  Json ob = order_by.is_string() ? Json{{"key", order_by}} : order_by;
  if (!ob.is_object() || !ob.contains("key") || !ob["key"].is_string())
    Invalid("order_by: expected a key or {\"key\", \"direction\", \"start_from\"}");
  KnownFields(ob, "order_by", {"key", "direction", "start_from"});
  if (Field(body, "offset")) Fail({400, "Bad request: Cannot use an `offset` when using `order_by`"});
  const std::string key = ob["key"].get<std::string>();
  bool desc = false;
  if (const Json* d = Field(ob, "direction")) {
    if (*d != "asc" && *d != "desc") Invalid("order_by.direction: expected asc or desc");
    desc = *d == "desc";
  }
  CollectionInfo info = Take(engine->GetCollectionInfo(ns, name));
  std::optional<PayloadIndexType> type;
  for (const auto& pi : info.payload_indexes)
    if (pi.field == key && (pi.type == PayloadIndexType::kInteger || pi.type == PayloadIndexType::kFloat ||
                            pi.type == PayloadIndexType::kDatetime))
      type = pi.type;
  if (!type)
    Fail({400, "Bad request: No range index for `order_by` key: `" + key +
                   "`. Please create one to use `order_by`. Check https://qdrant.tech/documentation/concepts/indexing/#payload-index to see which payload schemas support Range conditions"});
  // A value as the number it is ordered by: datetimes as microseconds since the epoch.
  auto number = [&](const Json& v) -> std::optional<double> {
    if (*type == PayloadIndexType::kDatetime) {
      if (!v.is_string()) return std::nullopt;
      auto t = ParseDatetimeMicros(v.get_ref<const std::string&>());
      return t ? std::optional<double>(static_cast<double>(*t)) : std::nullopt;
    }
    if (!v.is_number()) return std::nullopt;
    if (*type == PayloadIndexType::kInteger && !v.is_number_integer() && !v.is_number_unsigned()) return std::nullopt;
    return v.get<double>();
  };
  std::optional<double> start;
  if (const Json* from = Field(ob, "start_from")) {
    start = from->is_string() ? [&]() -> std::optional<double> {
      auto t = ParseDatetimeMicros(from->get_ref<const std::string&>());
      return t ? std::optional<double>(static_cast<double>(*t)) : std::nullopt;
    }()
                              : from->is_number() ? std::optional<double>(from->get<double>()) : std::nullopt;
    if (!start) Invalid("order_by.start_from: expected a number or an RFC 3339 datetime");
  }
  FieldPath path = Take(ParseFieldPath(key));
  struct Row {
    double value;
    size_t record;
  };
  std::vector<Record> records;
  std::vector<Row> rows;
  ScrollParams sp;
  sp.filter = FilterFromJson(body);
  sp.limit = kMaxScrollLimit;
  sp.with_payload = true;
  sp.with_vector = with_vector;
  for (;;) {
    ScrollPage page = Take(engine->Scroll(ns, name, sp));
    for (Record& r : page.points) {
      if (!r.payload) continue;
      bool kept = false;
      ForEachPathNode(path, *r.payload, [&](const Json& node) {
        auto add = [&](const Json& v) {
          std::optional<double> x = number(v);
          if (!x || (start && (desc ? *x > *start : *x < *start))) return;
          rows.push_back({*x, records.size()});
          kept = true;
        };
        if (node.is_array())
          for (const Json& v : node) add(v);
        else
          add(node);
        return true;
      });
      if (kept) records.push_back(std::move(r));
    }
    if (!page.next) break;
    sp.start = page.next;
  }
  // Records come in id order, so a stable sort by value keeps ties in id order.
  std::stable_sort(rows.begin(), rows.end(),
                   [&](const Row& a, const Row& b) { return desc ? a.value > b.value : a.value < b.value; });
  if (rows.size() > limit) rows.resize(limit);
  std::vector<Record> out;
  for (const Row& row : rows) out.push_back(records[row.record]);
  QdrantVectors(engine, ns, name, &out);
  Json points = Json::array();
  for (const Record& r : out) points.push_back(PointJson(r, sel));
  return {{"points", points}, {"next_page_offset", nullptr}};
}

}  // namespace

ApiResult QdrantApi::Scroll(const std::string& name, const Json& body) {
  return Guard([&]() -> Json {
    if (const Json* order_by = Field(body, "order_by")) {
      PayloadSelector sel = PayloadSelector::From(body, true);
      return OrderedScroll(engine_, ns_, name, body, *order_by, sel, WithVector(body, false),
                           UInt(body, "limit", 10, 1, kMaxScrollLimit));
    }
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

// POST /facet: how many points (matching the filter) hold each value of a key that has a keyword, integer
// or bool payload index, as Qdrant requires. Counted exactly over the matching points; a point counts once
// per distinct value it holds. Hits by count, then value; at most `limit` (10).
ApiResult QdrantApi::Facet(const std::string& name, const Json& body) {
  return Guard([&]() -> Json {
    KnownFields(body, "", {"key", "limit", "filter", "exact", "shard_key"});
    NotSupported(body, "", "shard_key", "a govector collection is one shard");
    const Json* key = Field(body, "key");
    if (!key || !key->is_string()) Invalid("key: expected a payload key");
    const std::string field = key->get<std::string>();
    uint32_t limit = UInt(body, "limit", 10, 1, kMaxK);
    Flag(body, "exact", false);  // every count is exact
    CollectionInfo info = Take(engine_->GetCollectionInfo(ns_, name));
    std::optional<PayloadIndexType> type;
    for (const auto& pi : info.payload_indexes)
      if (pi.field == field &&
          (pi.type == PayloadIndexType::kKeyword || pi.type == PayloadIndexType::kInteger || pi.type == PayloadIndexType::kBool))
        type = pi.type;
    if (!type)
      Fail({400, "Bad request: Index required but not found for \"" + field +
                     "\" of one of the following types: [keyword, integer, bool, uuid]. Help: Create an index for "
                     "this key or use a different filter."});
    auto counts = [&](const Json& v) {
      if (*type == PayloadIndexType::kKeyword) return v.is_string();
      if (*type == PayloadIndexType::kInteger) return v.is_number_integer() || v.is_number_unsigned();
      return v.is_boolean();
    };
    FieldPath path = Take(ParseFieldPath(field));
    std::map<Json, uint64_t> hits;
    ScrollParams sp;
    sp.filter = FilterFromJson(body);
    sp.limit = kMaxScrollLimit;
    sp.with_payload = true;
    for (;;) {
      ScrollPage page = Take(engine_->Scroll(ns_, name, sp));
      for (const Record& r : page.points) {
        if (!r.payload) continue;
        std::set<Json> seen;
        ForEachPathNode(path, *r.payload, [&](const Json& node) {
          if (node.is_array()) {
            for (const Json& v : node)
              if (counts(v)) seen.insert(v);
          } else if (counts(node)) {
            seen.insert(node);
          }
          return true;
        });
        for (const Json& v : seen) ++hits[v];
      }
      if (!page.next) break;
      sp.start = page.next;
    }
    std::vector<std::pair<Json, uint64_t>> sorted(hits.begin(), hits.end());
    std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    Json out = Json::array();
    for (size_t i = 0; i < sorted.size() && i < limit; ++i)
      out.push_back({{"value", sorted[i].first}, {"count", sorted[i].second}});
    return {{"hits", out}};
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
    const Json& payload = SetPayloadBody(body);
    PointSelector sel = PayloadTargets(engine_, ns_, name, body);
    WriteResult w = pg_ ? Take(pg_writes::SetPayload(*pg_, name, sel, body, payload, overwrite))
                        : Take(engine_->SetPayload(ns_, name, sel, payload, overwrite, ToDurability(wait)));
    return UpdateResult(w.version, wait);
  });
}

ApiResult QdrantApi::DeletePayload(const std::string& name, const Json& body, bool wait) {
  return Guard([&]() -> Json {
    std::vector<std::string> k = PayloadKeys(body);
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

// POST /points/batch: Qdrant's update operations, in order. Every operation is parsed and checked before any
// runs; under Postgres they run in one transaction (all commit or none does), standalone one after another.
ApiResult QdrantApi::UpdateBatch(const std::string& name, const Json& body, bool wait) {
  return Guard([&]() -> Json {
    const Json* ops = Field(body, "operations");
    if (!ops || !ops->is_array()) Invalid("operations: expected an array of update operations");
    KnownFields(body, "", {"operations"});
    if (ops->size() > GV_MAX_BATCH_SEARCHES)
      Fail({400, "Wrong input: a batch holds at most " + std::to_string(GV_MAX_BATCH_SEARCHES) + " operations, not " +
                     std::to_string(ops->size())});
    struct Op {
      std::string kind;
      const Json* body;
      std::vector<PointInput> points;
      PointSelector sel;
      std::vector<std::string> keys;
    };
    std::vector<Op> parsed;
    std::unordered_set<PointId, PointIdHash> upserted;  // ids an earlier operation writes
    for (size_t i = 0; i < ops->size(); ++i) {
      const Json& op = (*ops)[i];
      if (!op.is_object() || op.size() != 1)
        Invalid("operations[" + std::to_string(i) + "]: expected one operation, {\"upsert\": {...}}, {\"delete\": ...}, ...");
      Op o{op.begin().key(), &op.begin().value(), {}, {}, {}};
      const Json& b = *o.body;
      if (o.kind == "upsert") {
        o.points = PointsFromJson(b);
        CheckDimensions(engine_, ns_, name, o.points);
        for (const PointInput& p : o.points) upserted.insert(p.id);
      } else if (o.kind == "delete") {
        o.sel = SelectorFromJson(b);
      } else if (o.kind == "set_payload" || o.kind == "overwrite_payload") {
        SetPayloadBody(b);
        o.sel = PayloadTargets(engine_, ns_, name, b, upserted);
      } else if (o.kind == "delete_payload") {
        o.keys = PayloadKeys(b);
        o.sel = PayloadTargets(engine_, ns_, name, b, upserted);
      } else if (o.kind == "clear_payload") {
        o.sel = PayloadTargets(engine_, ns_, name, b, upserted);
      } else if (o.kind == "update_vectors" || o.kind == "delete_vectors") {
        Fail({400, "Wrong input: `operations[" + std::to_string(i) + "]." + o.kind +
                       "` is not supported yet: upsert the whole point instead"});
      } else {
        Invalid("operations[" + std::to_string(i) + "]: unknown operation \"" + o.kind +
                "\" (upsert, delete, set_payload, overwrite_payload, delete_payload, clear_payload)");
      }
      parsed.push_back(std::move(o));
    }
    Json out = Json::array();
    if (pg_) {
      std::vector<pb::Request> requests;
      for (const Op& o : parsed) {
        const Json& b = *o.body;
        if (o.kind == "upsert") requests.push_back(pg_writes::UpsertRequest(name, o.points));
        else if (o.kind == "delete") requests.push_back(pg_writes::DeleteRequest(name, o.sel, b));
        else if (o.kind == "set_payload" || o.kind == "overwrite_payload")
          requests.push_back(pg_writes::SetPayloadRequest(name, o.sel, b, b["payload"], o.kind == "overwrite_payload"));
        else
          requests.push_back(pg_writes::DeletePayloadRequest(name, o.sel, b, o.keys, o.kind == "clear_payload"));
      }
      for (const WriteResult& w : Take(pg_writes::Batch(*pg_, requests))) out.push_back(UpdateResult(w.version, wait));
      return out;
    }
    for (Op& o : parsed) {
      const Json& b = *o.body;
      Durability d = ToDurability(wait);
      WriteResult w;
      if (o.kind == "upsert") w = Take(engine_->Upsert(ns_, name, std::move(o.points), d));
      else if (o.kind == "delete") w = Take(engine_->Delete(ns_, name, o.sel, d));
      else if (o.kind == "set_payload" || o.kind == "overwrite_payload")
        w = Take(engine_->SetPayload(ns_, name, o.sel, b["payload"], o.kind == "overwrite_payload", d));
      else if (o.kind == "delete_payload") w = Take(engine_->DeletePayloadKeys(ns_, name, o.sel, o.keys, d));
      else w = Take(engine_->ClearPayload(ns_, name, o.sel, d));
      out.push_back(UpdateResult(w.version, wait));
    }
    return out;
  });
}

}  // namespace govector
