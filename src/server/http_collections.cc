// Qdrant's collection routes: list, create, delete, describe, check existence, and payload (field) indexes.
#include "server/collection_json.h"
#include "server/http_api.h"
#include "server/http_json.h"
#include "server/http_pg_writes.h"

namespace govector {

using namespace http;  // the JSON helpers the routes are written with

namespace {

// The vector parameters of a create request: "vectors" is {"size", "distance", ...}, or a map whose one entry
// is the unnamed vector (""). Named vectors and the per-vector settings govector does not implement are
// refused, naming the field.
Json VectorParams(const Json& body) {
  const Json* vectors = Field(body, "vectors");
  if (!vectors || !vectors->is_object()) Invalid("vectors: expected {\"size\": n, \"distance\": ...}");
  Json v = *vectors;
  std::string where = "vectors";
  if (!v.contains("size") && !v.contains("distance")) {
    for (auto it = v.begin(); it != v.end(); ++it)
      if (!it.key().empty())
        Fail({400, "Wrong input: named vectors are not supported yet (`vectors." + it.key() +
                       "`): give one unnamed vector {\"size\", \"distance\"}"});
    if (v.size() != 1) Invalid("vectors: expected {\"size\": n, \"distance\": ...}");
    v = v.begin().value();
  }
  if (!v.is_object()) Invalid(where + ": expected {\"size\": n, \"distance\": ...}");
  KnownFields(v, where, {"size", "distance", "hnsw_config", "quantization_config", "on_disk", "datatype",
                         "multivector_config", "memory"});
  OnlyValue(v, where, "on_disk", false, "govector keeps vectors in memory (and on disk in its store)");
  OnlyValue(v, where, "datatype", "float32", "govector stores float32 vectors");
  NotSupported(v, where, "multivector_config", "multivectors are not supported yet");
  NotSupported(v, where, "memory", "govector keeps vectors in memory");
  return v;
}

// The collection-level settings govector has no counterpart for: accepted only with the value that describes
// what govector does (the value GET /collections/{name} reports), refused otherwise.
void CheckFixedSettings(const Json& body) {
  KnownFields(body, "", {"vectors", "shard_number", "sharding_method", "replication_factor",
                         "write_consistency_factor", "on_disk_payload", "hnsw_config", "wal_config",
                         "optimizers_config", "quantization_config", "sparse_vectors", "strict_mode_config",
                         "metadata", "payload"});
  OnlyOne(body, "shard_number", "a govector collection is one shard");
  OnlyValue(body, "", "sharding_method", "auto", "a govector collection is one shard");
  OnlyOne(body, "replication_factor", "replicas of a govector collection are Postgres standbys");
  OnlyOne(body, "write_consistency_factor", "replicas of a govector collection are Postgres standbys");
  OnlyValue(body, "", "on_disk_payload", true, "govector keeps payloads in its on-disk store");
  NotSupported(body, "", "payload", "govector keeps payloads in its on-disk store");
  if (const Json* sparse = Field(body, "sparse_vectors"); sparse && !(sparse->is_object() && sparse->empty()))
    Fail({400, "Wrong input: `sparse_vectors` is not supported yet: sparse vectors are not implemented"});
  NotSupported(body, "", "metadata", "collection metadata is not stored");
  if (const Json* strict = Field(body, "strict_mode_config")) {
    KnownFields(*strict, "strict_mode_config", {"enabled"});
    OnlyValue(*strict, "strict_mode_config", "enabled", false, "strict mode is not implemented");
  }
  if (const Json* wal = Field(body, "wal_config")) {
    const std::string why = "govector's write-ahead log is Postgres's WAL";
    KnownFields(*wal, "wal_config", {"wal_capacity_mb", "wal_segments_ahead"});
    OnlyValue(*wal, "wal_config", "wal_capacity_mb", 32, why);
    OnlyValue(*wal, "wal_config", "wal_segments_ahead", 0, why);
  }
  if (const Json* opt = Field(body, "optimizers_config")) {
    const std::string why = "govector has no segments to optimize; it indexes every point as it is written";
    KnownFields(*opt, "optimizers_config", {"deleted_threshold", "vacuum_min_vector_number",
                                            "default_segment_number", "flush_interval_sec"});
    OnlyValue(*opt, "optimizers_config", "deleted_threshold", 0.2, why);
    OnlyValue(*opt, "optimizers_config", "vacuum_min_vector_number", 1000, why);
    OnlyValue(*opt, "optimizers_config", "default_segment_number", 0, why);
    OnlyValue(*opt, "optimizers_config", "flush_interval_sec", 1, why);
  }
}

// hnsw_config and quantization_config, each given for the collection or for its vector (the vector's last).
void ReadIndexConfig(const Json& body, const Json& v, CollectionConfig* c) {
  for (const char* where : {"hnsw_config", "vectors.hnsw_config"}) {
    const Json* hnsw = Field(where[0] == 'v' ? v : body, "hnsw_config");
    if (!hnsw) continue;
    if (!hnsw->is_object()) Invalid(std::string(where) + ": expected an object");
    KnownFields(*hnsw, where, {"m", "ef_construct", "full_scan_threshold", "max_indexing_threads", "on_disk",
                               "payload_m", "inline_storage", "memory"});
    c->m = UInt(*hnsw, "m", c->m, 0, kMaxM);
    if (c->m == 0) c->index = IndexKind::kFlat;  // Qdrant: m = 0 disables the graph
    c->ef_construct = UInt(*hnsw, "ef_construct", c->ef_construct, kMinEfConstruct, kMaxEfConstruct);
    OnlyValue(*hnsw, where, "full_scan_threshold", 10000,
              "govector's planner chooses between the graph and a scan from the filter's estimated matches");
    OnlyValue(*hnsw, where, "max_indexing_threads", 0, "the engine's indexing threads are set for the server");
    OnlyValue(*hnsw, where, "on_disk", false, "govector keeps the graph in memory");
    OnlyValue(*hnsw, where, "inline_storage", false, "govector keeps the graph in memory");
    NotSupported(*hnsw, where, "payload_m", "the graph has no payload-aware links");
    NotSupported(*hnsw, where, "memory", "govector keeps the graph in memory");
  }
  for (const char* where : {"quantization_config", "vectors.quantization_config"}) {
    const Json* q = Field(where[0] == 'v' ? v : body, "quantization_config");
    if (!q) continue;
    if (q->is_object() && q->contains("scalar") && q->size() == 1) {
      const Json& scalar = (*q)["scalar"];
      const std::string at = std::string(where) + ".scalar";
      if (!scalar.is_object()) Invalid(at + ": expected an object");
      KnownFields(scalar, at, {"type", "quantile", "always_ram", "memory"});
      if (scalar.contains("type") && scalar["type"] != "int8")
        Fail({400, "Wrong input: scalar quantization supports type int8 only"});
      // Qdrant's range. The engine's int8 codes use each vector's own range, so a quantile clips nothing.
      if (scalar.contains("quantile") &&
          (!scalar["quantile"].is_number() || scalar["quantile"].get<double>() < 0.5 ||
           scalar["quantile"].get<double>() > 1.0))
        Fail({400, "Wrong input: quantization_config.scalar.quantile must be a number between 0.5 and 1, got " +
                       scalar["quantile"].dump()});
      if (const Json* ram = Field(scalar, "always_ram"); ram && !ram->is_boolean())
        Invalid(at + ".always_ram: expected true or false");
      NotSupported(scalar, at, "memory", "govector keeps the codes in memory");
      c->quantization = Quantization::kSq8;
    } else {
      Fail({400, "Wrong input: only scalar (int8) quantization is supported"});
    }
  }
  if (c->index == IndexKind::kFlat) c->m = kDefaultM;
}

// The parameters of a payload index ({"type": ..., ...}): the ones that describe what govector's index does
// are accepted, any other value refused (400, naming it); Qdrant's own validation errors are its 422.
void CheckIndexParams(const Json& schema, const std::string& type) {
  const std::string at = "field_schema";
  KnownFields(schema, at, {"type", "is_tenant", "is_principal", "on_disk", "lookup", "range", "enable_hnsw"});
  const std::string hint = "govector's payload indexes have no storage or layout options";
  OnlyValue(schema, at, "is_tenant", false, hint);
  OnlyValue(schema, at, "is_principal", false, hint);
  OnlyValue(schema, at, "on_disk", false, "govector keeps payload indexes in memory");
  OnlyValue(schema, at, "enable_hnsw", true, "the graph has no payload-aware links to leave out");
  if (type != "integer") {
    NotSupported(schema, at, "lookup", "only an integer index has it");
    NotSupported(schema, at, "range", "only an integer index has it");
    return;
  }
  // An integer index answers both match and range conditions.
  bool lookup = Flag(schema, "lookup", true), range = Flag(schema, "range", true);
  if (!lookup && !range) Invalid("field_schema: an integer index needs lookup or range (or both)");
}

}  // namespace

ApiResult QdrantApi::ListCollections() {
  return Guard([&]() -> Json {
    Json list = Json::array();
    for (const auto& info : engine_->ListCollections(ns_)) list.push_back({{"name", info.config.name}});
    return {{"collections", list}};
  });
}

ApiResult QdrantApi::CreateCollection(const std::string& name, const Json& body) {
  return Guard([&]() -> Json {
    if (!body.is_object()) Invalid("expected an object");
    CheckFixedSettings(body);
    Json v = VectorParams(body);
    CollectionConfig c;
    c.name = name;
    if (!v.contains("size") || !v["size"].is_number_unsigned()) Invalid("vectors.size: expected a positive integer");
    if (v["size"].get<uint64_t>() < 1 || v["size"].get<uint64_t>() > kMaxDimension)
      Invalid("vectors.size must be between 1 and " + std::to_string(kMaxDimension) + ", got " + v["size"].dump());
    c.dimension = v["size"].get<uint32_t>();
    if (!v.contains("distance") || !v["distance"].is_string())
      Invalid("vectors.distance: expected Cosine, Euclid, Dot or Manhattan");
    c.distance = Take(ParseDistance(v["distance"].get<std::string>()));
    ReadIndexConfig(body, v, &c);
    if (pg_) {
      Check(pg_writes::CreateCollection(*pg_, c));
      return true;
    }
    Check(engine_->CreateCollection(ns_, c));
    Check(engine_->Sync());
    return true;
  });
}

ApiResult QdrantApi::DeleteCollection(const std::string& name) {
  return Guard([&]() -> Json {
    return pg_ ? Take(pg_writes::DropCollection(*pg_, name)) : Take(engine_->DropCollection(ns_, name));
  });
}

ApiResult QdrantApi::CollectionExists(const std::string& name) {
  return Guard([&]() -> Json { return {{"exists", engine_->Exists(ns_, name)}}; });
}

ApiResult QdrantApi::GetCollection(const std::string& name) {
  return Guard([&]() -> Json {
    return QdrantCollectionJson(CollectionInfoJson(Take(engine_->GetCollectionInfo(ns_, name))));
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
      if (schema->is_object()) CheckIndexParams(*schema, type);
    }
    PayloadIndexType t = Take(ParsePayloadIndexType(type));
    Check(pg_ ? pg_writes::CreatePayloadIndex(*pg_, name, field->get<std::string>(), t)
              : engine_->CreatePayloadIndex(ns_, name, field->get<std::string>(), t));
    return UpdateResult(0, wait);
  });
}

}  // namespace govector
