#include "engine/distance.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define GV_AVX2 1
#endif

namespace govector {

namespace {

#ifdef GV_AVX2
inline float HorizontalSum(__m256 v) {
  __m128 lo = _mm256_castps256_ps128(v);
  __m128 hi = _mm256_extractf128_ps(v, 1);
  lo = _mm_add_ps(lo, hi);
  __m128 shuf = _mm_movehdup_ps(lo);
  __m128 sums = _mm_add_ps(lo, shuf);
  shuf = _mm_movehl_ps(shuf, sums);
  sums = _mm_add_ss(sums, shuf);
  return _mm_cvtss_f32(sums);
}
inline __m256 LoadCodes8(const uint8_t* p) {
  __m128i bytes = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
  return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(bytes));
}
#endif

// Sum over i of q[i] * c[i] for float q and uint8 c.
float DotFloatCodes(const float* q, const uint8_t* c, size_t n) {
  size_t i = 0;
  float s = 0;
#ifdef GV_AVX2
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  for (; i + 16 <= n; i += 16) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), LoadCodes8(c + i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 8), LoadCodes8(c + i + 8), acc1);
  }
  for (; i + 8 <= n; i += 8) acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), LoadCodes8(c + i), acc0);
  s = HorizontalSum(_mm256_add_ps(acc0, acc1));
#endif
  for (; i < n; ++i) s += q[i] * static_cast<float>(c[i]);
  return s;
}

// Sum over i of a[i] * b[i] for uint8 a and b (exact in 64 bits).
uint64_t DotCodes(const uint8_t* a, const uint8_t* b, size_t n) {
  size_t i = 0;
  uint64_t s = 0;
#ifdef GV_AVX2
  __m256i acc = _mm256_setzero_si256();
  size_t block = 0;
  for (; i + 16 <= n; i += 16) {
    __m256i va = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i)));
    __m256i vb = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i)));
    acc = _mm256_add_epi32(acc, _mm256_madd_epi16(va, vb));  // each lane at most 2*255*255 per step
    if (++block == 4096) {  // keep 32-bit lanes from overflowing
      alignas(32) uint32_t lanes[8];
      _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), acc);
      for (uint32_t l : lanes) s += l;
      acc = _mm256_setzero_si256();
      block = 0;
    }
  }
  alignas(32) uint32_t lanes[8];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), acc);
  for (uint32_t l : lanes) s += l;
#endif
  for (; i < n; ++i) s += static_cast<uint64_t>(a[i]) * b[i];
  return s;
}

struct Sq8Header {
  float min, scale, sum, norm2;
};

inline Sq8Header ReadHeader(const uint8_t* code) {
  Sq8Header h;
  std::memcpy(&h, code, sizeof(h));
  return h;
}

}  // namespace

float L2Sqr(const float* a, const float* b, size_t n) {
  size_t i = 0;
  float s = 0;
#ifdef GV_AVX2
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  for (; i + 16 <= n; i += 16) {
    __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
    __m256 d1 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8));
    acc0 = _mm256_fmadd_ps(d0, d0, acc0);
    acc1 = _mm256_fmadd_ps(d1, d1, acc1);
  }
  for (; i + 8 <= n; i += 8) {
    __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
    acc0 = _mm256_fmadd_ps(d0, d0, acc0);
  }
  s = HorizontalSum(_mm256_add_ps(acc0, acc1));
#endif
  for (; i < n; ++i) {
    float d = a[i] - b[i];
    s += d * d;
  }
  return s;
}

float DotProduct(const float* a, const float* b, size_t n) {
  size_t i = 0;
  float s = 0;
#ifdef GV_AVX2
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  for (; i + 16 <= n; i += 16) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
  }
  for (; i + 8 <= n; i += 8) acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
  s = HorizontalSum(_mm256_add_ps(acc0, acc1));
#endif
  for (; i < n; ++i) s += a[i] * b[i];
  return s;
}

float L1Distance(const float* a, const float* b, size_t n) {
  size_t i = 0;
  float s = 0;
#ifdef GV_AVX2
  const __m256 sign = _mm256_set1_ps(-0.0f);
  __m256 acc = _mm256_setzero_ps();
  for (; i + 8 <= n; i += 8) {
    __m256 d = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
    acc = _mm256_add_ps(acc, _mm256_andnot_ps(sign, d));
  }
  s = HorizontalSum(acc);
#endif
  for (; i < n; ++i) s += std::fabs(a[i] - b[i]);
  return s;
}

