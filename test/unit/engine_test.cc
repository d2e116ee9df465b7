// The engine's API: collections, points, payloads, errors, versions, namespaces and persistence.
#include "engine/engine.h"
#include "engine/payload_codec.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <mutex>
#include <thread>
#include <atomic>

#include "test_util.h"

namespace govector {
namespace {

using testing::Config;
using testing::ParsedFilter;
using testing::Point;
using testing::TempDir;
using testing::ValueOf;

EngineOptions Options(const std::string& dir) {
  EngineOptions o;
  o.data_dir = dir;
  o.map_size = size_t{1} << 30;
  o.background_indexing = false;
  return o;
}

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }
  void Reopen() {
    engine_.reset();
    auto e = Engine::Open(Options(dir_.path()));
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    engine_ = std::move(e).value();
  }
  // The stored payload of one point as JSON text. A failed Get, or no such point, fails the test (and gives "").
  std::string PayloadText(uint32_t ns, std::string_view name, uint64_t id) {
    auto got = engine_->Get(ns, name, {PointId::Num(id)}, true, false);
    if (!got.ok()) {
      ADD_FAILURE() << got.status().ToString();
      return "";
    }
    if (got->size() != 1 || !(*got)[0].payload) {
      ADD_FAILURE() << "point " << id << " not found with its payload";
      return "";
    }
    return (*got)[0].payload->dump();
  }
  TempDir dir_;
  std::unique_ptr<Engine> engine_;
};

// Rescoring reads only the vector of a stored point: it must read what a full parse reads, whatever the
// payload, and refuse what a full parse refuses.
TEST(PointCodec, VectorOnlyReadMatchesFullParse) {
  pb::Point p;
  for (int i = 0; i < 100; ++i) p.add_vector(0.5f * i - 7.25f);
  p.set_version(42);
  Json payload = {{"a", 1}, {"deep", {{"b", {1, 2, {{"c", "x"}}}}}}, {"s", std::string(5000, 'y')}};
  ASSERT_TRUE(JsonToStruct(payload, p.mutable_payload()).ok());
  std::string bytes = p.SerializeAsString();
  std::vector<float> v;
  ASSERT_TRUE(ParsePointVector(bytes, &v));
  EXPECT_EQ(v, std::vector<float>(p.vector().begin(), p.vector().end()));
  // The vector field written unpacked (legal protobuf) reads the same.
  std::string unpacked;
  for (float f : p.vector()) {
    unpacked.push_back(static_cast<char>((1 << 3) | 5));  // field 1, fixed32
    unpacked.append(reinterpret_cast<const char*>(&f), sizeof(f));
  }
  pb::Point rest = p;
  rest.clear_vector();
  ASSERT_TRUE(ParsePointVector(unpacked + rest.SerializeAsString(), &v));
  EXPECT_EQ(v.size(), 100u);
  EXPECT_EQ(v[99], 0.5f * 99 - 7.25f);
  // A point without a vector reads as empty; truncated records are refused, as ParsePoint refuses them.
  ASSERT_TRUE(ParsePointVector("", &v));
  EXPECT_TRUE(v.empty());
  for (size_t cut : {size_t{1}, size_t{3}, bytes.size() / 2, bytes.size() - 1}) {
    pb::Point q;
    EXPECT_FALSE(ParsePointVector(bytes.substr(0, cut), &v)) << cut;
    EXPECT_FALSE(ParsePoint(bytes.substr(0, cut), &q)) << cut;
  }
}

TEST_F(EngineTest, CreateListInfoDrop) {
  ASSERT_TRUE(engine_->CreateCollection(1, Config("b", 4)).ok());
  ASSERT_TRUE(engine_->CreateCollection(1, Config("a", 3, Distance::kEuclid, IndexKind::kFlat)).ok());
  Status dup = engine_->CreateCollection(1, Config("a", 3));
  EXPECT_EQ(dup.code(), StatusCode::kAlreadyExists);
  EXPECT_NE(dup.message().find("already exists"), std::string::npos);
  EXPECT_EQ(dup.subject(), SubjectKind::kCollection);
  EXPECT_EQ(dup.subject_name(), "a");

  auto list = engine_->ListCollections(1);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].config.name, "a");
  EXPECT_EQ(list[1].config.name, "b");
  EXPECT_EQ(list[0].config.dimension, 3u);
  EXPECT_EQ(list[0].config.distance, Distance::kEuclid);
  EXPECT_EQ(list[0].config.index, IndexKind::kFlat);
  EXPECT_EQ(list[1].config.m, kDefaultM);
  EXPECT_EQ(list[1].config.ef_construct, kDefaultEfConstruct);

  auto info = engine_->GetCollectionInfo(1, "b");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->points, 0u);

  EXPECT_EQ(engine_->GetCollectionInfo(1, "zzz").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(engine_->GetCollectionInfo(1, "zzz").status().subject_name(), "zzz");
  auto dropped = engine_->DropCollection(1, "a");
  ASSERT_TRUE(dropped.ok());
  EXPECT_TRUE(*dropped);
  dropped = engine_->DropCollection(1, "a");
  ASSERT_TRUE(dropped.ok());
  EXPECT_FALSE(*dropped);
  EXPECT_EQ(engine_->ListCollections(1).size(), 1u);
}

