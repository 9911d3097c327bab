// AVX2 + FMA resize kernels; compiled with -mavx2 -mfma (CMakeLists.txt) and only called when
// cpuid reports both (best_kernels). The same math as resize_kernels_avx512.cc, 8 pixels a step.
#include <immintrin.h>

#include "vision/resize_kernels.h"

namespace kiln::vision::detail {
namespace {

// Eight int32 lanes -> eight int16 (values fit: at most 255 * 2048 >> 4).
inline __m128i narrow(__m256i v) {
  const __m256i packed = _mm256_packs_epi32(v, v);  // per 128-bit lane: a0..a3 a0..a3 | b0..b3 b0..b3
  return _mm256_castsi256_si128(_mm256_permute4x64_epi64(packed, 0x08));
}

void hresize(const uint8_t* row, const HResizeArgs& t, int16_t* h0, int16_t* h1, int16_t* h2) {
  int16_t* planes[3] = {h0, h1, h2};
  const __m256i byte = _mm256_set1_epi32(0xff);
  const __m256i high_byte = _mm256_set1_epi32(0xff0000);
  const int* base = reinterpret_cast<const int*>(row);
  int x = 0;
  for (; x + 8 <= t.gather_end; x += 8) {
    const __m256i o0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(t.xofs0 + x));
    const __m256i o1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(t.xofs1 + x));
    const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(t.alpha + x));
    const __m256i g0 = _mm256_i32gather_epi32(base, o0, 1);
    const __m256i g1 = _mm256_i32gather_epi32(base, o1, 1);
    const __m256i p0 =
        _mm256_or_si256(_mm256_and_si256(g0, byte), _mm256_and_si256(_mm256_slli_epi32(g1, 16), high_byte));
    const __m256i p1 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi32(g0, 8), byte),
                                       _mm256_and_si256(_mm256_slli_epi32(g1, 8), high_byte));
    const __m256i p2 =
        _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi32(g0, 16), byte), _mm256_and_si256(g1, high_byte));
    const __m256i pairs[3] = {p0, p1, p2};
    for (int c = 0; c < 3; ++c) {
      const __m256i h = _mm256_srai_epi32(_mm256_madd_epi16(pairs[c], a), 4);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(planes[c] + x), narrow(h));
    }
  }
  for (; x < t.dst_width; ++x)
    for (int c = 0; c < 3; ++c) planes[c][x] = hresize_one(row, t.xofs0[x], t.xofs1[x], t.alpha[x], c);
}

void vresize(const int16_t* upper, const int16_t* lower, int16_t b0, int16_t b1, int n, float k, float m,
             float* out) {
  const __m256i vb0 = _mm256_set1_epi16(b0), vb1 = _mm256_set1_epi16(b1);
  const __m256i two = _mm256_set1_epi16(2), zero = _mm256_setzero_si256(), max = _mm256_set1_epi16(255);
  const __m256 vk = _mm256_set1_ps(k), vm = _mm256_set1_ps(m);
  int x = 0;
  for (; x + 16 <= n; x += 16) {
    const __m256i u = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(upper + x));
    const __m256i l = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(lower + x));
    __m256i p = _mm256_add_epi16(_mm256_mulhi_epi16(u, vb0), _mm256_mulhi_epi16(l, vb1));
    p = _mm256_srai_epi16(_mm256_add_epi16(p, two), 2);
    p = _mm256_min_epi16(_mm256_max_epi16(p, zero), max);
    const __m256 lo = _mm256_cvtepi32_ps(_mm256_cvtepi16_epi32(_mm256_castsi256_si128(p)));
    const __m256 hi = _mm256_cvtepi32_ps(_mm256_cvtepi16_epi32(_mm256_extracti128_si256(p, 1)));
    _mm256_storeu_ps(out + x, _mm256_fmadd_ps(lo, vk, vm));
    _mm256_storeu_ps(out + x + 8, _mm256_fmadd_ps(hi, vk, vm));
  }
  // The tail rounds like the vector body but multiplies without FMA; keep it fused too, so every
  // element is computed the same way whatever its position.
  for (; x < n; ++x) {
    const __m128 p = _mm_set_ss(static_cast<float>(vresize_one(upper[x], lower[x], b0, b1)));
    out[x] = _mm_cvtss_f32(_mm_fmadd_ss(p, _mm_set_ss(k), _mm_set_ss(m)));
  }
}

void fill(float* out, int n, float v) {
  const __m256 vv = _mm256_set1_ps(v);
  int x = 0;
  for (; x + 8 <= n; x += 8) _mm256_storeu_ps(out + x, vv);
  for (; x < n; ++x) out[x] = v;
}

}  // namespace

const ResizeKernels* avx2_kernels() {
  static const ResizeKernels k{"avx2", hresize, vresize, fill, nullptr, nullptr};
  return &k;
}

}  // namespace kiln::vision::detail
