// The HTTP API's writes as engine requests run through Postgres (PgWriter): each function takes what the
// route has already parsed and checked, builds the same request a gv_* function would send, and returns the
// engine's result or error (worded by the engine, so the routes answer exactly as for a direct write). Each
// returns once the write has committed and the engine has applied it, whatever the request's `wait`.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/engine.h"
#include "server/pg_writer.h"

namespace govector::pg_writes {

Result<WriteResult> Upsert(PgWriter& pg, const std::string& name, const std::vector<PointInput>& points);
// sel was parsed from body, whose "filter" (when sel has one) is sent as it came.
Result<WriteResult> Delete(PgWriter& pg, const std::string& name, const PointSelector& sel,
                           const nlohmann::json& body);
Result<WriteResult> SetPayload(PgWriter& pg, const std::string& name, const PointSelector& sel,
                               const nlohmann::json& body, const nlohmann::json& payload, bool overwrite);
// clear: remove every key (keys is then empty).
Result<WriteResult> DeletePayload(PgWriter& pg, const std::string& name, const PointSelector& sel,
                                  const nlohmann::json& body, const std::vector<std::string>& keys, bool clear);
// The requests the writes above send, for a batch.
pb::Request UpsertRequest(const std::string& name, const std::vector<PointInput>& points);
pb::Request DeleteRequest(const std::string& name, const PointSelector& sel, const nlohmann::json& body);
pb::Request SetPayloadRequest(const std::string& name, const PointSelector& sel, const nlohmann::json& body,
                              const nlohmann::json& payload, bool overwrite);
pb::Request DeletePayloadRequest(const std::string& name, const PointSelector& sel, const nlohmann::json& body,
                                 const std::vector<std::string>& keys, bool clear);
// Runs the requests in one Postgres transaction: every write commits, or (the first refusal's error) none.
Result<std::vector<WriteResult>> Batch(PgWriter& pg, const std::vector<pb::Request>& requests);

Status CreateCollection(PgWriter& pg, const CollectionConfig& config);
// False when there was no such collection.
Result<bool> DropCollection(PgWriter& pg, const std::string& name);
Status CreatePayloadIndex(PgWriter& pg, const std::string& name, const std::string& field, PayloadIndexType type);

}  // namespace govector::pg_writes
