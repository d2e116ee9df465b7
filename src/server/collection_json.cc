// The JSON documents that describe a collection (see collection_json.h).
#include "server/collection_json.h"

namespace govector {

using Json = nlohmann::json;

Json CollectionInfoJson(const CollectionInfo& info) {
  const CollectionConfig& c = info.config;
  Json indexes = Json::array();
  for (const auto& pi : info.payload_indexes)
    indexes.push_back({{"field", pi.field}, {"type", PayloadIndexTypeName(pi.type)}, {"points", pi.points}});
  return {
      {"name", c.name},
      {"dimension", c.dimension},
      {"distance", DistanceName(c.distance)},
      {"index", IndexKindName(c.index)},
      {"m", c.index == IndexKind::kFlat ? 0u : c.m},  // as over HTTP (Qdrant): no graph, m = 0
      {"ef_construct", c.ef_construct},
      {"ef", c.ef},
      {"quantization", QuantizationName(c.quantization)},
      {"points", info.points},
      {"indexed_vectors", info.indexed_vectors},
      {"status", info.indexed_vectors == info.points ? "green" : "yellow"},
      {"graph_elements", info.graph_elements},
      {"graph_deleted", info.graph_deleted},
      {"index_memory_bytes", info.index_memory_bytes},
      {"vector_memory_bytes", info.vector_memory_bytes},
      {"pending_memory_bytes", info.pending_memory_bytes},
      {"snapshot_pending", info.snapshot_pending},
      {"disk_bytes", info.storage_bytes + info.index_file_bytes},
      {"storage_bytes", info.storage_bytes},
      {"index_file_bytes", info.index_file_bytes},
      {"payload_indexes", indexes},
  };
}

namespace {

// Qdrant's name of a distance, from govector's canonical one.
const char* QdrantDistance(const std::string& name) {
  Result<Distance> d = ParseDistance(name);
  switch (d.ok() ? *d : Distance::kCosine) {
    case Distance::kCosine: return "Cosine";
    case Distance::kEuclid: return "Euclid";
    case Distance::kDot: return "Dot";
    case Distance::kManhattan: return "Manhattan";
  }
  return "Cosine";
}

}  // namespace

// Qdrant's document has fields govector has no counterpart for (shards, WAL, optimizers): they carry Qdrant's
// defaults, so that clients which read them find what a single-node Qdrant would say.
Json QdrantCollectionJson(const Json& info) {
  Json schema = Json::object();
  for (const Json& pi : info.at("payload_indexes"))
    schema[pi.at("field").get<std::string>()] = {{"data_type", pi.at("type")}, {"points", pi.at("points")}};
  Json quant = nullptr;
  if (info.at("quantization") == QuantizationName(Quantization::kSq8))
    quant = {{"scalar", {{"type", "int8"}, {"always_ram", true}}}};
  const bool flat = info.at("index") == IndexKindName(IndexKind::kFlat);
  const char* distance = QdrantDistance(info.at("distance").get<std::string>());
  return {
      {"status", info.at("status")},
      {"optimizer_status", "ok"},
      {"indexed_vectors_count", info.at("indexed_vectors")},
      {"points_count", info.at("points")},
      {"segments_count", 1},
      {"config",
       {{"params",
         {{"vectors", {{"size", info.at("dimension")}, {"distance", distance}}},
          {"shard_number", 1},
          {"replication_factor", 1},
          {"write_consistency_factor", 1},
          {"on_disk_payload", true}}},
        {"hnsw_config",
         {{"m", flat ? Json(0) : info.at("m")},
          {"ef_construct", info.at("ef_construct")},
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
}

}  // namespace govector
