#include "server/http_pg_writes.h"

#include "engine/payload_index.h"
#include "server/rpc_handler.h"

namespace govector::pg_writes {
namespace {

// Runs the request; the engine's refusal becomes the Status it would have returned to a direct write.
Result<pb::Response> Run(PgWriter& pg, const pb::Request& request) {
  GV_ASSIGN_OR_RETURN(pb::Response response, pg.Write(request));
  if (response.code() != 0) return StatusOfResponse(response);
  return response;
}

Result<WriteResult> RunWrite(PgWriter& pg, const pb::Request& request) {
  GV_ASSIGN_OR_RETURN(pb::Response response, Run(pg, request));
  return WriteResult{response.version(), response.count()};
}

// The ids or the filter of a selector, into a request with `ids`, `filter_json` and `has_filter`.
template <typename R>
void SetSelector(R* r, const PointSelector& sel, const nlohmann::json& body) {
  if (sel.filter) {
    r->set_filter_json(body.at("filter").dump());
    r->set_has_filter(true);
    return;
  }
  for (const PointId& id : sel.ids) r->add_ids(id.ToString());
}

}  // namespace

pb::Request UpsertRequest(const std::string& name, const std::vector<PointInput>& points) {
  pb::Request request;
  auto* u = request.mutable_upsert();
  u->set_collection(name);
  for (const PointInput& p : points) {
    auto* in = u->add_points();
    in->set_id(p.id.ToString());
    in->mutable_vector()->Assign(p.vector.begin(), p.vector.end());
    in->set_payload_json(p.payload.dump());
    in->set_keep_payload(p.keep_payload);
  }
  return request;
}

pb::Request DeleteRequest(const std::string& name, const PointSelector& sel, const nlohmann::json& body) {
  pb::Request request;
  request.mutable_delete_()->set_collection(name);
  SetSelector(request.mutable_delete_(), sel, body);
  return request;
}

pb::Request SetPayloadRequest(const std::string& name, const PointSelector& sel, const nlohmann::json& body,
                              const nlohmann::json& payload, bool overwrite) {
  pb::Request request;
  auto* r = request.mutable_set_payload();
  r->set_collection(name);
  r->set_payload_json(payload.dump());
  r->set_overwrite(overwrite);
  SetSelector(r, sel, body);
  return request;
}

pb::Request DeletePayloadRequest(const std::string& name, const PointSelector& sel, const nlohmann::json& body,
                                 const std::vector<std::string>& keys, bool clear) {
  pb::Request request;
  auto* r = request.mutable_delete_payload();
  r->set_collection(name);
  for (const std::string& k : keys) r->add_keys(k);
  r->set_clear(clear);
  SetSelector(r, sel, body);
  return request;
}

Result<WriteResult> Upsert(PgWriter& pg, const std::string& name, const std::vector<PointInput>& points) {
  return RunWrite(pg, UpsertRequest(name, points));
}

Result<WriteResult> Delete(PgWriter& pg, const std::string& name, const PointSelector& sel, const nlohmann::json& body) {
  return RunWrite(pg, DeleteRequest(name, sel, body));
}

Result<WriteResult> SetPayload(PgWriter& pg, const std::string& name, const PointSelector& sel,
                               const nlohmann::json& body, const nlohmann::json& payload, bool overwrite) {
  return RunWrite(pg, SetPayloadRequest(name, sel, body, payload, overwrite));
}

Result<WriteResult> DeletePayload(PgWriter& pg, const std::string& name, const PointSelector& sel,
                                  const nlohmann::json& body, const std::vector<std::string>& keys, bool clear) {
  return RunWrite(pg, DeletePayloadRequest(name, sel, body, keys, clear));
}

Result<std::vector<WriteResult>> Batch(PgWriter& pg, const std::vector<pb::Request>& requests) {
  GV_ASSIGN_OR_RETURN(std::vector<pb::Response> answers, pg.WriteAll(requests));
  std::vector<WriteResult> out;
  for (const pb::Response& a : answers) {
    if (a.code() != 0) return StatusOfResponse(a);
    out.push_back(WriteResult{a.version(), a.count()});
  }
  return out;
}

Status CreateCollection(PgWriter& pg, const CollectionConfig& c) {
  pb::Request request;
  auto* r = request.mutable_create_collection();
  r->set_name(c.name);
  r->set_dimension(c.dimension);
  r->set_distance(DistanceName(c.distance));
  r->set_index(IndexKindName(c.index));
  r->set_m(c.m);
  r->set_ef_construct(c.ef_construct);
  r->set_ef(c.ef);
  r->set_quantization(QuantizationName(c.quantization));
  return Run(pg, request).status();
}

Result<bool> DropCollection(PgWriter& pg, const std::string& name) {
  pb::Request request;
  request.mutable_drop_collection()->set_name(name);
  request.mutable_drop_collection()->set_if_exists(true);
  GV_ASSIGN_OR_RETURN(pb::Response response, Run(pg, request));
  return response.count() > 0;
}

Status CreatePayloadIndex(PgWriter& pg, const std::string& name, const std::string& field, PayloadIndexType type) {
  pb::Request request;
  auto* r = request.mutable_create_payload_index();
  r->set_collection(name);
  r->set_field(field);
  r->set_type(PayloadIndexTypeName(type));
  return Run(pg, request).status();
}

}  // namespace govector::pg_writes
