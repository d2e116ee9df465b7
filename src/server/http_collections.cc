// Qdrant's collection routes: list, create, delete, describe, check existence, and payload (field) indexes.
#include "server/collection_json.h"
#include "server/http_api.h"
#include "server/http_json.h"
#include "server/http_pg_writes.h"

namespace govector {

using namespace http;  // the JSON helpers the routes are written with

namespace {

// The vector parameters of a create request: "vectors" is {"size", "distance", ...}, or a map of named
// vectors of which one, whatever its name, is accepted as the collection's vector.
Json VectorParams(const Json& body) {
  const Json* vectors = Field(body, "vectors");
  if (!vectors || !vectors->is_object()) Invalid("vectors: expected {\"size\": n, \"distance\": ...}");
  Json v = *vectors;
  if (!v.contains("size")) {
    if (v.size() != 1) Fail({400, "Wrong input: named vectors are not supported (give one unnamed vector)"});
    v = v.begin().value();
  }
  return v;
}

// hnsw_config and quantization_config, each given for the collection or for its vector (the vector's last).
void ReadIndexConfig(const Json& body, const Json& v, CollectionConfig* c) {
  for (const Json* hnsw : {Field(body, "hnsw_config"), Field(v, "hnsw_config")}) {
    if (!hnsw) continue;
    c->m = UInt(*hnsw, "m", c->m, 0, kMaxM);
    if (c->m == 0) c->index = IndexKind::kFlat;  // Qdrant: m = 0 disables the graph
    c->ef_construct = UInt(*hnsw, "ef_construct", c->ef_construct, kMinEfConstruct, kMaxEfConstruct);
  }
  for (const Json* q : {Field(body, "quantization_config"), Field(v, "quantization_config")}) {
    if (!q) continue;
    if (q->is_object() && q->contains("scalar")) {
      const Json& scalar = (*q)["scalar"];
      if (scalar.contains("type") && scalar["type"] != "int8")
        Fail({400, "Wrong input: scalar quantization supports type int8 only"});
      // Qdrant's range. The engine's int8 codes use each vector's own range, so a quantile clips nothing.
      if (scalar.contains("quantile") &&
          (!scalar["quantile"].is_number() || scalar["quantile"].get<double>() < 0.5 ||
           scalar["quantile"].get<double>() > 1.0))
        Fail({400, "Wrong input: quantization_config.scalar.quantile must be a number between 0.5 and 1, got " +
                       scalar["quantile"].dump()});
      c->quantization = Quantization::kSq8;
    } else {
      Fail({400, "Wrong input: only scalar (int8) quantization is supported"});
    }
  }
  if (c->index == IndexKind::kFlat) c->m = kDefaultM;
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
    }
    PayloadIndexType t = Take(ParsePayloadIndexType(type));
    Check(pg_ ? pg_writes::CreatePayloadIndex(*pg_, name, field->get<std::string>(), t)
              : engine_->CreatePayloadIndex(ns_, name, field->get<std::string>(), t));
    return UpdateResult(0, wait);
  });
}

}  // namespace govector
