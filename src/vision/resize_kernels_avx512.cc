// AVX-512 (F + BW) resize kernels; compiled with -mavx512f -mavx512bw (CMakeLists.txt) and only
// called when cpuid reports both (best_kernels).
#include <immintrin.h>

#include <cstdint>

// GCC 12's AVX-512 headers trip -Wmaybe-uninitialized on their own cast helpers (GCC bug 105593).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include "vision/resize_kernels.h"

namespace kiln::vision::detail {
namespace {

// 16 dst pixels per step: two gathers fetch the 4 bytes at each left and right tap (3 channels
// and one spare byte); per channel, the two taps' bytes become one pair of 16-bit lanes that
// vpmaddwd multiplies by the packed (a0, a1) weights and sums: exactly the scalar integer math.
void hresize(const uint8_t* row, const HResizeArgs& t, int16_t* h0, int16_t* h1, int16_t* h2) {
  int16_t* planes[3] = {h0, h1, h2};
  const __m512i byte = _mm512_set1_epi32(0xff);
  const __m512i high_byte = _mm512_set1_epi32(0xff0000);
  int x = 0;
  for (; x + 16 <= t.gather_end; x += 16) {
    const __m512i o0 = _mm512_loadu_si512(t.xofs0 + x);
    const __m512i o1 = _mm512_loadu_si512(t.xofs1 + x);
    const __m512i a = _mm512_loadu_si512(t.alpha + x);
    const __m512i g0 = _mm512_i32gather_epi32(o0, row, 1);
    const __m512i g1 = _mm512_i32gather_epi32(o1, row, 1);
    const __m512i p0 =
        _mm512_or_si512(_mm512_and_si512(g0, byte), _mm512_and_si512(_mm512_slli_epi32(g1, 16), high_byte));
    const __m512i p1 = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi32(g0, 8), byte),
                                       _mm512_and_si512(_mm512_slli_epi32(g1, 8), high_byte));
    const __m512i p2 =
        _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi32(g0, 16), byte), _mm512_and_si512(g1, high_byte));
    const __m512i pairs[3] = {p0, p1, p2};
    for (int c = 0; c < 3; ++c) {
      const __m512i h = _mm512_srai_epi32(_mm512_madd_epi16(pairs[c], a), 4);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(planes[c] + x), _mm512_cvtepi32_epi16(h));
    }
  }
  for (; x < t.dst_width; ++x)
    for (int c = 0; c < 3; ++c) planes[c][x] = hresize_one(row, t.xofs0[x], t.xofs1[x], t.alpha[x], c);
}

inline __m512 to_float_fma(__m256i p16, __m512 k, __m512 m) {
  return _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_cvtepi16_epi32(p16)), k, m);
}

void vresize(const int16_t* upper, const int16_t* lower, int16_t b0, int16_t b1, int n, float k, float m,
             float* out) {
  const __m512i vb0 = _mm512_set1_epi16(b0), vb1 = _mm512_set1_epi16(b1);
  const __m512i two = _mm512_set1_epi16(2), zero = _mm512_setzero_si512(), max = _mm512_set1_epi16(255);
  const __m512 vk = _mm512_set1_ps(k), vm = _mm512_set1_ps(m);
  for (int x = 0; x < n; x += 32) {
    const int left = n - x;
    const __mmask32 mask = left >= 32 ? ~__mmask32{0} : static_cast<__mmask32>((1u << left) - 1);
    const __m512i u = _mm512_maskz_loadu_epi16(mask, upper + x);
    const __m512i l = _mm512_maskz_loadu_epi16(mask, lower + x);
    __m512i p = _mm512_add_epi16(_mm512_mulhi_epi16(u, vb0), _mm512_mulhi_epi16(l, vb1));
    p = _mm512_srai_epi16(_mm512_add_epi16(p, two), 2);
    p = _mm512_min_epi16(_mm512_max_epi16(p, zero), max);
    const __m512 lo = to_float_fma(_mm512_castsi512_si256(p), vk, vm);
    const __m512 hi = to_float_fma(_mm512_extracti64x4_epi64(p, 1), vk, vm);
    _mm512_mask_storeu_ps(out + x, static_cast<__mmask16>(mask), lo);
    _mm512_mask_storeu_ps(out + x + 16, static_cast<__mmask16>(mask >> 16), hi);
  }
}

void fill(float* out, int n, float v) {
  const __m512 vv = _mm512_set1_ps(v);
  int x = 0;
  for (; x + 16 <= n; x += 16) _mm512_storeu_ps(out + x, vv);
  if (x < n) _mm512_mask_storeu_ps(out + x, static_cast<__mmask16>((1u << (n - x)) - 1), vv);
}

void fill_block(float* out, int n, float v) {
  const __m512 vv = _mm512_set1_ps(v);
  int head = static_cast<int>(((64 - (reinterpret_cast<uintptr_t>(out) & 63)) & 63) / 4);
  if ((reinterpret_cast<uintptr_t>(out) & 3) != 0 || head >= n) return fill(out, n, v);
  if (head > 0) _mm512_mask_storeu_ps(out, static_cast<__mmask16>((1u << head) - 1), vv);
  int x = head;
  for (; x + 16 <= n; x += 16) _mm512_stream_ps(out + x, vv);
  _mm_sfence();  // streamed stores are weakly ordered: complete them before the rows are handed over
  if (x < n) _mm512_mask_storeu_ps(out + x, static_cast<__mmask16>((1u << (n - x)) - 1), vv);
}

}  // namespace

const ResizeKernels* avx512_kernels() {
  static const ResizeKernels k{"avx512", hresize, vresize, fill, nullptr, fill_block};
  return &k;
}

}  // namespace kiln::vision::detail