float NormalizeInPlace(float* v, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; ++i) s += static_cast<double>(v[i]) * v[i];
  double norm = std::sqrt(s);
  // A vector of unit length to float precision is kept as it is, so that normalizing is idempotent: a point
  // read back (gv_get, gv_dump) and written again keeps exactly its vector. The norm of a normalized float
  // vector is within 2^-24 of 1; scaling by 1 / norm could still move a component by one ulp.
  if (std::fabs(norm - 1.0) <= 0x1p-22) return static_cast<float>(norm);
  if (norm > 0) {
    // In double: for a vector of denormal components 1 / norm is beyond float's range (it became Infinity).
    double inv = 1.0 / norm;
    for (size_t i = 0; i < n; ++i) v[i] = static_cast<float>(v[i] * inv);
  }
  return static_cast<float>(norm);
}

const float* ScoringVector(Distance d, const float* v, size_t n, std::vector<float>* buf) {
  if (d != Distance::kCosine) return v;
  buf->assign(v, v + n);
  NormalizeInPlace(buf->data(), n);
  return buf->data();
}

float InternalDistance(Distance d, const float* a, const float* b, size_t n) {
  switch (d) {
    case Distance::kEuclid: return L2Sqr(a, b, n);
    case Distance::kCosine:
    case Distance::kDot: return -DotProduct(a, b, n);
    case Distance::kManhattan: return L1Distance(a, b, n);
  }
  return 0;
}

void Sq8Encode(const float* v, size_t n, uint8_t* code) {
  float lo = v[0], hi = v[0];
  for (size_t i = 1; i < n; ++i) {
    lo = std::min(lo, v[i]);
    hi = std::max(hi, v[i]);
  }
  float scale = (hi - lo) / 255.0f;
  float inv = scale > 0 ? 1.0f / scale : 0.0f;
  uint8_t* c = code + kSq8HeaderBytes;
  uint64_t sum = 0;
  double norm2 = 0;
  for (size_t i = 0; i < n; ++i) {
    long q = std::lround((v[i] - lo) * inv);
    q = std::clamp(q, 0L, 255L);
    c[i] = static_cast<uint8_t>(q);
    sum += c[i];
    double x = lo + scale * c[i];
    norm2 += x * x;
  }
  Sq8Header h{lo, scale, static_cast<float>(sum), static_cast<float>(norm2)};
  std::memcpy(code, &h, sizeof(h));
}

void Sq8Decode(const uint8_t* code, size_t n, float* out) {
  Sq8Header h = ReadHeader(code);
  const uint8_t* c = code + kSq8HeaderBytes;
  for (size_t i = 0; i < n; ++i) out[i] = h.min + h.scale * c[i];
}

float Sq8Distance(Distance d, const uint8_t* a, const uint8_t* b, size_t n) {
  Sq8Header ha = ReadHeader(a), hb = ReadHeader(b);
  const uint8_t* ca = a + kSq8HeaderBytes;
  const uint8_t* cb = b + kSq8HeaderBytes;
  if (d == Distance::kManhattan) {
    float s = 0;
    for (size_t i = 0; i < n; ++i) s += std::fabs(ha.min + ha.scale * ca[i] - hb.min - hb.scale * cb[i]);
    return s;
  }
  double dot = static_cast<double>(n) * ha.min * hb.min + static_cast<double>(ha.min) * hb.scale * hb.sum +
               static_cast<double>(hb.min) * ha.scale * ha.sum +
               static_cast<double>(ha.scale) * hb.scale * static_cast<double>(DotCodes(ca, cb, n));
  if (d == Distance::kEuclid) return static_cast<float>(std::max(0.0, ha.norm2 + hb.norm2 - 2 * dot));
  return static_cast<float>(-dot);
}

QueryDistance::QueryDistance(Distance d, Quantization q, const float* query, size_t n)
    : d_(d), q_(q), query_(query), n_(n) {
  if (q_ == Quantization::kSq8) {
    for (size_t i = 0; i < n; ++i) {
      query_sum_ += query[i];
      query_norm2_ += query[i] * query[i];
    }
  }
}

float QueryDistance::operator()(const void* element) const {
  if (q_ == Quantization::kNone) return InternalDistance(d_, query_, static_cast<const float*>(element), n_);
  const uint8_t* code = static_cast<const uint8_t*>(element);
  Sq8Header h = ReadHeader(code);
  const uint8_t* c = code + kSq8HeaderBytes;
  if (d_ == Distance::kManhattan) {
    float s = 0;
    for (size_t i = 0; i < n_; ++i) s += std::fabs(query_[i] - (h.min + h.scale * c[i]));
    return s;
  }
  float dot = h.min * query_sum_ + h.scale * DotFloatCodes(query_, c, n_);
  if (d_ == Distance::kEuclid) return std::max(0.0f, query_norm2_ + h.norm2 - 2 * dot);
  return -dot;
}

}  // namespace govector
