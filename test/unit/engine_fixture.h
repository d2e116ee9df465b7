// OpenEngineTest: a GoogleTest fixture with an engine open on a temporary directory, for the unit tests of the
// layers above the engine (RPC handler, HTTP API). It indexes synchronously, so a search sees every write.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <utility>

#include "engine/engine.h"
#include "test_util.h"

namespace govector::testing {

class OpenEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    EngineOptions o;
    o.data_dir = dir_.path();
    o.map_size = size_t{1} << 30;
    o.background_indexing = false;
    auto e = Engine::Open(o);
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    engine_ = std::move(e).value();
  }

  TempDir dir_;
  std::unique_ptr<Engine> engine_;
};

}  // namespace govector::testing
