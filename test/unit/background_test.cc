// The engine's background work as its log and its background error show it: index snapshots that fail
// leave the previous snapshot current and no partial file behind, an unusable snapshot is reported and never
// rewritten in place, and snapshot trouble is logged without becoming the background error.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <mutex>

#include "engine/engine.h"
#include "test_util.h"

namespace govector {
namespace {

namespace fs = std::filesystem;
using testing::Config;
using testing::Point;
using testing::TempDir;

// Collects what the engine logs (from any of its threads).
class LogCapture {
 public:
  InfoLogger Logger() {
    return [this](InfoLogLevel level, const std::string& message) {
      std::lock_guard<std::mutex> l(mu_);
      lines_.emplace_back(level, message);
    };
  }
  // The messages at this level that contain needle.
  size_t Count(InfoLogLevel level, const std::string& needle) {
    std::lock_guard<std::mutex> l(mu_);
    size_t n = 0;
    for (const auto& [lv, m] : lines_) n += lv == level && m.find(needle) != std::string::npos;
    return n;
  }
  size_t size() {
    std::lock_guard<std::mutex> l(mu_);
    return lines_.size();
  }
  std::string All() {
    std::lock_guard<std::mutex> l(mu_);
    std::string out;
    for (const auto& [lv, m] : lines_) out += m + "\n";
    return out;
  }

 private:
  std::mutex mu_;
  std::vector<std::pair<InfoLogLevel, std::string>> lines_;
};

class BackgroundTest : public ::testing::Test {
 protected:
  // Opens (or reopens) the engine on dir_, logging into a fresh capture.
  void Open() {
    engine_.reset();
    log_ = std::make_unique<LogCapture>();
    EngineOptions o;
    o.data_dir = dir_.path();
    o.map_size = size_t{1} << 30;
    o.background_indexing = false;
    o.info_log = log_->Logger();
    auto e = Engine::Open(o);
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    engine_ = std::move(e).value();
  }
  void Upsert(uint64_t from, uint64_t to) {
    std::vector<PointInput> pts;
    for (uint64_t i = from; i < to; ++i) pts.push_back(Point(i, {float(i), 1, 0, 0}));
    auto w = engine_->Upsert(1, "c", pts, Durability::kApplied);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
  }
  // The collection's snapshot directory (the only one: the tests make one HNSW collection).
  std::string SnapshotDir() {
    std::vector<std::string> dirs;
    for (const auto& e : fs::directory_iterator(dir_.path() + "/index")) dirs.push_back(e.path().string());
    EXPECT_EQ(dirs.size(), 1u);
    return dirs.empty() ? std::string() : dirs[0];
  }
  // The file names in the snapshot directory, sorted.
  std::vector<std::string> Files() {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(SnapshotDir())) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }
  std::string Current() {
    std::ifstream in(SnapshotDir() + "/CURRENT");
    std::string gen;
    in >> gen;
    return gen;
  }
  // Opens the engine, makes the collection with points 0 .. points-1 and saves its first snapshot.
  void SnapshotFirstGeneration(uint64_t points) {
    Open();
    ASSERT_TRUE(engine_->CreateCollection(1, Config("c", 4, Distance::kEuclid)).ok());
    Upsert(0, points);
    ASSERT_TRUE(engine_->SaveSnapshots().ok());
    ASSERT_EQ(Current(), "1");
    ASSERT_EQ(Files(), (std::vector<std::string>{"CURRENT", "graph.1", "labels.1"}));
  }
  void ExpectAllIndexed(uint64_t points) {
    auto info = engine_->GetCollectionInfo(1, "c");
    ASSERT_TRUE(info.ok()) << info.status().ToString();
    EXPECT_EQ(info->points, points);
    EXPECT_EQ(info->indexed_vectors, points);
  }

  TempDir dir_;
  std::unique_ptr<LogCapture> log_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(BackgroundTest, FailedSnapshotKeepsThePreviousOneAndLeavesNoPartialFile) {
  ASSERT_NO_FATAL_FAILURE(SnapshotFirstGeneration(50));

  // A directory where the next labels file is written makes the next snapshot fail after its graph file.
  Upsert(50, 60);
  fs::create_directory(SnapshotDir() + "/labels.2.tmp");
  Status failed = engine_->SaveSnapshots();
  EXPECT_EQ(failed.code(), StatusCode::kIOError) << failed.ToString();
  EXPECT_EQ(log_->Count(InfoLogLevel::kWarning, "index snapshot of collection `c` (namespace 1) failed"), 1u)
      << log_->All();
  EXPECT_EQ(Current(), "1");
  // The graph file written for the failed snapshot is gone; only the test's own directory is left.
  EXPECT_EQ(Files(), (std::vector<std::string>{"CURRENT", "graph.1", "labels.1", "labels.2.tmp"}));
  // Snapshot trouble costs at most a re-indexing at the next open: it is not a background error.
  EXPECT_TRUE(engine_->BackgroundError().ok());

  // Once the way is clear the changes are saved, and the previous generation goes.
  fs::remove(SnapshotDir() + "/labels.2.tmp");
  ASSERT_TRUE(engine_->SaveSnapshots().ok());
  EXPECT_EQ(Current(), "2");
  EXPECT_EQ(Files(), (std::vector<std::string>{"CURRENT", "graph.2", "labels.2"}));

  Open();
  EXPECT_EQ(log_->size(), 0u) << log_->All();  // the snapshot loaded
  ExpectAllIndexed(60);
  EXPECT_TRUE(engine_->Stats().background_error.ok());
}

TEST_F(BackgroundTest, UnusableSnapshotIsReportedAndNeverRewrittenInPlace) {
  ASSERT_NO_FATAL_FAILURE(SnapshotFirstGeneration(40));
  engine_.reset();

  // Damage the labels file CURRENT names: its checksum no longer matches.
  {
    std::fstream f(SnapshotDir() + "/labels.1", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(20);
    f.put('\x7f');
  }
  Open();
  EXPECT_EQ(log_->Count(InfoLogLevel::kWarning, "collection `c`: index snapshot unusable"), 1u) << log_->All();
  ExpectAllIndexed(40);  // rebuilt from storage

  // The next snapshot is a new generation: the damaged files CURRENT named are replaced, not rewritten.
  Upsert(40, 45);
  ASSERT_TRUE(engine_->SaveSnapshots().ok());
  EXPECT_EQ(Current(), "2");
  EXPECT_EQ(Files(), (std::vector<std::string>{"CURRENT", "graph.2", "labels.2"}));
  Open();
  EXPECT_EQ(log_->size(), 0u) << log_->All();
  ExpectAllIndexed(45);
}

}  // namespace
}  // namespace govector