// Disk sizes: a collection's LMDB pages and index snapshot files; the pages a dropped collection freed are
// reused by the next writes (LMDB's free list), so the file does not grow with drop-and-reload cycles.
TEST_F(EngineTest, DiskSizesAndSpaceReusedAfterDrop) {
  auto load = [&](const std::string& name) {
    ASSERT_TRUE(engine_->CreateCollection(1, Config(name, 64)).ok());
    for (uint64_t b = 0; b < 10; ++b) {
      std::vector<PointInput> points;
      for (uint64_t i = 0; i < 500; ++i) {
        std::vector<float> v(64);
        for (size_t k = 0; k < v.size(); ++k) v[k] = std::sin(double(b * 500 + i + 1) * (k + 1));
        points.push_back(Point(b * 500 + i, v, {{"text", std::string(200, 'a' + i % 26)}}));
      }
      auto w = engine_->Upsert(1, name, std::move(points), Durability::kApplied);
      ASSERT_TRUE(w.ok()) << w.status().ToString();
    }
    ASSERT_TRUE(engine_->Sync().ok());
  };
  load("big");
  auto info = engine_->GetCollectionInfo(1, "big");
  ASSERT_TRUE(info.ok());
  // 5,000 points of 64 floats and a 200-byte payload: at least their bytes, and not wildly more.
  EXPECT_GT(info->storage_bytes, 5000u * (64 * 4 + 200));
  EXPECT_LT(info->storage_bytes, 5000u * (64 * 4 + 200) * 3);
  ASSERT_TRUE(engine_->SaveSnapshots().ok());
  info = engine_->GetCollectionInfo(1, "big");
  ASSERT_TRUE(info.ok());
  EXPECT_GT(info->index_file_bytes, 5000u * 64 * 4);
  const uint64_t file_after_first = engine_->Stats().storage_bytes;

  for (int round = 0; round < 3; ++round) {
    ASSERT_TRUE(engine_->DropCollection(1, "big").ok());
    load("big");
  }
  const uint64_t file_after_reloads = engine_->Stats().storage_bytes;
  // Three drops and reloads of the same data: the file grows by far less than one more copy of it.
  EXPECT_LT(file_after_reloads, file_after_first + file_after_first / 4)
      << file_after_first << " -> " << file_after_reloads;
}

// A payload index is published only once it holds every point: a filtered count running while indexes are
// created never misses a point (an empty index, visible while its catalog entry was being committed, made
// such counts 0).
TEST_F(EngineTest, PayloadIndexCreationIsNeverSeenHalfBuilt) {
  ASSERT_TRUE(engine_->CreateCollection(1, Config("pi", 2)).ok());
  std::vector<PointInput> points;
  Json payload = Json::object();
  for (int f = 0; f < 40; ++f) payload["f" + std::to_string(f)] = "v";
  for (uint64_t i = 1; i <= 3000; ++i) points.push_back(Point(i, {1, float(i)}, payload));
  ASSERT_TRUE(engine_->Upsert(1, "pi", std::move(points), Durability::kApplied).ok());
  std::atomic<int> field{0};
  std::atomic<bool> done{false};
  std::atomic<int> wrong{0}, counted{0};
  std::thread reader([&] {
    while (!done.load()) {
      int f = field.load();
      auto filter = testing::ParsedFilter(R"({"must": [{"key": "f)" + std::to_string(f) +
                                          R"(", "match": {"value": "v"}}]})");
      auto n = engine_->Count(1, "pi", filter.get());
      if (!n.ok() || *n != 3000) wrong++;
      counted++;
    }
  });
  for (int f = 0; f < 40; ++f) {
    field.store(f);
    ASSERT_TRUE(engine_->CreatePayloadIndex(1, "pi", "f" + std::to_string(f), PayloadIndexType::kKeyword).ok());
  }
  done.store(true);
  reader.join();
  EXPECT_EQ(wrong.load(), 0) << "of " << counted.load() << " filtered counts";
}

// Searches that rescore SQ8 candidates, and gets and scrolls with vectors, while points are deleted: a point
// whose record a delete has removed, before its slot is released, is left out, not an error ("No point with
// id ... found" ended such searches).
TEST_F(EngineTest, ReadsWithVectorsWhilePointsAreDeleted) {
  CollectionConfig config = Config("sq", 8, Distance::kCosine);
  config.quantization = Quantization::kSq8;
  ASSERT_TRUE(engine_->CreateCollection(1, config).ok());
  auto vec = [](uint64_t i) {
    std::vector<float> v(8);
    for (size_t k = 0; k < v.size(); ++k) v[k] = std::sin(double(i) * (k + 1)) + 0.01f;
    return v;
  };
  std::vector<PointInput> points;
  for (uint64_t i = 1; i <= 2000; ++i) points.push_back(Point(i, vec(i)));
  ASSERT_TRUE(engine_->Upsert(1, "sq", std::move(points), Durability::kApplied).ok());
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  std::string first_failure;
  std::mutex failure_mu;
  auto failed = [&](const Status& st) {
    std::lock_guard<std::mutex> l(failure_mu);
    if (failures++ == 0) first_failure = st.ToString();
  };
  std::thread reader([&] {
    for (uint64_t q = 0; !done.load(); ++q) {
      SearchParams sp;
      sp.vector = vec(q % 2000 + 1);
      sp.k = 50;
      sp.with_vector = true;
      auto r = engine_->Search(1, "sq", sp);
      if (!r.ok()) failed(r.status());
      std::vector<PointId> ids;
      for (uint64_t i = 1; i <= 2000; i += 97) ids.push_back(PointId::Num((i + q) % 2000 + 1));
      auto g = engine_->Get(1, "sq", ids, false, true);
      if (!g.ok()) failed(g.status());
    }
  });
  for (int round = 0; round < 100; ++round) {
    PointSelector sel;
    for (uint64_t i = 1 + round % 7; i <= 2000; i += 7) sel.ids.push_back(PointId::Num(i));
    ASSERT_TRUE(engine_->Delete(1, "sq", sel, Durability::kApplied).ok());
    std::vector<PointInput> back;
    for (const PointId& id : sel.ids) back.push_back(Point(id.num(), vec(id.num())));
    ASSERT_TRUE(engine_->Upsert(1, "sq", std::move(back), Durability::kApplied).ok());
  }
  done.store(true);
  reader.join();
  EXPECT_EQ(failures.load(), 0) << first_failure;
}

