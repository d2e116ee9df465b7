#include "engine/distance.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
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
#endif

// Sum over i of a[i] * b[i] for uint8 a and b (exact in 64 bits).
uint64_t DotCodesBase(const uint8_t* a, const uint8_t* b, size_t n) {
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

namespace {

#ifdef GV_AVX2
// AVX-512 forms of the float kernels, compiled for it whatever the build's -march and chosen at run time
// (Kernels below) on CPUs that have it: one binary, the widest kernels the machine runs. The tail is a
// masked load, so any n runs without a scalar loop.
#define GV_AVX512_TARGET __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq")))
// GCC 12's AVX-512 headers start some intrinsics from a deliberately undefined register (GCC bug 105593):
// its -Wuninitialized warnings about them are false.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

GV_AVX512_TARGET float L2SqrAvx512(const float* a, const float* b, size_t n) {
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    __m512 d0 = _mm512_sub_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));
    __m512 d1 = _mm512_sub_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16));
    acc0 = _mm512_fmadd_ps(d0, d0, acc0);
    acc1 = _mm512_fmadd_ps(d1, d1, acc1);
  }
  for (; i < n; i += 16) {
    __mmask16 m = n - i >= 16 ? __mmask16(0xFFFF) : static_cast<__mmask16>((1u << (n - i)) - 1);
    __m512 d = _mm512_sub_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i));
    acc0 = _mm512_fmadd_ps(d, d, acc0);
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
}

GV_AVX512_TARGET float DotProductAvx512(const float* a, const float* b, size_t n) {
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc0);
    acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), acc1);
  }
  for (; i < n; i += 16) {
    __mmask16 m = n - i >= 16 ? __mmask16(0xFFFF) : static_cast<__mmask16>((1u << (n - i)) - 1);
    acc0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i), acc0);
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
}

GV_AVX512_TARGET float L1DistanceAvx512(const float* a, const float* b, size_t n) {
  __m512 acc = _mm512_setzero_ps();
  for (size_t i = 0; i < n; i += 16) {
    __mmask16 m = n - i >= 16 ? __mmask16(0xFFFF) : static_cast<__mmask16>((1u << (n - i)) - 1);
    acc = _mm512_add_ps(acc, _mm512_abs_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i))));
  }
  return _mm512_reduce_add_ps(acc);
}

// Sum over i of a[i] * b[i] for uint8 a and b, 64 bytes per instruction: vpdpbusd multiplies unsigned bytes
// of a by signed bytes, so b goes in as b - 128 (its top bit flipped) and 128 * sum(a) is added back. Each
// 32-bit lane gains at most 4 * 255 * 128 per step: no overflow below 2^14 steps (10^6 dimensions).
__attribute__((target("avx512f,avx512bw,avx512vnni"))) uint64_t DotCodesVnni(const uint8_t* a, const uint8_t* b,
                                                                              size_t n) {
  const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
  __m512i acc = _mm512_setzero_si512(), sum_a = _mm512_setzero_si512();
  for (size_t i = 0; i < n; i += 64) {
    __mmask64 m = n - i >= 64 ? ~__mmask64(0) : (__mmask64(1) << (n - i)) - 1;
    __m512i va = _mm512_maskz_loadu_epi8(m, a + i);
    __m512i vb = _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, b + i), flip);  // masked-off lanes: a is 0
    acc = _mm512_dpbusd_epi32(acc, va, vb);
    sum_a = _mm512_add_epi64(sum_a, _mm512_sad_epu8(va, _mm512_setzero_si512()));
  }
  int64_t dot = _mm512_reduce_add_epi64(_mm512_add_epi64(_mm512_cvtepi32_epi64(_mm512_castsi512_si256(acc)),
                                                         _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(acc, 1))));
  return static_cast<uint64_t>(dot + 128 * _mm512_reduce_add_epi64(sum_a));
}

#pragma GCC diagnostic pop
#endif

