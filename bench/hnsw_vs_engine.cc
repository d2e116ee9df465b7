// Micro-benchmark: govector's HNSW search (Engine::Search, in process) against raw hnswlib (searchKnn) on
// the same data with the same parameters. Both graphs are built single-threaded in the same order with
// hnswlib's same random seed, so they are the same graph and the ratio measures govector's own traversal,
// bookkeeping and result building, not graph quality. Recall@10 is reported beside every speed.
//
//   build/bench/hnsw_vs_engine [--points N] [--queries Q]    (Google Benchmark flags also accepted)
//
// Data: the first N (default 20,000) Fashion-MNIST training images, Euclid, M=16, ef_construction=100,
// the first Q (default 500) test images as queries.
#include <benchmark/benchmark.h>
#include <hnswlib/hnswlib.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <set>

#include "engine/distance.h"
#include "engine/engine.h"
#include "../test/unit/test_util.h"

namespace govector {
namespace {

constexpr int kM = 16;
constexpr int kEfConstruction = 100;

struct Fixture {
  testing::Dataset data;
  std::vector<std::vector<size_t>> truth;
  std::unique_ptr<testing::TempDir> dir;
  std::unique_ptr<Engine> engine;
  std::unique_ptr<hnswlib::L2Space> space;
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> raw;
  double raw_build_s = 0, engine_build_s = 0;
};

size_t g_points = 20000, g_queries = 500;

Fixture& Get() {
  static Fixture* f = [] {
    auto* f = new Fixture();
    f->data = testing::LoadFashionMnist(g_points, g_queries);
    for (const auto& q : f->data.test)
      f->truth.push_back(testing::BruteForce(f->data.train, q, Distance::kEuclid, 10, [](size_t) { return true; }));

    auto t0 = std::chrono::steady_clock::now();
    f->space = std::make_unique<hnswlib::L2Space>(f->data.dim);
    f->raw = std::make_unique<hnswlib::HierarchicalNSW<float>>(f->space.get(), f->data.train.size(), kM,
                                                              kEfConstruction, 100);
    for (size_t i = 0; i < f->data.train.size(); ++i) f->raw->addPoint(f->data.train[i].data(), i);
    f->raw_build_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    f->dir = std::make_unique<testing::TempDir>();
    EngineOptions o;
    o.data_dir = f->dir->path();
    o.map_size = size_t{8} << 30;
    o.index_threads = 1;
    o.background_indexing = false;
    auto e = Engine::Open(o);
    if (!e.ok()) std::abort();
    f->engine = std::move(e).value();
    CollectionConfig c;
    c.name = "bench";
    c.dimension = static_cast<uint32_t>(f->data.dim);
    c.distance = Distance::kEuclid;
    c.m = kM;
    c.ef_construct = kEfConstruction;
    if (!f->engine->CreateCollection(0, c).ok()) std::abort();
    c.name = "bench_sq8";
    c.quantization = Quantization::kSq8;
    if (!f->engine->CreateCollection(0, c).ok()) std::abort();
    auto points = [&] {
      std::vector<PointInput> pts;
      for (size_t i = 0; i < f->data.train.size(); ++i) {
        PointInput p;
        p.id = PointId::Num(i);
        p.vector = f->data.train[i];
        pts.push_back(std::move(p));
      }
      return pts;
    };
    t0 = std::chrono::steady_clock::now();
    if (!f->engine->Upsert(0, "bench", points(), Durability::kApplied).ok()) std::abort();
    f->engine_build_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    t0 = std::chrono::steady_clock::now();
    if (!f->engine->Upsert(0, "bench_sq8", points(), Durability::kApplied).ok()) std::abort();
    double sq8_build_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::fprintf(stderr,
                 "build (one thread): raw hnswlib %.1f s, engine (LMDB write + graph) %.1f s, SQ8 %.1f s; "
                 "distance kernels: %s\n",
                 f->raw_build_s, f->engine_build_s, sq8_build_s, DistanceKernels());
    return f;
  }();
  return *f;
}

double Recall(const std::vector<std::set<uint64_t>>& got, const Fixture& f) {
  size_t hit = 0, total = 0;
  for (size_t q = 0; q < got.size(); ++q) {
    for (size_t t : f.truth[q]) hit += got[q].count(t);
    total += f.truth[q].size();
  }
  return static_cast<double>(hit) / total;
}

void BM_RawHnswlib(benchmark::State& state) {
  Fixture& f = Get();
  f.raw->setEf(static_cast<size_t>(state.range(0)));
  std::vector<std::set<uint64_t>> got(f.data.test.size());
  size_t q = 0;
  for (auto _ : state) {
    auto result = f.raw->searchKnn(f.data.test[q].data(), 10);
    if (got[q].empty())
      while (!result.empty()) {
        got[q].insert(result.top().second);
        result.pop();
      }
    benchmark::DoNotOptimize(result);
    q = (q + 1) % f.data.test.size();
  }
  for (size_t i = 0; i < got.size(); ++i)
    if (got[i].empty()) {
      auto result = f.raw->searchKnn(f.data.test[i].data(), 10);
      while (!result.empty()) {
        got[i].insert(result.top().second);
        result.pop();
      }
    }
  state.counters["recall@10"] = Recall(got, f);
  state.counters["QPS"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void EngineSearch(benchmark::State& state, const char* collection) {
  Fixture& f = Get();
  SearchParams sp;
  sp.k = 10;
  sp.ef = static_cast<uint32_t>(state.range(0));
  std::vector<std::set<uint64_t>> got(f.data.test.size());
  auto run = [&](size_t q) {
    sp.vector = f.data.test[q];
    auto r = f.engine->Search(0, collection, sp);
    if (got[q].empty())
      for (const auto& h : *r) got[q].insert(h.id.num());
    benchmark::DoNotOptimize(r);
  };
  size_t q = 0;
  for (auto _ : state) {
    run(q);
    q = (q + 1) % f.data.test.size();
  }
  for (size_t i = 0; i < got.size(); ++i)
    if (got[i].empty()) run(i);
  state.counters["recall@10"] = Recall(got, f);
  state.counters["QPS"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_Engine(benchmark::State& state) { EngineSearch(state, "bench"); }
// The same points in an SQ8 collection: the graph is walked on the int8 codes, the best rescored with floats.
void BM_EngineSq8(benchmark::State& state) { EngineSearch(state, "bench_sq8"); }

BENCHMARK(BM_RawHnswlib)->Arg(16)->Arg(64)->Arg(128)->Unit(benchmark::kMicrosecond)->MinTime(2.0);
BENCHMARK(BM_Engine)->Arg(16)->Arg(64)->Arg(128)->Unit(benchmark::kMicrosecond)->MinTime(2.0);
BENCHMARK(BM_EngineSq8)->Arg(16)->Arg(64)->Arg(128)->Unit(benchmark::kMicrosecond)->MinTime(2.0);

}  // namespace
}  // namespace govector

int main(int argc, char** argv) {
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    if (i + 1 < argc && std::strcmp(argv[i], "--points") == 0) {
      govector::g_points = std::strtoul(argv[++i], nullptr, 10);
    } else if (i + 1 < argc && std::strcmp(argv[i], "--queries") == 0) {
      govector::g_queries = std::strtoul(argv[++i], nullptr, 10);
    } else {
      rest.push_back(argv[i]);
    }
  }
  int n = static_cast<int>(rest.size());
  benchmark::Initialize(&n, rest.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
