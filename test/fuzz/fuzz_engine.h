// The engine the fuzz targets that need one run against: opened once per process on a new temporary
// directory (removed at exit), indexing synchronously (no background thread to race with the input).
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "engine/engine.h"

namespace govector::fuzz {

inline std::unique_ptr<Engine> OpenTempEngine(const std::string& tag) {
  std::string dir = "/tmp/gv-fuzz-" + tag + "-XXXXXX";
  if (!mkdtemp(dir.data())) abort();
  // Removed when the fuzzer exits (libFuzzer ends with exit(), also on a finding).
  static std::string to_remove;
  to_remove = dir;
  atexit([] {
    std::error_code ec;
    std::filesystem::remove_all(to_remove, ec);
  });
  EngineOptions o;
  o.data_dir = dir;
  o.map_size = size_t{1} << 32;
  o.background_indexing = false;
  auto e = Engine::Open(o);
  if (!e.ok()) abort();
  return std::move(e).value();
}

}  // namespace govector::fuzz