TEST_F(EngineTest, RejectsBadCollectionConfigs) {
  EXPECT_EQ(engine_->CreateCollection(1, Config("", 3)).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_->CreateCollection(1, Config("has space", 3)).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_->CreateCollection(1, Config("sl/ash", 3)).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_->CreateCollection(1, Config(std::string(256, 'x'), 3)).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(engine_->CreateCollection(1, Config(std::string(255, 'x'), 3)).ok());
  EXPECT_TRUE(engine_->CreateCollection(1, Config("Ok_name-1.2", 3)).ok());
  EXPECT_EQ(engine_->CreateCollection(1, Config("d0", 0)).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_->CreateCollection(1, Config("d1", 16001)).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(engine_->CreateCollection(1, Config("d2", 16000)).ok());
  CollectionConfig c = Config("m", 3);
  c.m = 1;
  EXPECT_EQ(engine_->CreateCollection(1, c).code(), StatusCode::kInvalidArgument);
  c.m = 16;
  c.ef_construct = 0;
  EXPECT_EQ(engine_->CreateCollection(1, c).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseDistance("cosinus").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ValueOf(ParseDistance("Euclid")), Distance::kEuclid);
  EXPECT_EQ(ValueOf(ParseDistance("DOT")), Distance::kDot);
  EXPECT_EQ(ParseIndexKind("ivf").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseQuantization("pq").status().code(), StatusCode::kInvalidArgument);
  // An empty name is not a default: the callers supply their own defaults.
  EXPECT_EQ(ParseDistance("").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseIndexKind("").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseQuantization("").status().code(), StatusCode::kInvalidArgument);
}

TEST_F(EngineTest, NamespacesAreSeparate) {
  ASSERT_TRUE(engine_->CreateCollection(1, Config("items", 2)).ok());
  ASSERT_TRUE(engine_->CreateCollection(2, Config("items", 3)).ok());
  ASSERT_TRUE(engine_->Upsert(1, "items", {Point(1, {1, 0})}, Durability::kApplied).ok());
  EXPECT_EQ(ValueOf(engine_->Count(1, "items", nullptr)), 1u);
  EXPECT_EQ(ValueOf(engine_->Count(2, "items", nullptr)), 0u);
  EXPECT_EQ(engine_->ListCollections(3).size(), 0u);
  EXPECT_EQ(engine_->Count(3, "items", nullptr).status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(ValueOf(engine_->DropCollection(2, "items")));
  EXPECT_EQ(ValueOf(engine_->Count(1, "items", nullptr)), 1u);
}

size_t IndexDirs(const std::string& data_dir) {
  size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(data_dir + "/index")) n += e.is_directory() ? 1 : 0;
  return n;
}

TEST_F(EngineTest, NamespacesAndDropNamespace) {
  EXPECT_TRUE(engine_->Namespaces().empty());
  EXPECT_EQ(ValueOf(engine_->DropNamespace(3)), 0u);
  ASSERT_TRUE(engine_->CreateCollection(9, Config("z", 2)).ok());
  ASSERT_TRUE(engine_->CreateCollection(3, Config("b", 2)).ok());
  ASSERT_TRUE(engine_->CreateCollection(3, Config("a", 2, Distance::kEuclid, IndexKind::kFlat)).ok());
  ASSERT_TRUE(engine_->CreateCollection(0, Config("a", 2)).ok());
  // The same name in the namespaces on either side of the dropped one.
  ASSERT_TRUE(engine_->CreateCollection(2, Config("b", 2)).ok());
  ASSERT_TRUE(engine_->CreateCollection(4, Config("a", 2)).ok());
  EXPECT_EQ(engine_->Namespaces(), (std::vector<uint32_t>{0, 2, 3, 4, 9}));
  for (auto [ns, name] : {std::pair<uint32_t, const char*>{2, "b"}, {3, "b"}, {4, "a"}})
    ASSERT_TRUE(engine_->Upsert(ns, name, {Point(1, {1, 0}), Point(2, {0, 1})}, Durability::kApplied).ok());
  ASSERT_TRUE(engine_->Upsert(3, "a", {Point(1, {1, 0})}, Durability::kApplied).ok());
  ASSERT_TRUE(engine_->SaveSnapshots().ok());
  const size_t dirs = IndexDirs(dir_.path());
  EXPECT_EQ(dirs, 3u);  // the HNSW collections that have points: 2/b, 3/b, 4/a

  auto dropped = engine_->DropNamespace(3);
  ASSERT_TRUE(dropped.ok()) << dropped.status().ToString();
  EXPECT_EQ(*dropped, 2u);
  EXPECT_EQ(engine_->Namespaces(), (std::vector<uint32_t>{0, 2, 4, 9}));
  EXPECT_TRUE(engine_->ListCollections(3).empty());
  EXPECT_EQ(engine_->Count(3, "b", nullptr).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(IndexDirs(dir_.path()), dirs - 1);  // 3/b's snapshot is gone
  EXPECT_EQ(ValueOf(engine_->Count(2, "b", nullptr)), 2u);
  EXPECT_EQ(ValueOf(engine_->Count(4, "a", nullptr)), 2u);
  EXPECT_EQ(engine_->Stats().collections, 4u);
  EXPECT_EQ(ValueOf(engine_->DropNamespace(3)), 0u);

  // A new namespace with the same number starts empty, also after a restart.
  Reopen();
  EXPECT_EQ(engine_->Namespaces(), (std::vector<uint32_t>{0, 2, 4, 9}));
  EXPECT_TRUE(engine_->ListCollections(3).empty());
  ASSERT_TRUE(engine_->CreateCollection(3, Config("b", 5)).ok());
  EXPECT_EQ(ValueOf(engine_->Count(3, "b", nullptr)), 0u);
  EXPECT_EQ(ValueOf(engine_->GetCollectionInfo(3, "b")).config.dimension, 5u);
  EXPECT_EQ(ValueOf(engine_->Count(2, "b", nullptr)), 2u);
  EXPECT_EQ(ValueOf(engine_->Count(4, "a", nullptr)), 2u);
  // The standalone namespace is a namespace like any other to the engine (the callers keep it).
  EXPECT_EQ(ValueOf(engine_->DropNamespace(0)), 1u);
  EXPECT_EQ(engine_->Namespaces(), (std::vector<uint32_t>{2, 3, 4, 9}));
}

// DropNamespace has committed everything when it returns: a process killed right after keeps it dropped.
TEST_F(EngineTest, DropNamespaceSurvivesAKill) {
  ASSERT_TRUE(engine_->CreateCollection(5, Config("x", 2)).ok());
  ASSERT_TRUE(engine_->CreateCollection(5, Config("y", 2)).ok());
  ASSERT_TRUE(engine_->CreateCollection(6, Config("x", 2)).ok());
  ASSERT_TRUE(engine_->Upsert(5, "x", {Point(1, {1, 0})}, Durability::kApplied).ok());
  engine_.reset();

  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto e = Engine::Open(Options(dir_.path()));
    if (!e.ok()) _exit(2);
    auto n = (*e)->DropNamespace(5);
    if (!n.ok() || *n != 2) _exit(3);
    kill(getpid(), SIGKILL);
    _exit(4);
  }
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);

  Reopen();
  EXPECT_EQ(engine_->Namespaces(), (std::vector<uint32_t>{6}));
  EXPECT_TRUE(engine_->ListCollections(5).empty());
  EXPECT_EQ(engine_->ListCollections(6).size(), 1u);
}

TEST_F(EngineTest, UpsertGetVersionsAndIdKinds) {
  ASSERT_TRUE(engine_->CreateCollection(7, Config("c", 3, Distance::kEuclid)).ok());
  std::vector<PointInput> batch;
  batch.push_back(Point(5, {1, 2, 3}, {{"a", 1}}));
  PointInput u;
  u.id = ValueOf(PointId::FromText("550E8400-E29B-41D4-A716-446655440000"));
  u.vector = {0, 0, 1};
  batch.push_back(u);
  PointInput s;
  s.id = ValueOf(PointId::FromText("doc-42"));
  s.vector = {4, 5, 6};
  s.payload = {{"nested", {{"x", {1, 2.5, "y", nullptr, true}}}}};
  batch.push_back(s);
  auto w1 = engine_->Upsert(7, "c", batch, Durability::kDurable);
  ASSERT_TRUE(w1.ok()) << w1.status().ToString();
  EXPECT_EQ(w1->count, 3u);

  auto got = engine_->Get(7, "c", {PointId::Num(5), s.id, u.id, PointId::Num(99)}, true, true);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->size(), 3u);
  EXPECT_EQ((*got)[0].id, PointId::Num(5));
  EXPECT_EQ(*(*got)[0].vector, (std::vector<float>{1, 2, 3}));
  EXPECT_EQ((*got)[0].payload->at("a"), 1);
  EXPECT_EQ((*got)[1].id.kind(), PointId::Kind::kString);
  EXPECT_EQ((*got)[1].payload->dump(), s.payload.dump());
  EXPECT_EQ((*got)[2].id.kind(), PointId::Kind::kUuid);
  EXPECT_EQ((*got)[2].id.ToString(), "550e8400-e29b-41d4-a716-446655440000");
  // One version for the whole batch, strictly increasing across writes.
  for (const auto& r : *got) EXPECT_EQ(r.version, w1->version);
  auto w2 = engine_->Upsert(7, "c", {Point(5, {3, 2, 1})}, Durability::kApplied);
  ASSERT_TRUE(w2.ok()) << w2.status().ToString();
  EXPECT_GT(w2->version, w1->version);
  got = engine_->Get(7, "c", {PointId::Num(5)}, true, true);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].version, w2->version);
  EXPECT_EQ(*(*got)[0].vector, (std::vector<float>{3, 2, 1}));
  EXPECT_EQ((*got)[0].payload->dump(), "{}");  // upsert replaces the payload
}

