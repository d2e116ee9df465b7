// The engine the fuzz targets that need one run against: opened once per process on a new temporary
// directory, indexing synchronously (no background thread to race with the input).
#pragma once

#include <stdlib.h>

#include <memory>
#include <string>

#include "engine/engine.h"

namespace govector::fuzz {

inline std::unique_ptr<Engine> OpenTempEngine(const std::string& tag) {
  std::string dir = "/tmp/gv-fuzz-" + tag + "-XXXXXX";
  if (!mkdtemp(dir.data())) abort();
  EngineOptions o;
  o.data_dir = dir;
  o.map_size = size_t{1} << 32;
  o.background_indexing = false;
  auto e = Engine::Open(o);
  if (!e.ok()) abort();
  return std::move(e).value();
}

}  // namespace govector::fuzz
