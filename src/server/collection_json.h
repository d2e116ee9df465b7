// The JSON documents that describe a collection: govector's (gv_collection_info() over RPC) and Qdrant's
// (GET /collections/{name}). Only CollectionInfoJson reads the engine's CollectionInfo; Qdrant's document
// is a view of govector's, so the two never disagree about a collection.
#pragma once

#include <nlohmann/json.hpp>

#include "engine/engine.h"

namespace govector {

// govector's document: configuration, counts, index memory and the payload indexes.
nlohmann::json CollectionInfoJson(const CollectionInfo& info);

// Qdrant's collection info (the "result" of GET /collections/{name}), from CollectionInfoJson's document.
nlohmann::json QdrantCollectionJson(const nlohmann::json& info);

}  // namespace govector