TEST_F(EngineTest, BadBatchWritesNothing) {
  ASSERT_TRUE(engine_->CreateCollection(1, Config("c", 3)).ok());
  float nan = std::numeric_limits<float>::quiet_NaN();
  float inf = std::numeric_limits<float>::infinity();
  struct Case {
    std::vector<float> v;
    const char* needle;
  } cases[] = {
      {{1, 2}, "expected dim: 3, got 2"}, {{1, 2, 3, 4}, "expected dim: 3, got 4"}, {{}, "empty"},
      {{1, nan, 3}, "NaN"},               {{1, 2, inf}, "infinite"},               {{0, 0, 0}, "zeros"},
  };
  for (const auto& c : cases) {
    auto r = engine_->Upsert(1, "c", {Point(1, {1, 1, 1}), Point(2, c.v)}, Durability::kApplied);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(c.needle), std::string::npos) << r.status().message();
    EXPECT_EQ(ValueOf(engine_->Count(1, "c", nullptr)), 0u);
  }
  PointInput bad_payload = Point(3, {1, 1, 1});
  bad_payload.payload = Json::array({1, 2});
  EXPECT_EQ(engine_->Upsert(1, "c", {Point(1, {1, 1, 1}), bad_payload}, Durability::kApplied).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ValueOf(engine_->Count(1, "c", nullptr)), 0u);
  // Payload nesting is bounded (the stored form must stay parseable); the limit itself round-trips.
  Json deep = 1;
  for (size_t i = 0; i < kMaxPayloadDepth + 1; ++i) deep = Json::array({deep});
  PointInput too_deep = Point(4, {1, 1, 1}, {{"a", deep}});
  auto r = engine_->Upsert(1, "c", {too_deep}, Durability::kApplied);
  EXPECT_NE(r.status().message().find("nests more than 64 levels"), std::string::npos) << r.status().ToString();
  EXPECT_EQ(ValueOf(engine_->Count(1, "c", nullptr)), 0u);
  EXPECT_EQ(engine_->Upsert(1, "nope", {Point(1, {1, 1, 1})}, Durability::kApplied).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(engine_->Upsert(1, "c", {}, Durability::kApplied).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(EngineTest, PointIdText) {
  EXPECT_EQ(ValueOf(PointId::FromText("0")).kind(), PointId::Kind::kNum);
  EXPECT_EQ(ValueOf(PointId::FromText("18446744073709551615")).num(), UINT64_MAX);
  EXPECT_EQ(ValueOf(PointId::FromText("18446744073709551616")).kind(), PointId::Kind::kString);
  EXPECT_EQ(ValueOf(PointId::FromText("007")).kind(), PointId::Kind::kString);
  EXPECT_EQ(ValueOf(PointId::FromText("-1")).kind(), PointId::Kind::kString);
  EXPECT_EQ(PointId::FromText("").status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(PointId::FromText(std::string(256, 'x')).ok());
  EXPECT_EQ(PointId::FromText(std::string(257, 'x')).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(PointId::FromJson(Json(-3)).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(PointId::FromJson(Json(1.5)).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(PointId::FromJson(Json("abc"), false).status().code(), StatusCode::kInvalidArgument);
  // Key order: numbers by value, then UUIDs, then strings.
  std::vector<PointId> ids;
  for (const char* text : {"b", "10", "9", "00000000-0000-0000-0000-000000000001", "a"})
    ids.push_back(ValueOf(PointId::FromText(text)));
  std::sort(ids.begin(), ids.end(), [](const PointId& x, const PointId& y) { return x.Key() < y.Key(); });
  std::vector<std::string> text;
  for (auto& i : ids) text.push_back(i.ToString());
  EXPECT_EQ(text, (std::vector<std::string>{"9", "10", "00000000-0000-0000-0000-000000000001", "a", "b"}));
  for (auto& i : ids) EXPECT_EQ(ValueOf(PointId::FromKey(i.Key())), i);
}

TEST_F(EngineTest, DeleteCountScroll) {
  ASSERT_TRUE(engine_->CreateCollection(1, Config("c", 2, Distance::kDot)).ok());
  std::vector<PointInput> pts;
  for (uint64_t i = 0; i < 25; ++i) pts.push_back(Point(i, {1.0f + i, 1}, {{"even", i % 2 == 0}, {"i", i}}));
  ASSERT_TRUE(engine_->Upsert(1, "c", pts, Durability::kApplied).ok());
  EXPECT_EQ(ValueOf(engine_->Count(1, "c", nullptr)), 25u);
  auto even = ParsedFilter(R"({"must":[{"key":"even","match":{"value":true}}]})");
  EXPECT_EQ(ValueOf(engine_->Count(1, "c", even.get())), 13u);

  // Scroll: ordered by id, pages chained through next.
  ScrollParams sp;
  sp.limit = 10;
  std::vector<uint64_t> seen;
  while (true) {
    auto page = engine_->Scroll(1, "c", sp);
    ASSERT_TRUE(page.ok());
    for (auto& r : page->points) seen.push_back(r.id.num());
    if (!page->next) break;
    sp.start = page->next;
  }
  ASSERT_EQ(seen.size(), 25u);
  for (size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], i);
  sp = ScrollParams();
  sp.filter = even;
  sp.limit = 100;
  sp.with_vector = true;
  auto page = engine_->Scroll(1, "c", sp);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->points.size(), 13u);
  EXPECT_FALSE(page->next);
  EXPECT_EQ(page->points[1].id.num(), 2u);
  EXPECT_EQ(*page->points[1].vector, (std::vector<float>{3, 1}));
  sp.limit = 0;
  EXPECT_EQ(engine_->Scroll(1, "c", sp).status().code(), StatusCode::kInvalidArgument);

  PointSelector by_ids;
  by_ids.ids = {PointId::Num(0), PointId::Num(1), PointId::Num(1), PointId::Num(1000)};
  auto del = engine_->Delete(1, "c", by_ids, Durability::kApplied);
  ASSERT_TRUE(del.ok()) << del.status().ToString();
  EXPECT_EQ(del->count, 2u);
  PointSelector by_filter;
  by_filter.filter = ParsedFilter(R"({"must":[{"key":"i","range":{"gte":20}}]})");
  del = engine_->Delete(1, "c", by_filter, Durability::kDurable);
  ASSERT_TRUE(del.ok()) << del.status().ToString();
  EXPECT_EQ(del->count, 5u);
  EXPECT_EQ(ValueOf(engine_->Count(1, "c", nullptr)), 18u);
  EXPECT_TRUE(ValueOf(engine_->Get(1, "c", {PointId::Num(0), PointId::Num(22)}, true, false)).empty());
}

TEST_F(EngineTest, HasIdFiltersEnumerateTheirIds) {
  ASSERT_TRUE(engine_->CreateCollection(1, Config("h", 2, Distance::kEuclid)).ok());
  std::vector<PointInput> pts;
  for (uint64_t i = 0; i < 5000; ++i) pts.push_back(Point(i, {float(i), 0}, {{"odd", i % 2 == 1}}));
  ASSERT_TRUE(engine_->Upsert(1, "h", pts, Durability::kApplied).ok());
  ScrollParams sp;
  sp.filter = ParsedFilter(R"({"must":[{"has_id":[4001,7,99999,12]},{"key":"odd","match":{"value":true}}]})");
  sp.limit = 1;
  auto page = engine_->Scroll(1, "h", sp);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->points.size(), 1u);
  EXPECT_EQ(page->points[0].id.num(), 7u);  // id order, filter applied
  ASSERT_TRUE(page->next);
  sp.start = page->next;
  page = engine_->Scroll(1, "h", sp);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->points.size(), 1u);
  EXPECT_EQ(page->points[0].id.num(), 4001u);
  EXPECT_FALSE(page->next);
  EXPECT_EQ(ValueOf(engine_->Count(1, "h", sp.filter.get())), 2u);
  SearchParams q;
  q.vector = {0, 0};
  q.filter = sp.filter;
  SearchPlan plan;
  auto hits = engine_->Search(1, "h", q, &plan);
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  ASSERT_EQ(hits->size(), 2u);
  EXPECT_EQ((*hits)[0].id.num(), 7u);
  EXPECT_TRUE(plan.from_payload_index);  // candidates came from the ids, not a scan
}

// A scroll's exclusive `after` (SQL's keyset paging) and its offset, alone and together, with `start`, on
// both ways a scroll goes: walking the keys (no filter, or one no index answers) and visiting a filter's
// candidates (has_id).
TEST_F(EngineTest, ScrollAfterAndOffset) {
  ASSERT_TRUE(engine_->CreateCollection(1, Config("s", 2, Distance::kEuclid)).ok());
  std::vector<PointInput> pts;
  for (uint64_t i = 1; i <= 12; ++i) pts.push_back(Point(i, {float(i), 0}, {{"even", i % 2 == 0}}));
  ASSERT_TRUE(engine_->Upsert(1, "s", pts, Durability::kApplied).ok());
  PointSelector gone;
  gone.ids = {PointId::Num(4)};
  ASSERT_TRUE(engine_->Delete(1, "s", gone, Durability::kApplied).ok());
  auto scroll = [&](ScrollParams sp, std::optional<uint64_t>* next) {
    auto page = engine_->Scroll(1, "s", sp);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    std::vector<uint64_t> ids;
    if (!page.ok()) return ids;
    for (const Record& r : page->points) ids.push_back(r.id.num());
    *next = page->next ? std::optional<uint64_t>(page->next->num()) : std::nullopt;
    return ids;
  };
  auto num = [](uint64_t n) { return std::optional<PointId>(PointId::Num(n)); };
  const std::vector<std::string> filters = {
      "", R"({"must":[{"key":"even","match":{"value":true}}]})",
      R"({"must":[{"has_id":[1,2,3,4,5,6,7,8,9,10,11,12]},{"key":"even","match":{"value":true}}]})"};
  for (const std::string& filter : filters) {
    const bool evens = !filter.empty();
    SCOPED_TRACE(filter);
    std::optional<uint64_t> next;
    ScrollParams sp;
    if (evens) sp.filter = ParsedFilter(filter);
    sp.limit = 3;
    sp.after = num(2);  // exclusive
    EXPECT_EQ(scroll(sp, &next), evens ? std::vector<uint64_t>({6, 8, 10}) : std::vector<uint64_t>({3, 5, 6}));
    EXPECT_EQ(next, evens ? 12u : 7u);
    sp.after = num(4);  // deleted: still a bound
    EXPECT_EQ(scroll(sp, &next), evens ? std::vector<uint64_t>({6, 8, 10}) : std::vector<uint64_t>({5, 6, 7}));
    sp.start = num(7);  // the later bound wins
    EXPECT_EQ(scroll(sp, &next), evens ? std::vector<uint64_t>({8, 10, 12}) : std::vector<uint64_t>({7, 8, 9}));
    sp.start = num(1);
    sp.after = num(9);
    EXPECT_EQ(scroll(sp, &next), evens ? std::vector<uint64_t>({10, 12}) : std::vector<uint64_t>({10, 11, 12}));
    EXPECT_EQ(next, std::nullopt);
    sp = ScrollParams();
    if (evens) sp.filter = ParsedFilter(filter);
    sp.limit = 2;
    sp.offset = 2;  // matching points skipped first
    EXPECT_EQ(scroll(sp, &next), evens ? std::vector<uint64_t>({8, 10}) : std::vector<uint64_t>({3, 5}));
    EXPECT_EQ(next, evens ? 12u : 6u);
    sp.after = num(5);
    EXPECT_EQ(scroll(sp, &next), evens ? std::vector<uint64_t>({10, 12}) : std::vector<uint64_t>({8, 9}));
    sp.offset = 20;
    EXPECT_TRUE(scroll(sp, &next).empty());
    EXPECT_EQ(next, std::nullopt);
  }
  ScrollParams bad;
  bad.offset = kMaxOffset + 1;
  EXPECT_EQ(engine_->Scroll(1, "s", bad).status().message(), "offset must be at most 100000");
}

TEST_F(EngineTest, VectorOnlyUpsertKeepsPayload) {
  ASSERT_TRUE(engine_->Upsert(1, "nope", {Point(1, {1, 0})}, Durability::kApplied).status().code() ==
              StatusCode::kNotFound);
  ASSERT_TRUE(engine_->CreateCollection(1, Config("v", 2, Distance::kEuclid)).ok());
  ASSERT_TRUE(engine_->Upsert(1, "v", {Point(1, {1, 0}, {{"keep", "me"}})}, Durability::kApplied).ok());
  PointInput moved = Point(1, {5, 5});
  moved.keep_payload = true;
  PointInput fresh = Point(2, {9, 9}, {{"ignored", true}});
  fresh.keep_payload = true;
  ASSERT_TRUE(engine_->Upsert(1, "v", {moved, fresh}, Durability::kApplied).ok());
  auto got = engine_->Get(1, "v", {PointId::Num(1), PointId::Num(2)}, true, true);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[0].payload->dump(), R"({"keep":"me"})");
  EXPECT_EQ(*(*got)[0].vector, (std::vector<float>{5, 5}));
  EXPECT_EQ((*got)[1].payload->dump(), "{}");
}

TEST_F(EngineTest, PayloadOperations) {
  ASSERT_TRUE(engine_->CreateCollection(1, Config("c", 2)).ok());
  ASSERT_TRUE(engine_->Upsert(1, "c", {Point(1, {1, 0}, {{"a", 1}, {"b", 2}}), Point(2, {0, 1}, {{"a", 5}})},
                              Durability::kApplied)
                  .ok());
  PointSelector one;
  one.ids = {PointId::Num(1)};
  auto r = engine_->SetPayload(1, "c", one, {{"b", 3}, {"c", "x"}}, false, Durability::kApplied);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->count, 1u);
  auto got = engine_->Get(1, "c", {PointId::Num(1)}, true, true);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].payload->dump(), R"({"a":1,"b":3,"c":"x"})");
  EXPECT_EQ((*got)[0].version, r->version);
  EXPECT_EQ(*(*got)[0].vector, (std::vector<float>{1, 0}));  // the vector is kept

  ASSERT_TRUE(engine_->SetPayload(1, "c", one, {{"z", true}}, true, Durability::kApplied).ok());
  EXPECT_EQ(PayloadText(1, "c", 1), R"({"z":true})");

  PointSelector by_filter;
  by_filter.filter = ParsedFilter(R"({"must":[{"key":"a","match":{"value":5}}]})");
  r = engine_->DeletePayloadKeys(1, "c", by_filter, {"a", "missing"}, Durability::kApplied);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->count, 1u);
  EXPECT_EQ(PayloadText(1, "c", 2), "{}");
  ASSERT_TRUE(engine_->ClearPayload(1, "c", one, Durability::kApplied).ok());
  EXPECT_EQ(PayloadText(1, "c", 1), "{}");
  EXPECT_EQ(engine_->SetPayload(1, "c", one, Json::array(), false, Durability::kApplied).status().code(),
            StatusCode::kInvalidArgument);
  // Payload-only changes do not move the point in the index.
  SearchParams sp;
  sp.vector = {1, 0};
  sp.k = 1;
  auto hits = engine_->Search(1, "c", sp);
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ((*hits)[0].id, PointId::Num(1));
}