float L2SqrBase(const float* a, const float* b, size_t n) {
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

float DotProductBase(const float* a, const float* b, size_t n) {
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

float L1DistanceBase(const float* a, const float* b, size_t n) {
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

// The kernels this CPU runs best, chosen once.
struct Kernels {
  float (*l2)(const float*, const float*, size_t) = L2SqrBase;
  float (*dot)(const float*, const float*, size_t) = DotProductBase;
  float (*l1)(const float*, const float*, size_t) = L1DistanceBase;
  uint64_t (*codes_dot)(const uint8_t*, const uint8_t*, size_t) = DotCodesBase;
  const char* name = "avx2";
  Kernels() {
#ifdef GV_AVX2
    __builtin_cpu_init();
    const char* force = std::getenv("GOVECTOR_KERNELS");  // "avx2": the narrower kernels (tests, comparisons)
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq") && !(force && std::strcmp(force, "avx2") == 0)) {
      l2 = L2SqrAvx512;
      dot = DotProductAvx512;
      l1 = L1DistanceAvx512;
      name = "avx512";
      if (__builtin_cpu_supports("avx512vnni")) {
        codes_dot = DotCodesVnni;
        name = "avx512+vnni";
      }
    }
#else
    name = "scalar";
#endif
  }
};

const Kernels& K() {
  static const Kernels k;
  return k;
}

uint64_t DotCodes(const uint8_t* a, const uint8_t* b, size_t n) { return K().codes_dot(a, b, n); }

}  // namespace

const char* DistanceKernels() { return K().name; }
float L2Sqr(const float* a, const float* b, size_t n) { return K().l2(a, b, n); }
float DotProduct(const float* a, const float* b, size_t n) { return K().dot(a, b, n); }
float L1Distance(const float* a, const float* b, size_t n) { return K().l1(a, b, n); }

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

// Every stored vector of an SQ8 collection or a scan-coded one is encoded as it is applied (a load encodes
// each vector once), so this runs eight lanes at a time. It computes exactly what the scalar formula below
// does for each component: lround((v - lo) * inv), clamped, where rounding half away from zero of a
// non-negative y is floor(y) + (y - floor(y) >= 0.5) (the subtraction is exact below 2^23); only norm2's
// double sum is added in another order.
void Sq8Encode(const float* v, size_t n, uint8_t* code) {
  float lo = v[0], hi = v[0];
  size_t i = 0;
#ifdef GV_AVX2
  if (n >= 8) {
    __m256 vlo = _mm256_loadu_ps(v), vhi = vlo;
    for (i = 8; i + 8 <= n; i += 8) {
      __m256 x = _mm256_loadu_ps(v + i);
      vlo = _mm256_min_ps(vlo, x);
      vhi = _mm256_max_ps(vhi, x);
    }
    alignas(32) float lanes_lo[8], lanes_hi[8];
    _mm256_store_ps(lanes_lo, vlo);
    _mm256_store_ps(lanes_hi, vhi);
    for (int l = 0; l < 8; ++l) {
      lo = std::min(lo, lanes_lo[l]);
      hi = std::max(hi, lanes_hi[l]);
    }
  }
#endif
  for (; i < n; ++i) {
    lo = std::min(lo, v[i]);
    hi = std::max(hi, v[i]);
  }
  float scale = (hi - lo) / 255.0f;
  float inv = scale > 0 ? 1.0f / scale : 0.0f;
  uint8_t* c = code + kSq8HeaderBytes;
  uint64_t sum = 0;
  double norm2 = 0;
  i = 0;
#ifdef GV_AVX2
  const __m256 vlo = _mm256_set1_ps(lo), vinv = _mm256_set1_ps(inv), vscale = _mm256_set1_ps(scale);
  const __m256 half = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1.0f), top = _mm256_set1_ps(255.0f);
  __m256i vsum = _mm256_setzero_si256();
  __m256d n2a = _mm256_setzero_pd(), n2b = _mm256_setzero_pd();
  for (; i + 8 <= n; i += 8) {
    __m256 y = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(v + i), vlo), vinv);
    __m256 f = _mm256_floor_ps(y);
    __m256 up = _mm256_and_ps(_mm256_cmp_ps(_mm256_sub_ps(y, f), half, _CMP_GE_OQ), one);
    __m256 q = _mm256_min_ps(_mm256_max_ps(_mm256_add_ps(f, up), _mm256_setzero_ps()), top);
    __m256i qi = _mm256_cvtps_epi32(q);  // exact: q is a whole number in [0, 255]
    vsum = _mm256_add_epi32(vsum, qi);
    __m128i packed = _mm_packus_epi16(_mm_packus_epi32(_mm256_castsi256_si128(qi), _mm256_extracti128_si256(qi, 1)),
                                      _mm_setzero_si128());
    _mm_storel_epi64(reinterpret_cast<__m128i*>(c + i), packed);
    __m256 x = _mm256_add_ps(vlo, _mm256_mul_ps(vscale, q));  // lo + scale * c, in float as below
    __m256d xa = _mm256_cvtps_pd(_mm256_castps256_ps128(x)), xb = _mm256_cvtps_pd(_mm256_extractf128_ps(x, 1));
    n2a = _mm256_add_pd(n2a, _mm256_mul_pd(xa, xa));
    n2b = _mm256_add_pd(n2b, _mm256_mul_pd(xb, xb));
  }
  alignas(32) uint32_t lanes_sum[8];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes_sum), vsum);
  for (uint32_t s : lanes_sum) sum += s;
  alignas(32) double lanes_n2[4];
  _mm256_store_pd(lanes_n2, _mm256_add_pd(n2a, n2b));
  for (double d : lanes_n2) norm2 += d;
#endif
  for (; i < n; ++i) {
    long q = std::lround((v[i] - lo) * inv);
    q = std::clamp(q, 0L, 255L);
    c[i] = static_cast<uint8_t>(q);
    sum += c[i];
    float x = lo + scale * c[i];
    norm2 += static_cast<double>(x) * x;
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
  if (q_ == Quantization::kSq8 && d_ != Distance::kManhattan) {
    code_.resize(Sq8CodeBytes(n));
    Sq8Encode(query, n, code_.data());
  }
}

float QueryDistance::operator()(const void* element) const {
  if (q_ == Quantization::kNone) return InternalDistance(d_, query_, static_cast<const float*>(element), n_);
  const uint8_t* code = static_cast<const uint8_t*>(element);
  if (!code_.empty()) return Sq8Distance(d_, code_.data(), code, n_);
  Sq8Header h = ReadHeader(code);
  const uint8_t* c = code + kSq8HeaderBytes;
  // Manhattan: from the float query to the decoded vector.
  float s = 0;
  for (size_t i = 0; i < n_; ++i) s += std::fabs(query_[i] - (h.min + h.scale * c[i]));
  return s;
}

}  // namespace govector
