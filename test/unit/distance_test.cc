// Distance kernels against a scalar reference, and SQ8's error bounds.
#include "engine/distance.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <cstdio>
#include <random>
#include <vector>

namespace govector {
namespace {

std::vector<float> RandomVector(std::mt19937& rng, size_t n) {
  std::normal_distribution<float> normal(0, 1);
  std::vector<float> v(n);
  for (auto& x : v) x = normal(rng);
  return v;
}

// Whichever kernels the CPU got (DistanceKernels(); `make unit` runs this file again with GOVECTOR_KERNELS=avx2),
// at lengths that end in every kind of tail: 8-, 16-, 32- and 64-wide blocks and masked remainders.
TEST(Distance, KernelsMatchScalarReference) {
  std::mt19937 rng(1);
  std::printf("distance kernels: %s\n", DistanceKernels());
  for (size_t n : {1u, 3u, 7u, 8u, 9u, 15u, 16u, 17u, 31u, 32u, 33u, 47u, 63u, 64u, 65u, 100u, 128u, 784u, 1001u,
                   1536u}) {
    auto a = RandomVector(rng, n), b = RandomVector(rng, n);
    double l2 = 0, dot = 0, l1 = 0;
    for (size_t i = 0; i < n; ++i) {
      l2 += double(a[i] - b[i]) * (a[i] - b[i]);
      dot += double(a[i]) * b[i];
      l1 += std::fabs(double(a[i]) - b[i]);
    }
    EXPECT_NEAR(L2Sqr(a.data(), b.data(), n), l2, 1e-4 * (1 + l2)) << n;
    EXPECT_NEAR(DotProduct(a.data(), b.data(), n), dot, 1e-4 * (1 + std::fabs(dot))) << n;
    EXPECT_NEAR(L1Distance(a.data(), b.data(), n), l1, 1e-4 * (1 + l1)) << n;
  }
}

TEST(Distance, ScoresConvertBothWays) {
  EXPECT_FLOAT_EQ(ScoreFromDistance(Distance::kEuclid, 9.0f), 3.0f);
  EXPECT_FLOAT_EQ(ScoreFromDistance(Distance::kCosine, -0.5f), 0.5f);
  EXPECT_FLOAT_EQ(ScoreFromDistance(Distance::kDot, 2.0f), -2.0f);
  EXPECT_FLOAT_EQ(ScoreFromDistance(Distance::kManhattan, 4.0f), 4.0f);
  for (Distance d : {Distance::kEuclid, Distance::kCosine, Distance::kDot, Distance::kManhattan})
    EXPECT_FLOAT_EQ(ScoreFromDistance(d, DistanceFromScore(d, 0.75f)), 0.75f);
}

TEST(Distance, NormalizeKeepsZeroVectors) {
  std::vector<float> v = {3, 4};
  EXPECT_FLOAT_EQ(NormalizeInPlace(v.data(), 2), 5.0f);
  EXPECT_FLOAT_EQ(v[0], 0.6f);
  std::vector<float> z = {0, 0};
  EXPECT_FLOAT_EQ(NormalizeInPlace(z.data(), 2), 0.0f);
  EXPECT_EQ(z[0], 0.0f);
}

// A point read back and written again (a dump restored, gv_get into gv_upsert) keeps exactly its vector:
// normalizing a normalized vector changes no bit. Scaling by 1 / norm again moved one component by an ulp in
// about one vector in 300.
TEST(Distance, NormalizeIsIdempotent) {
  std::mt19937 rng(7);
  int changed = 0;
  for (size_t n : {3u, 8u, 64u, 128u, 784u, 1536u}) {
    for (int k = 0; k < 2000; ++k) {
      auto v = RandomVector(rng, n);
      NormalizeInPlace(v.data(), n);
      auto again = v;
      NormalizeInPlace(again.data(), n);
      if (again != v) ++changed;
    }
  }
  EXPECT_EQ(changed, 0);
}

// The encoder runs eight components at a time; each code must be what the plain formula gives (rounding half
// away from zero, ties included), and the header's sums what the plain loop adds.
TEST(Distance, Sq8EncodeMatchesThePlainFormula) {
  std::mt19937 rng(5);
  for (size_t n : {1u, 7u, 8u, 9u, 16u, 31u, 784u, 1000u}) {
    for (int trial = 0; trial < 20; ++trial) {
      auto v = RandomVector(rng, n);
      if (trial % 4 == 1) {  // components on exact half steps: ties everywhere
        for (size_t i = 0; i < n; ++i) v[i] = static_cast<float>(rng() % 511) / 2.0f;
        v[0] = 0;
        if (n > 1) v[1] = 255;
      }
      if (trial % 4 == 2)
        for (float& x : v) x = 0.75f;  // zero range
      std::vector<uint8_t> code(Sq8CodeBytes(n));
      Sq8Encode(v.data(), n, code.data());
      float lo = *std::min_element(v.begin(), v.end()), hi = *std::max_element(v.begin(), v.end());
      float scale = (hi - lo) / 255.0f, inv = scale > 0 ? 1.0f / scale : 0.0f;
      uint64_t sum = 0;
      double norm2 = 0;
      for (size_t i = 0; i < n; ++i) {
        long q = std::clamp(std::lround((v[i] - lo) * inv), 0L, 255L);
        ASSERT_EQ(code[kSq8HeaderBytes + i], q) << "n " << n << " component " << i << " value " << v[i];
        sum += q;
        float x = lo + scale * static_cast<float>(q);
        norm2 += static_cast<double>(x) * x;
      }
      float header[4];
      std::memcpy(header, code.data(), sizeof(header));
      EXPECT_EQ(header[0], lo);
      EXPECT_EQ(header[1], scale);
      EXPECT_EQ(header[2], static_cast<float>(sum));
      EXPECT_NEAR(header[3], norm2, 1e-6 * norm2 + 1e-30);
    }
  }
}

TEST(Distance, Sq8RoundTripAndDistances) {
  std::mt19937 rng(2);
  for (size_t n : {1u, 5u, 63u, 64u, 65u, 127u, 129u, 784u, 1536u}) {
    auto a = RandomVector(rng, n), b = RandomVector(rng, n);
    std::vector<uint8_t> ca(Sq8CodeBytes(n)), cb(Sq8CodeBytes(n));
    Sq8Encode(a.data(), n, ca.data());
    Sq8Encode(b.data(), n, cb.data());
    std::vector<float> back(n);
    Sq8Decode(ca.data(), n, back.data());
    float lo = *std::min_element(a.begin(), a.end()), hi = *std::max_element(a.begin(), a.end());
    float step = (hi - lo) / 255;
    for (size_t i = 0; i < n; ++i) EXPECT_NEAR(back[i], a[i], step / 2 + 1e-5);
    std::vector<float> bb(n);
    Sq8Decode(cb.data(), n, bb.data());
    for (Distance d : {Distance::kEuclid, Distance::kDot, Distance::kManhattan}) {
      // Code-to-code distance equals the distance of the decoded vectors.
      float ref = InternalDistance(d, back.data(), bb.data(), n);
      EXPECT_NEAR(Sq8Distance(d, ca.data(), cb.data(), n), ref, 1e-3 * (1 + std::fabs(ref))) << n;
      // Query-to-code distance: Manhattan from the float query to the decoded vector; the others from the
      // query's own code, so within the query's quantisation error of that (half a step per component).
      QueryDistance qd(d, Quantization::kSq8, a.data(), n);
      float ref_q = InternalDistance(d, a.data(), bb.data(), n);
      double bound = 1e-3 * (1 + std::fabs(ref_q));
      if (d != Distance::kManhattan) {
        EXPECT_NEAR(qd(cb.data()), Sq8Distance(d, ca.data(), cb.data(), n), 1e-3 * (1 + std::fabs(ref_q))) << n;
        for (size_t i = 0; i < n; ++i)
          bound += step / 2 * (d == Distance::kDot ? std::fabs(bb[i]) : std::fabs(a[i] + back[i] - 2 * bb[i]));
      }
      EXPECT_NEAR(qd(cb.data()), ref_q, bound) << n;
    }
  }
  // A constant vector has zero range and must round-trip exactly.
  std::vector<float> c(10, 2.5f);
  std::vector<uint8_t> code(Sq8CodeBytes(10));
  Sq8Encode(c.data(), 10, code.data());
  std::vector<float> out(10);
  Sq8Decode(code.data(), 10, out.data());
  for (float x : out) EXPECT_FLOAT_EQ(x, 2.5f);
}

}  // namespace
}  // namespace govector
