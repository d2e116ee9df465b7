// libFuzzer target: the RPC a Postgres backend sends (a pb::Request frame), decoded and handled against an
// engine on a temporary directory, as govectord's connection threads do.
#include <stdlib.h>

#include <cstdint>
#include <memory>
#include <string>

#include "engine/engine.h"
#include "fuzz_engine.h"
#include "govector.pb.h"
#include "server/rpc_handler.h"
#include "server/rpc_txn.h"

namespace {

struct World {
  std::unique_ptr<govector::Engine> engine;
  std::unique_ptr<govector::RpcHandler> handler;
};

World& TheWorld() {
  static World* w = [] {
    auto* world = new World;
    world->engine = govector::fuzz::OpenTempEngine("rpc");
    world->handler = std::make_unique<govector::RpcHandler>(world->engine.get(), [] { return nlohmann::json::object(); });
    return world;
  }();
  return *w;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  World& w = TheWorld();
  // Namespace 1 keeps a collection "c" of 3-dimensional points for the inputs to work on.
  if (!w.engine->GetCollectionInfo(1, "c").ok()) {
    govector::CollectionConfig c;
    c.name = "c";
    c.dimension = 3;
    if (!w.engine->CreateCollection(1, c).ok()) abort();
  }
  govector::pb::Request request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return 0;
  // A backup copy writes wherever the request says: not something to let random inputs do.
  if (request.has_backup_copy()) return 0;
  // One connection per input: its transaction state is discarded with it, as when a backend leaves.
  govector::RpcConnection connection(*w.handler);
  govector::pb::Response response;
  connection.Handle(request, &response);
  std::string out;
  (void)response.SerializeToString(&out);
  // Collections made by inputs are dropped, so that the engine does not grow without bound.
  for (uint32_t ns : {0u, 1u, request.namespace_id()})
    for (const auto& info : w.engine->ListCollections(ns))
      if (ns != 1 || info.config.name != "c") (void)w.engine->DropCollection(ns, info.config.name);
  return 0;
}
