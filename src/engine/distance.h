// Distance kernels (AVX-512 or AVX2+FMA chosen at run time, scalar without AVX2) and the scale of every score.
//
// Internally every search minimises a "distance": squared L2 for Euclid, -dot for Cosine (on normalised
// vectors) and Dot, L1 for Manhattan. ScoreFromDistance turns it into the score Qdrant reports (Cosine and
// Dot: similarity, higher is better; Euclid: L2 distance; Manhattan: L1 distance; lower is better). The
// scale is common/govector_distance.h's, which the extension shares.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/govector_distance.h"
#include "engine/config.h"

namespace govector {

// The float kernels are chosen once at run time for the CPU: AVX-512 where it has it, else AVX2+FMA (the
// build's baseline); GOVECTOR_KERNELS=avx2 in the environment keeps AVX2. DistanceKernels() names the choice.
const char* DistanceKernels();
float L2Sqr(const float* a, const float* b, size_t n);
float DotProduct(const float* a, const float* b, size_t n);
float L1Distance(const float* a, const float* b, size_t n);
// Scales v to unit length; returns its original norm (0 when v is all zeros, which is left unchanged).
float NormalizeInPlace(float* v, size_t n);
// v as searches score it: for cosine a normalised copy (kept in buf), else v itself. Stored vectors stay as
// written; the index, every score and MMR's similarities see this.
const float* ScoringVector(Distance d, const float* v, size_t n, std::vector<float>* buf);

float InternalDistance(Distance d, const float* a, const float* b, size_t n);
inline float ScoreFromDistance(Distance d, float internal) {
  return gv_score_from_internal(static_cast<GvDistance>(d), internal);
}
// The internal distance a score corresponds to.
inline float DistanceFromScore(Distance d, float score) {
  return gv_internal_from_score(static_cast<GvDistance>(d), score);
}

// SQ8: every vector is quantised on its own range. Layout of one code (16 + n bytes):
//   float min, float scale, float sum of codes, float squared norm of the dequantised vector, uint8 codes[n]
// x[i] is approximately min + scale * codes[i].
inline constexpr size_t kSq8HeaderBytes = 16;
inline size_t Sq8CodeBytes(size_t n) { return kSq8HeaderBytes + n; }
void Sq8Encode(const float* v, size_t n, uint8_t* code);
void Sq8Decode(const uint8_t* code, size_t n, float* out);
// Internal distance between two codes (used to build the graph).
float Sq8Distance(Distance d, const uint8_t* a, const uint8_t* b, size_t n);

// Internal distance from one fixed float query to stored elements, either float vectors or SQ8 codes (from
// the query's own code: see code_).
class QueryDistance {
 public:
  QueryDistance(Distance d, Quantization q, const float* query, size_t n);
  float operator()(const void* element) const;

 private:
  Distance d_;
  Quantization q_;
  const float* query_;
  size_t n_;
  // sq8 (Euclid, Dot, Cosine): the query's own int8 code. Scoring code against code is an integer dot
  // product (a quarter of the float work, VNNI where the CPU has it); the query's quantisation error is
  // what rescoring the best candidates with the floats removes, as for the stored vectors' own.
  std::vector<uint8_t> code_;
};

}  // namespace govector