TEST_F(EngineTest, DeepestAllowedPayloadSurvivesReopen) {
  ASSERT_TRUE(engine_->CreateCollection(1, Config("deep", 2)).ok());
  Json deep = "bottom";
  for (size_t i = 0; i < kMaxPayloadDepth - 1; ++i) deep = (i % 2) ? Json::array({deep}) : Json{{"k", deep}};
  ASSERT_TRUE(engine_->Upsert(1, "deep", {Point(1, {1, 0}, deep.is_object() ? deep : Json{{"k", deep}})},
                              Durability::kApplied).ok());
  std::string before = PayloadText(1, "deep", 1);
  ASSERT_FALSE(before.empty());
  Reopen();
  auto got = engine_->Get(1, "deep", {PointId::Num(1)}, true, false);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].payload->dump(), before);
}

TEST_F(EngineTest, EverythingSurvivesReopen) {
  ASSERT_TRUE(engine_->CreateCollection(4, Config("keep", 3, Distance::kManhattan)).ok());
  ASSERT_TRUE(engine_->CreateCollection(4, Config("gone", 3)).ok());
  std::vector<PointInput> pts;
  for (uint64_t i = 0; i < 300; ++i) pts.push_back(Point(i, {float(i), 1, 2}, {{"i", i}}));
  auto w = engine_->Upsert(4, "keep", pts, Durability::kApplied);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  ASSERT_TRUE(ValueOf(engine_->DropCollection(4, "gone")));
  PointSelector sel;
  sel.ids = {PointId::Num(7)};
  ASSERT_TRUE(engine_->Delete(4, "keep", sel, Durability::kApplied).ok());
  Reopen();
  EXPECT_EQ(engine_->ListCollections(4).size(), 1u);
  EXPECT_EQ(ValueOf(engine_->Count(4, "keep", nullptr)), 299u);
  auto info = engine_->GetCollectionInfo(4, "keep");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->indexed_vectors, 299u);
  EXPECT_EQ(info->config.distance, Distance::kManhattan);
  auto got = engine_->Get(4, "keep", {PointId::Num(8)}, true, true);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].payload->at("i"), 8);
  EXPECT_EQ((*got)[0].version, w->version);
  // New writes get newer versions than anything before the restart.
  auto w2 = engine_->Upsert(4, "keep", {Point(1000, {1, 1, 1})}, Durability::kApplied);
  ASSERT_TRUE(w2.ok()) << w2.status().ToString();
  EXPECT_GT(w2->version, w->version + 1);
  SearchParams sp;
  sp.vector = {7, 1, 2};
  sp.k = 1;
  auto hits = engine_->Search(4, "keep", sp);
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_NE((*hits)[0].id, PointId::Num(7));
  EXPECT_FLOAT_EQ((*hits)[0].score, 1.0f);  // Manhattan distance to 6 or 8
}

