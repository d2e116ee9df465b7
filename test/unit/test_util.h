// Helpers shared by the engine's unit tests: points, configurations and filters, temporary directories,
// datasets, exact ground truth.
#pragma once

#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/distance.h"
#include "engine/engine.h"

namespace govector::testing {

// A point with a numeric id.
inline PointInput Point(uint64_t id, std::vector<float> v, Json payload = Json::object()) {
  PointInput p;
  p.id = PointId::Num(id);
  p.vector = std::move(v);
  p.payload = std::move(payload);
  return p;
}

inline CollectionConfig Config(const std::string& name, uint32_t dim, Distance d = Distance::kCosine,
                               IndexKind index = IndexKind::kHnsw) {
  CollectionConfig c;
  c.name = name;
  c.dimension = dim;
  c.distance = d;
  c.index = index;
  return c;
}

// A parsed filter; a filter that does not parse fails the test (and gives null).
inline std::shared_ptr<const Filter> ParsedFilter(const std::string& json) {
  auto f = ParseFilter(json);
  EXPECT_TRUE(f.ok()) << json << ": " << f.status().ToString();
  return f.ok() ? *f : nullptr;
}

// The value of a Result the test expects to be OK. A failed Result fails the test with its status and gives
// T{}, where dereferencing it would throw an exception that says nothing. For a value the test goes on to
// index or dereference, assert ok() instead: ASSERT_TRUE(r.ok()) << r.status().ToString().
template <typename T>
T ValueOf(Result<T> r) {
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(r).value() : T{};
}

// A directory under build/tmp that is removed when the object goes away.
class TempDir {
 public:
  TempDir() {
    std::filesystem::path base = std::filesystem::current_path() / "build" / "tmp";
    std::filesystem::create_directories(base);
    std::string tmpl = (base / "gvtest-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct Dataset {
  size_t dim = 0;
  std::vector<std::vector<float>> train, test;
  std::vector<int> train_labels, test_labels;
};

inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

inline std::vector<uint8_t> ReadGz(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) throw std::runtime_error("cannot open " + path + " (install Debian's dataset-fashion-mnist)");
  std::vector<uint8_t> out;
  uint8_t buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof(buf))) > 0) out.insert(out.end(), buf, buf + n);
  gzclose(f);
  return out;
}

inline uint32_t BigEndian32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}

// The first n_train training images and n_test test images of Fashion-MNIST as 784-dimensional float vectors
// (pixel values 0-255), with their class labels 0-9.
inline Dataset LoadFashionMnist(size_t n_train, size_t n_test) {
  Dataset d;
  d.dim = 784;
  auto images = [&](const std::string& name, size_t n, std::vector<std::vector<float>>* out) {
    auto raw = ReadGz(std::string(kFashionMnistDir) + "/" + name);
    size_t count = BigEndian32(raw.data() + 4);
    n = std::min(n, count);
    for (size_t i = 0; i < n; ++i) {
      const uint8_t* px = raw.data() + 16 + i * 784;
      out->emplace_back(px, px + 784);
    }
  };
  auto labels = [&](const std::string& name, size_t n, std::vector<int>* out) {
    auto raw = ReadGz(std::string(kFashionMnistDir) + "/" + name);
    n = std::min<size_t>(n, BigEndian32(raw.data() + 4));
    for (size_t i = 0; i < n; ++i) out->push_back(raw[8 + i]);
  };
  images("train-images-idx3-ubyte.gz", n_train, &d.train);
  labels("train-labels-idx1-ubyte.gz", n_train, &d.train_labels);
  images("t10k-images-idx3-ubyte.gz", n_test, &d.test);
  labels("t10k-labels-idx1-ubyte.gz", n_test, &d.test_labels);
  return d;
}

// Points drawn around `clusters` random centres (deterministic for a seed); labels are the cluster numbers.
inline Dataset ClusteredSynthetic(size_t n_train, size_t n_test, size_t dim, size_t clusters, uint32_t seed) {
  Dataset d;
  d.dim = dim;
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<std::vector<float>> centres(clusters, std::vector<float>(dim));
  for (auto& c : centres)
    for (auto& x : c) x = normal(rng);
  std::uniform_int_distribution<size_t> pick(0, clusters - 1);
  auto draw = [&](std::vector<std::vector<float>>* out, std::vector<int>* labels, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      size_t c = pick(rng);
      std::vector<float> v(dim);
      for (size_t j = 0; j < dim; ++j) v[j] = centres[c][j] + 0.35f * normal(rng);
      out->push_back(std::move(v));
      labels->push_back(static_cast<int>(c));
    }
  };
  draw(&d.train, &d.train_labels, n_train);
  draw(&d.test, &d.test_labels, n_test);
  return d;
}

// Indices of the k nearest training vectors among those `allowed` admits, by the given distance.
template <typename Allowed>
std::vector<size_t> BruteForce(const std::vector<std::vector<float>>& train, const std::vector<float>& q,
                               Distance distance, size_t k, Allowed allowed) {
  std::vector<float> query = q;
  std::vector<std::pair<float, size_t>> all;
  if (distance == Distance::kCosine) NormalizeInPlace(query.data(), query.size());
  for (size_t i = 0; i < train.size(); ++i) {
    if (!allowed(i)) continue;
    std::vector<float> v = train[i];
    if (distance == Distance::kCosine) NormalizeInPlace(v.data(), v.size());
    all.emplace_back(InternalDistance(distance, query.data(), v.data(), v.size()), i);
  }
  size_t n = std::min(k, all.size());
  std::partial_sort(all.begin(), all.begin() + static_cast<long>(n), all.end());
  std::vector<size_t> out;
  for (size_t i = 0; i < n; ++i) out.push_back(all[i].second);
  return out;
}

// A deterministic pseudo-random bucket for point i (for attributes matching 1% or 0.1% of points).
inline uint32_t Bucket(size_t i, uint32_t buckets) {
  uint64_t x = i * 0x9E3779B97F4A7C15ull;
  x ^= x >> 29;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 32;
  return static_cast<uint32_t>(x % buckets);
}

}  // namespace govector::testing
