// RpcHandler: carries out one request from a Postgres backend against the engine. Ids arrive as text and
// payloads and filters as JSON text; errors come back as a StatusCode and message in the Response, which the
// extension turns into an ereport with the matching SQLSTATE.
#pragma once

#include <functional>

#include <nlohmann/json.hpp>

#include "engine/engine.h"
#include "govector.pb.h"

namespace govector {

class RpcHandler {
 public:
  // status_json returns the engine status document (pid, uptime, version, memory, ...).
  RpcHandler(Engine* engine, std::function<nlohmann::json()> status_json)
      : engine_(engine), status_json_(std::move(status_json)) {}
  void Handle(const pb::Request& request, pb::Response* response);

 private:
  Status Dispatch(const pb::Request& request, pb::Response* response);
  Engine* engine_;
  std::function<nlohmann::json()> status_json_;
};

}  // namespace govector