// A process killed at any moment: every applied write is there after reopening, no deleted point comes back,
// and the index agrees with storage (the snapshot is reconciled).
TEST_F(EngineTest, KilledProcessLosesNothingApplied) {
  ASSERT_TRUE(engine_->CreateCollection(1, Config("k", 4, Distance::kEuclid)).ok());
  std::vector<PointInput> pts;
  for (uint64_t i = 0; i < 500; ++i) pts.push_back(Point(i, {float(i), 0, 0, 0}));
  ASSERT_TRUE(engine_->Upsert(1, "k", pts, Durability::kApplied).ok());
  ASSERT_TRUE(engine_->SaveSnapshots().ok());  // the snapshot knows points 0..499
  engine_.reset();

  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    EngineOptions o = Options(dir_.path());
    o.background_indexing = true;
    auto e = Engine::Open(o);
    if (!e.ok()) _exit(2);
    // After the snapshot: move some points, delete others, add new ones; then die without cleanup.
    std::vector<PointInput> moved;
    for (uint64_t i = 0; i < 50; ++i) moved.push_back(Point(i, {float(10000 + i), 0, 0, 0}));
    for (uint64_t i = 1000; i < 1100; ++i) moved.push_back(Point(i, {float(i), 0, 0, 0}));
    if (!(*e)->Upsert(1, "k", moved, Durability::kApplied).ok()) _exit(3);
    PointSelector sel;
    for (uint64_t i = 100; i < 200; ++i) sel.ids.push_back(PointId::Num(i));
    if (!(*e)->Delete(1, "k", sel, Durability::kApplied).ok()) _exit(4);
    kill(getpid(), SIGKILL);
    _exit(5);
  }
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);

  Reopen();
  ASSERT_TRUE(ValueOf(engine_->WaitIndexed(1, "k", 10000)));
  EXPECT_EQ(ValueOf(engine_->Count(1, "k", nullptr)), 500u - 100u + 100u);
  auto info = engine_->GetCollectionInfo(1, "k");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->indexed_vectors, info->points);
  for (uint64_t q : {5u, 150u, 300u, 1050u}) {
    SearchParams sp;
    sp.vector = {float(q), 0, 0, 0};
    sp.k = 1;
    auto hits = engine_->Search(1, "k", sp);
    ASSERT_TRUE(hits.ok()) << hits.status().ToString();
    ASSERT_EQ(hits->size(), 1u);
    if (q == 5) {
      EXPECT_NE((*hits)[0].id, PointId::Num(5));  // moved away to 10005
    } else if (q == 150) {
      EXPECT_TRUE((*hits)[0].id == PointId::Num(99) || (*hits)[0].id == PointId::Num(200));  // 150 was deleted
    } else {
      EXPECT_EQ((*hits)[0].id, PointId::Num(q));
    }
  }
  SearchParams sp;
  sp.vector = {10005, 0, 0, 0};
  sp.k = 1;
  for (bool exact : {false, true}) {
    sp.exact = exact;
    auto hits = engine_->Search(1, "k", sp);
    ASSERT_TRUE(hits.ok()) << hits.status().ToString();
    ASSERT_EQ(hits->size(), 1u);
    EXPECT_EQ((*hits)[0].id.ToString(), "5") << (exact ? "exact" : "graph");
  }
}

}  // namespace
}  // namespace govector
