// RpcHandler: carries out one request from a Postgres backend against the engine. Ids arrive as text and
// payloads and filters as JSON text; errors come back as a StatusCode, a message and a subject in the Response,
// which the extension turns into an ereport with the matching SQLSTATE.
//
// Every operation goes through an EngineOps: the engine's committed state for the shared handler, or the
// connection's TxnSession for the handler each connection makes from it (rpc_txn.h), which runs requests
// inside the backend's transaction or as the WAL apply worker's replay.
#pragma once

#include <exception>
#include <functional>
#include <new>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/engine.h"
#include "engine/engine_ops.h"
#include "govector.pb.h"

namespace govector {

// Runs fn, which returns a Status; an exception it throws (out of memory) becomes an error Status instead.
template <typename Fn>
Status Guarded(Fn fn) {
  try {
    return fn();
  } catch (const std::bad_alloc&) {
    return Status::ResourceExhausted("the engine is out of memory");
  } catch (const std::exception& e) {
    return Status::Internal(std::string("unexpected error: ") + e.what());
  }
}

// Replaces response with the error s (code, message and subject); and the Status a response carries.
void ErrorResponse(const Status& s, pb::Response* response);
Status StatusOfResponse(const pb::Response& response);

class RpcHandler {
 public:
  // status_json returns the engine status document (pid, uptime, version, memory, ...).
  RpcHandler(Engine* engine, std::function<nlohmann::json()> status_json)
      : committed_(engine), engine_(&committed_), status_json_(std::move(status_json)) {}
  // The same handler running every operation through ops (a connection's TxnSession).
  RpcHandler(const RpcHandler& shared, EngineOps* ops)
      : committed_(shared.engine()), engine_(ops), status_json_(shared.status_json_) {}
  RpcHandler(const RpcHandler&) = delete;
  RpcHandler& operator=(const RpcHandler&) = delete;

  void Handle(const pb::Request& request, pb::Response* response);
  Engine* engine() const { return committed_.engine(); }

 private:
  Status Dispatch(const pb::Request& request, pb::Response* response);
  EngineOps committed_;
  EngineOps* engine_;  // what requests run on: &committed_, or a connection's session
  std::function<nlohmann::json()> status_json_;
};

}  // namespace govector
