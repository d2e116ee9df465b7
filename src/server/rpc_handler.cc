#include "server/rpc_handler.h"

#include <algorithm>

#include "engine/column.h"
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
  Json j = Json::parse(text, nullptr, false);
  if (j.is_discarded()) return Status::InvalidArgument("payload is not valid JSON");
  if (!j.is_object()) return Status::InvalidArgument("payload must be a JSON object, got " + std::string(j.type_name()));
  return j;
}

using Columns = std::vector<std::pair<std::string, ColumnType>>;

Result<Columns> ParseColumns(const google::protobuf::RepeatedPtrField<pb::ColumnSpec>& specs) {
  Columns out;
  for (const auto& spec : specs) {
    GV_ASSIGN_OR_RETURN(ColumnType type, ParseColumnType(spec.type()));
    out.emplace_back(spec.key(), type);
  }
  return out;
}

// Fills a record; the payload is sent when send_payload is set, and used for the columns either way.
void FillRecord(pb::Record* out, const PointId& id, uint64_t version, const std::optional<Json>& payload,
                const std::optional<std::vector<float>>& vector, bool send_payload, const Columns& columns) {
  out->set_id(id.ToString());
  out->set_version(version);
  if (payload && send_payload) out->set_payload_json(payload->dump());
  if (vector) out->mutable_vector()->Add(vector->begin(), vector->end());
  static const Json kEmpty = Json::object();
  for (const auto& [key, type] : columns) {
    auto text = ColumnText(payload ? *payload : kEmpty, key, type);
    auto* c = out->add_columns();
    if (text)
      c->set_text(*text);
    else
      c->set_is_null(true);
  }
}

}  // namespace

Json CollectionInfoJson(const CollectionInfo& info) {
  const auto& m = info.meta;
  Json indexes = Json::array();
  for (const auto& pi : info.payload_indexes)
    indexes.push_back({{"field", pi.field}, {"type", PayloadIndexTypeName(pi.type)}, {"points", pi.points}});
  return {
      {"name", m.name()},
      {"dimension", m.dimension()},
      {"distance", DistanceName(static_cast<Distance>(m.distance()))},
      {"index", IndexKindName(static_cast<IndexKind>(m.index()))},
      {"m", m.m()},
      {"ef_construct", m.ef_construct()},
      {"ef", m.ef()},
      {"quantization", QuantizationName(static_cast<Quantization>(m.quantization()))},
      {"points", info.points},
      {"indexed_vectors", info.indexed_vectors},
      {"status", info.indexed_vectors == info.points ? "green" : "yellow"},
      {"graph_elements", info.graph_elements},
      {"graph_deleted", info.graph_deleted},
      {"index_memory_bytes", info.index_memory_bytes},
      {"vector_memory_bytes", info.vector_memory_bytes},
      {"pending_memory_bytes", info.pending_memory_bytes},
      {"snapshot_pending", info.snapshot_pending},
      {"payload_indexes", indexes},
  };
}

void RpcHandler::Handle(const pb::Request& request, pb::Response* response) {
  Status s;
  try {
    s = Dispatch(request, response);
  } catch (const std::bad_alloc&) {
    s = Status::ResourceExhausted("the engine is out of memory");
  } catch (const std::exception& e) {
    s = Status::Internal(std::string("unexpected error: ") + e.what());
  }
  if (!s.ok()) {
    response->Clear();
    response->set_code(static_cast<int>(s.code()));
    response->set_message(s.message());
  }
}

