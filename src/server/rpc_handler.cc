// RpcHandler: one function per operation of the RPC protocol (proto/govector.proto), and the switch that
// picks it for a Request.
#include "server/rpc_handler.h"

#include "engine/json_exact.h"

#include "engine/column.h"
#include "server/collection_json.h"
#include "server/rpc_txn.h"

namespace govector {

namespace {

Result<std::shared_ptr<const Filter>> OptionalFilter(const std::string& text) {
  if (text.empty()) return std::shared_ptr<const Filter>();
  return ParseFilter(text);
}

Result<std::vector<PointId>> ParseIds(const google::protobuf::RepeatedPtrField<std::string>& ids) {
  std::vector<PointId> out;
  out.reserve(ids.size());
  for (const auto& text : ids) {
    GV_ASSIGN_OR_RETURN(PointId id, PointId::FromText(text));
    out.push_back(std::move(id));
  }
  return out;
}

Result<Json> ParsePayload(const std::string& text) {
  if (text.empty()) return Json::object();
  if (Status exact = CheckJsonNumbers(text); !exact.ok())
    return Status::InvalidArgument("payload: " + exact.message());
  Json j = Json::parse(text, nullptr, false);
  if (j.is_discarded()) return Status::InvalidArgument("payload is not valid JSON");
  if (!j.is_object()) return Status::InvalidArgument("payload must be a JSON object, got " + std::string(j.type_name()));
  return j;
}

using Columns = std::vector<std::pair<std::string, ColumnType>>;

// What a read sends of each point: its payload when asked for, and the typed columns (foreign tables'
// payload_key columns), which need the payload either way.
struct RecordShape {
  bool send_payload = false;
  Columns columns;
  bool read_payload() const { return send_payload || !columns.empty(); }
};

Result<RecordShape> ParseShape(bool with_payload, const google::protobuf::RepeatedPtrField<pb::ColumnSpec>& specs) {
  RecordShape shape;
  shape.send_payload = with_payload;
  for (const auto& spec : specs) {
    GV_ASSIGN_OR_RETURN(ColumnType type, ParseColumnType(spec.type()));
    shape.columns.emplace_back(spec.key(), type);
  }
  return shape;
}

// Fills a record from an engine point (Record or ScoredPoint).
template <typename Point>
void FillRecord(pb::Record* out, const Point& p, const RecordShape& shape) {
  out->set_id(p.id.ToString());
  out->set_version(p.version);
  if (p.payload && shape.send_payload) out->set_payload_json(p.payload->dump());
  if (p.vector) out->mutable_vector()->Add(p.vector->begin(), p.vector->end());
  static const Json kEmpty = Json::object();
  for (const auto& [key, type] : shape.columns) {
    auto text = ColumnText(p.payload ? *p.payload : kEmpty, key, type);
    auto* c = out->add_columns();
    if (text)
      c->set_text(*text);
    else
      c->set_is_null(true);
  }
}

// ---------------------------------------------------------------------------------------------------------
// The operations, in the order of the Request's oneof.

Status CreateCollection(EngineOps& engine, uint32_t ns, const pb::CreateCollectionRequest& r) {
  CollectionConfig c;
  c.name = r.name();
  c.dimension = r.dimension();
  // The SQL function always sends all three (its defaults are cosine, hnsw and none): an empty name is a
  // user's empty string, and an error like any other unknown name.
  GV_ASSIGN_OR_RETURN(c.distance, ParseDistance(r.distance()));
  GV_ASSIGN_OR_RETURN(c.index, ParseIndexKind(r.index()));
  GV_ASSIGN_OR_RETURN(c.quantization, ParseQuantization(r.quantization()));
  if (r.m()) c.m = r.m();
  if (r.ef_construct()) c.ef_construct = r.ef_construct();
  if (r.ef()) c.ef = r.ef();
  return engine.CreateCollection(ns, c);
}

Status DropCollection(EngineOps& engine, uint32_t ns, const pb::DropCollectionRequest& r, pb::Response* resp) {
  GV_ASSIGN_OR_RETURN(bool dropped, engine.DropCollection(ns, r.name()));
  if (!dropped && !r.if_exists()) return Status::CollectionNotFound(r.name());
  resp->set_count(dropped ? 1 : 0);
  return engine.Sync();
}

Status ListCollections(EngineOps& engine, uint32_t ns, pb::Response* resp) {
  for (const auto& info : engine.ListCollections(ns)) {
    auto* s = resp->add_collections();
    s->set_name(info.config.name);
    s->set_dimension(info.config.dimension);
    s->set_distance(DistanceName(info.config.distance));
    s->set_index(IndexKindName(info.config.index));
    s->set_points(info.points);
  }
  return Status::OK();
}

Status GetCollectionInfo(EngineOps& engine, uint32_t ns, const pb::CollectionInfoRequest& r, pb::Response* resp) {
  GV_ASSIGN_OR_RETURN(auto info, engine.GetCollectionInfo(ns, r.name()));
  resp->set_json(CollectionInfoJson(info).dump());
  return Status::OK();
}

Status Upsert(EngineOps& engine, uint32_t ns, const pb::UpsertRequest& r, pb::Response* resp) {
  std::vector<PointInput> points;
  points.reserve(r.points_size());
  for (const auto& p : r.points()) {
    PointInput in;
    GV_ASSIGN_OR_RETURN(in.id, PointId::FromText(p.id()));
    in.vector.assign(p.vector().begin(), p.vector().end());
    GV_ASSIGN_OR_RETURN(in.payload, ParsePayload(p.payload_json()));
    in.keep_payload = p.keep_payload();
    points.push_back(std::move(in));
  }
  GV_ASSIGN_OR_RETURN(auto w, engine.Upsert(ns, r.collection(), std::move(points), Durability::kApplied));
  resp->set_count(w.version);
  return Status::OK();
}

Status Get(EngineOps& engine, uint32_t ns, const pb::GetRequest& r, pb::Response* resp) {
  GV_ASSIGN_OR_RETURN(auto ids, ParseIds(r.ids()));
  GV_ASSIGN_OR_RETURN(RecordShape shape, ParseShape(r.with_payload(), r.columns()));
  GV_ASSIGN_OR_RETURN(auto records, engine.Get(ns, r.collection(), ids, shape.read_payload(), r.with_vector()));
  for (const auto& rec : records) FillRecord(resp->add_records(), rec, shape);
  return Status::OK();
}

// The points a delete or payload request names: its ids, or the points its filter matches.
template <typename R>
Result<PointSelector> SelectorOf(const R& r) {
  PointSelector sel;
  if (r.has_filter()) {
    GV_ASSIGN_OR_RETURN(sel.filter, ParseFilter(r.filter_json()));
  } else {
    GV_ASSIGN_OR_RETURN(sel.ids, ParseIds(r.ids()));
  }
  return sel;
}

Status Delete(EngineOps& engine, uint32_t ns, const pb::DeleteRequest& r, pb::Response* resp) {
  GV_ASSIGN_OR_RETURN(PointSelector sel, SelectorOf(r));
  GV_ASSIGN_OR_RETURN(auto w, engine.Delete(ns, r.collection(), sel, Durability::kApplied));
  resp->set_count(w.count);
  return Status::OK();
}

Status Count(EngineOps& engine, uint32_t ns, const pb::CountRequest& r, pb::Response* resp) {
  GV_ASSIGN_OR_RETURN(auto filter, OptionalFilter(r.filter_json()));
  GV_ASSIGN_OR_RETURN(uint64_t n, engine.Count(ns, r.collection(), filter.get()));
  resp->set_count(n);
  return Status::OK();
}

Status Search(EngineOps& engine, uint32_t ns, const pb::SearchRequest& r, pb::Response* resp) {
  SearchParams sp;
  sp.vector.assign(r.vector().begin(), r.vector().end());
  if (!r.query_id().empty()) {
    GV_ASSIGN_OR_RETURN(PointId id, PointId::FromText(r.query_id()));
    sp.by_id = id;
  }
  GV_ASSIGN_OR_RETURN(sp.filter, OptionalFilter(r.filter_json()));
  sp.k = r.k();
  sp.ef = r.ef();
  sp.exact = r.exact();
  sp.offset = r.offset();
  if (r.has_score_threshold()) sp.score_threshold = r.score_threshold();
  if (r.has_mmr()) sp.mmr = MmrParams{r.mmr_diversity(), r.mmr_candidates()};
  GV_ASSIGN_OR_RETURN(RecordShape shape, ParseShape(r.with_payload(), r.columns()));
  sp.with_payload = shape.read_payload();
  sp.with_vector = r.with_vector();
  GV_ASSIGN_OR_RETURN(auto hits, engine.Search(ns, r.collection(), sp));
  for (const auto& h : hits) {
    auto* rec = resp->add_records();
    FillRecord(rec, h, shape);
    rec->set_score(h.score);
  }
  return Status::OK();
}

// SQL's keyset pagination starts after a given id (`after`, exclusive).
Status Scroll(EngineOps& engine, uint32_t ns, const pb::ScrollRequest& r, pb::Response* resp) {
  ScrollParams sp;
  GV_ASSIGN_OR_RETURN(sp.filter, OptionalFilter(r.filter_json()));
  sp.limit = r.limit();
  sp.offset = r.offset();
  if (r.has_after()) {
    GV_ASSIGN_OR_RETURN(PointId after, PointId::FromText(r.after()));
    sp.after = after;
  }
  GV_ASSIGN_OR_RETURN(RecordShape shape, ParseShape(r.with_payload(), r.columns()));
  sp.with_payload = shape.read_payload();
  sp.with_vector = r.with_vector();
  GV_ASSIGN_OR_RETURN(auto page, engine.Scroll(ns, r.collection(), sp));
  for (const auto& rec : page.points) FillRecord(resp->add_records(), rec, shape);
  return Status::OK();
}

Status SetPayload(EngineOps& engine, uint32_t ns, const pb::SetPayloadRequest& r, pb::Response* resp) {
  GV_ASSIGN_OR_RETURN(PointSelector sel, SelectorOf(r));
  GV_ASSIGN_OR_RETURN(Json payload, ParsePayload(r.payload_json()));
  GV_ASSIGN_OR_RETURN(auto w, engine.SetPayload(ns, r.collection(), sel, payload, r.overwrite(), Durability::kApplied));
  resp->set_count(w.count);
  return Status::OK();
}

// Removes the listed keys, or every key when `clear` is set.
Status DeletePayload(EngineOps& engine, uint32_t ns, const pb::DeletePayloadRequest& r, pb::Response* resp) {
  GV_ASSIGN_OR_RETURN(PointSelector sel, SelectorOf(r));
  std::vector<std::string> keys(r.keys().begin(), r.keys().end());
  Result<WriteResult> w = r.clear() ? engine.ClearPayload(ns, r.collection(), sel, Durability::kApplied)
                                    : engine.DeletePayloadKeys(ns, r.collection(), sel, keys, Durability::kApplied);
  if (!w.ok()) return w.status();
  resp->set_count(w->count);
  return Status::OK();
}

Status CreatePayloadIndex(EngineOps& engine, uint32_t ns, const pb::CreatePayloadIndexRequest& r) {
  GV_ASSIGN_OR_RETURN(auto type, ParsePayloadIndexType(r.type()));
  return engine.CreatePayloadIndex(ns, r.collection(), r.field(), type);
}

Status EngineStatus(const std::function<Json()>& status_json, pb::Response* resp) {
  resp->set_json(status_json().dump());
  return Status::OK();
}

Status ListNamespaces(EngineOps& engine, pb::Response* resp) {
  for (uint32_t n : engine.Namespaces()) resp->add_namespaces(n);
  return Status::OK();
}

// Namespace 0 is the standalone server's: no Postgres database owns it, so none can be found missing.
Status DropNamespace(EngineOps& engine, const pb::DropNamespaceRequest& r, pb::Response* resp) {
  if (r.namespace_id() == 0) return Status::InvalidArgument("namespace 0 (the standalone server's) cannot be dropped");
  GV_ASSIGN_OR_RETURN(size_t dropped, engine.DropNamespace(r.namespace_id()));
  resp->set_count(dropped);
  return Status::OK();
}

Status GetApplyState(EngineOps& engine, const pb::GetApplyStateRequest& r, pb::Response* resp) {
  GV_ASSIGN_OR_RETURN(ApplyState st, engine.GetApplyState(r.advance_restart_lsn()));
  if (r.sync()) {
    GV_RETURN_IF_ERROR(engine.Sync());
    GV_ASSIGN_OR_RETURN(st, engine.GetApplyState(0));  // with the durable positions the sync reached
  }
  ApplyStateToProto(st, resp->mutable_apply_state());
  return Status::OK();
}

}  // namespace

void ErrorResponse(const Status& s, pb::Response* response) {
  response->Clear();
  response->set_code(static_cast<int>(s.code()));
  response->set_message(s.message());
  response->set_subject_kind(static_cast<uint32_t>(s.subject()));
  response->set_subject_name(s.subject_name());
}

Status StatusOfResponse(const pb::Response& response) {
  return Status(static_cast<StatusCode>(response.code()), static_cast<SubjectKind>(response.subject_kind()),
                response.subject_name(), response.message());
}

void RpcHandler::Handle(const pb::Request& request, pb::Response* response) {
  Status s = Guarded([&] { return Dispatch(request, response); });
  if (!s.ok()) ErrorResponse(s, response);
}

Status RpcHandler::Dispatch(const pb::Request& req, pb::Response* resp) {
  EngineOps& e = *engine_;
  const uint32_t ns = req.namespace_id();
  switch (req.op_case()) {
    case pb::Request::kCreateCollection: return CreateCollection(e, ns, req.create_collection());
    case pb::Request::kDropCollection: return DropCollection(e, ns, req.drop_collection(), resp);
    case pb::Request::kListCollections: return ListCollections(e, ns, resp);
    case pb::Request::kCollectionInfo: return GetCollectionInfo(e, ns, req.collection_info(), resp);
    case pb::Request::kUpsert: return Upsert(e, ns, req.upsert(), resp);
    case pb::Request::kGet: return Get(e, ns, req.get(), resp);
    case pb::Request::kDelete: return Delete(e, ns, req.delete_(), resp);
    case pb::Request::kCount: return Count(e, ns, req.count(), resp);
    case pb::Request::kSearch: return Search(e, ns, req.search(), resp);
    case pb::Request::kScroll: return Scroll(e, ns, req.scroll(), resp);
    case pb::Request::kSetPayload: return SetPayload(e, ns, req.set_payload(), resp);
    case pb::Request::kDeletePayload: return DeletePayload(e, ns, req.delete_payload(), resp);
    case pb::Request::kCreatePayloadIndex: return CreatePayloadIndex(e, ns, req.create_payload_index());
    case pb::Request::kSync: return e.Sync();
    case pb::Request::kEngineStatus: return EngineStatus(status_json_, resp);
    case pb::Request::kListNamespaces: return ListNamespaces(e, resp);
    case pb::Request::kDropNamespace: return DropNamespace(e, req.drop_namespace(), resp);
    case pb::Request::kGetApplyState: return GetApplyState(e, req.get_apply_state(), resp);
    case pb::Request::kBackupCopy:
      return req.backup_copy().drop() ? e.DropBackupCopy(req.backup_copy().name())
                                      : e.WriteBackupCopy(req.backup_copy().name());
    case pb::Request::OP_NOT_SET: break;
  }
  return Status::InvalidArgument("request has no operation (client and engine versions differ?)");
}

}  // namespace govector
