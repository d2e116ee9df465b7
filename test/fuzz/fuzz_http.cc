// libFuzzer target: every route of the HTTP API (Qdrant's) with a fuzzed body, against an engine on a
// temporary directory. The first byte picks the route, the second the collection name; the rest is the body.
#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <memory>
#include <string>

#include "engine/engine.h"
#include "fuzz_engine.h"
#include "server/http_api.h"

namespace {

struct World {
  std::unique_ptr<govector::Engine> engine;
  std::unique_ptr<govector::QdrantApi> api;
};

World& TheWorld() {
  static World* w = [] {
    auto* world = new World;
    world->engine = govector::fuzz::OpenTempEngine("http");
    world->api = std::make_unique<govector::QdrantApi>(world->engine.get(), 0);
    return world;
  }();
  return *w;
}

// The collection the routes work on, with a few points, made again when a request dropped it.
void EnsureCollection(World& w) {
  if (w.engine->GetCollectionInfo(0, "c").ok()) return;
  auto routes = govector::QdrantRoutes();
  for (const auto& r : routes) {
    std::string path = r.path, method = r.method;
    if (method == "PUT" && path == "/collections/{name}")
      govector::Serve(*w.api, r, {"c", "", true}, R"({"vectors": {"size": 3, "distance": "Cosine"}})");
  }
  for (const auto& r : routes) {
    std::string path = r.path, method = r.method;
    if (method == "PUT" && path == "/collections/{name}/points")
      govector::Serve(*w.api, r, {"c", "", true},
                      R"({"points": [{"id": 1, "vector": [1, 0, 0], "payload": {"a": 1, "t": "x"}},
                                     {"id": "6f1d2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b", "vector": [0, 1, 0]},
                                     {"id": 3, "vector": [0.5, 0.5, 0.1], "payload": {"a": [1, 2]}}]})");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  World& w = TheWorld();
  EnsureCollection(w);
  const auto& routes = govector::QdrantRoutes();
  const govector::ApiRoute& route = routes[data[0] % routes.size()];
  static const char* const names[] = {"c", "c", "missing", "d"};
  govector::ApiRequest request{names[data[1] % 4], data[1] & 4 ? "1" : "a", (data[1] & 8) != 0};
  std::string body(reinterpret_cast<const char*>(data) + 2, size - 2);
  (void)govector::Serve(*w.api, route, request, body);
  // A collection "d" made by a request is dropped, so that the engine does not grow without bound.
  if (w.engine->GetCollectionInfo(0, "d").ok()) (void)w.engine->DropCollection(0, "d");
  return 0;
}