Status RpcHandler::Dispatch(const pb::Request& req, pb::Response* resp) {
  const uint32_t ns = req.namespace_id();
  switch (req.op_case()) {
    case pb::Request::kCreateCollection: {
      const auto& r = req.create_collection();
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
      return engine_->CreateCollection(ns, c);
    }
    case pb::Request::kDropCollection: {
      GV_ASSIGN_OR_RETURN(bool dropped, engine_->DropCollection(ns, req.drop_collection().name()));
      if (!dropped && !req.drop_collection().if_exists())
        return Status::NotFound("Collection `" + req.drop_collection().name() + "` doesn't exist!");
      resp->set_count(dropped ? 1 : 0);
      return engine_->Sync();
    }
    case pb::Request::kListCollections: {
      for (const auto& info : engine_->ListCollections(ns)) {
        auto* s = resp->add_collections();
        s->set_name(info.meta.name());
        s->set_dimension(info.meta.dimension());
        s->set_distance(DistanceName(static_cast<Distance>(info.meta.distance())));
        s->set_index(IndexKindName(static_cast<IndexKind>(info.meta.index())));
        s->set_points(info.points);
      }
      return Status::OK();
    }
    case pb::Request::kCollectionInfo: {
      GV_ASSIGN_OR_RETURN(auto info, engine_->GetCollectionInfo(ns, req.collection_info().name()));
      resp->set_json(CollectionInfoJson(info).dump());
      return Status::OK();
    }
    case pb::Request::kUpsert: {
      const auto& r = req.upsert();
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
      GV_ASSIGN_OR_RETURN(auto w, engine_->Upsert(ns, r.collection(), std::move(points), Durability::kApplied));
      resp->set_count(w.version);
      return Status::OK();
    }
    case pb::Request::kGet: {
      const auto& r = req.get();
      GV_ASSIGN_OR_RETURN(auto ids, ParseIds(r.ids()));
      GV_ASSIGN_OR_RETURN(Columns columns, ParseColumns(r.columns()));
      GV_ASSIGN_OR_RETURN(auto records, engine_->Get(ns, r.collection(), ids, r.with_payload() || !columns.empty(),
                                                     r.with_vector()));
      for (const auto& rec : records)
        FillRecord(resp->add_records(), rec.id, rec.version, rec.payload, rec.vector, r.with_payload(), columns);
      return Status::OK();
    }
    case pb::Request::kDelete: {
      const auto& r = req.delete_();
      PointSelector sel;
      if (r.has_filter()) {
        GV_ASSIGN_OR_RETURN(sel.filter, ParseFilter(r.filter_json()));
      } else {
        GV_ASSIGN_OR_RETURN(sel.ids, ParseIds(r.ids()));
      }
      GV_ASSIGN_OR_RETURN(auto w, engine_->Delete(ns, r.collection(), sel, Durability::kApplied));
      resp->set_count(w.count);
      return Status::OK();
    }
    case pb::Request::kCount: {
      GV_ASSIGN_OR_RETURN(auto filter, OptionalFilter(req.count().filter_json()));
      GV_ASSIGN_OR_RETURN(uint64_t n, engine_->Count(ns, req.count().collection(), filter.get()));
      resp->set_count(n);
      return Status::OK();
    }
    case pb::Request::kSearch: {
      const auto& r = req.search();
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
      GV_ASSIGN_OR_RETURN(Columns columns, ParseColumns(r.columns()));
      sp.with_payload = r.with_payload() || !columns.empty();
      sp.with_vector = r.with_vector();
      GV_ASSIGN_OR_RETURN(auto hits, engine_->Search(ns, r.collection(), sp));
      for (const auto& h : hits) {
        auto* rec = resp->add_records();
        FillRecord(rec, h.id, h.version, h.payload, h.vector, r.with_payload(), columns);
        rec->set_score(h.score);
      }
      return Status::OK();
    }
    case pb::Request::kScroll: {
      const auto& r = req.scroll();
      ScrollParams sp;
      GV_ASSIGN_OR_RETURN(sp.filter, OptionalFilter(r.filter_json()));
      if (r.limit() < 1 || r.limit() > kMaxScrollLimit)
        return Status::InvalidArgument("limit must be between 1 and " + std::to_string(kMaxScrollLimit) + ", got " +
                                       std::to_string(r.limit()));
      sp.limit = r.limit();
      std::optional<PointId> after;
      if (r.has_after()) {
        GV_ASSIGN_OR_RETURN(PointId a, PointId::FromText(r.after()));
        after = a;
        sp.start = a;
        sp.limit = r.limit() + 1;  // the start id is inclusive; "after" is not
      }
      GV_ASSIGN_OR_RETURN(Columns columns, ParseColumns(r.columns()));
      sp.with_payload = r.with_payload() || !columns.empty();
      sp.with_vector = r.with_vector();
      GV_ASSIGN_OR_RETURN(auto page, engine_->Scroll(ns, r.collection(), sp));
      size_t emitted = 0;
      for (const auto& rec : page.points) {
        if (after && rec.id == *after) continue;
        if (emitted++ == r.limit()) break;
        FillRecord(resp->add_records(), rec.id, rec.version, rec.payload, rec.vector, r.with_payload(), columns);
      }
      return Status::OK();
    }
    case pb::Request::kSetPayload: {
      const auto& r = req.set_payload();
      PointSelector sel;
      GV_ASSIGN_OR_RETURN(sel.ids, ParseIds(r.ids()));
      GV_ASSIGN_OR_RETURN(Json payload, ParsePayload(r.payload_json()));
      GV_ASSIGN_OR_RETURN(auto w, engine_->SetPayload(ns, r.collection(), sel, payload, r.overwrite(), Durability::kApplied));
      resp->set_count(w.count);
      return Status::OK();
    }
    case pb::Request::kDeletePayload: {
      const auto& r = req.delete_payload();
      PointSelector sel;
      GV_ASSIGN_OR_RETURN(sel.ids, ParseIds(r.ids()));
      Result<WriteResult> w = r.clear()
                                  ? engine_->ClearPayload(ns, r.collection(), sel, Durability::kApplied)
                                  : engine_->DeletePayloadKeys(ns, r.collection(), sel,
                                                               std::vector<std::string>(r.keys().begin(), r.keys().end()),
                                                               Durability::kApplied);
      if (!w.ok()) return w.status();
      resp->set_count(w->count);
      return Status::OK();
    }
    case pb::Request::kCreatePayloadIndex: {
      const auto& r = req.create_payload_index();
      GV_ASSIGN_OR_RETURN(auto type, ParsePayloadIndexType(r.type()));
      return engine_->CreatePayloadIndex(ns, r.collection(), r.field(), type);
    }
    case pb::Request::kSync: return engine_->Sync();
    case pb::Request::kEngineStatus: {
      resp->set_json(status_json_().dump());
      return Status::OK();
    }
    case pb::Request::kListNamespaces: {
      for (uint32_t n : engine_->Namespaces()) resp->add_namespaces(n);
      return Status::OK();
    }
    case pb::Request::kDropNamespace: {
      // Namespace 0 is the standalone server's: no Postgres database owns it, so none can be found missing.
      const uint32_t target = req.drop_namespace().namespace_id();
      if (target == 0) return Status::InvalidArgument("namespace 0 (the standalone server's) cannot be dropped");
      GV_ASSIGN_OR_RETURN(size_t dropped, engine_->DropNamespace(target));
      resp->set_count(dropped);
      return Status::OK();
    }
    case pb::Request::kGetApplyState: {
      GV_ASSIGN_OR_RETURN(ApplyState st, engine_->GetApplyState(req.get_apply_state().advance_restart_lsn()));
      ApplyStateToProto(st, resp->mutable_apply_state());
      return Status::OK();
    }
    case pb::Request::OP_NOT_SET: break;
  }
  return Status::InvalidArgument("request has no operation (client and engine versions differ?)");
}

}  // namespace govector
