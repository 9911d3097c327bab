// The resize with AVX-512 VBMI byte permutes instead of gathers (gathers cost tens of cycles on
// recent cores); compiled with -mavx512vbmi (CMakeLists.txt), chosen when cpuid reports it
// (best_kernels). The vertical pass and fills of the two-pass path are the AVX-512 ones.
#include <immintrin.h>

#include "vision/resize_kernels.h"

// GCC 12's AVX-512 headers trip -Wmaybe-uninitialized on their own cast helpers (GCC bug 105593).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace kiln::vision::detail {
namespace {

// 64 source bytes from `ofs`; masked (never faulting) only where the row ends within them.
inline __m512i load64(const uint8_t* row, int ofs, int row_bytes) {
  const int left = row_bytes - ofs;
  if (left >= 64) return _mm512_loadu_si512(row + ofs);
  return _mm512_maskz_loadu_epi8(left <= 0 ? 0 : ((__mmask64{1} << left) - 1), row + ofs);
}

// One group's two windows of one source row.
struct Windows {
  __m512i lo, hi;
};
inline Windows windows(const uint8_t* row, const HResizeArgs& t, int g) {
  return {load64(row, t.perm_lo[g], t.row_bytes), load64(row, t.perm_hi[g], t.row_bytes)};
}

// Channel c's taps as (left, 0, right, 0) bytes - the 16-bit pairs vpmaddwd multiplies by
// (a0, a1) - summed and >> 4 as OpenCV narrows its horizontal pass. Each value lands in the low
// 16 bits of its 32-bit lane; the high half is zero.
inline __m512i taps(const Windows& w, __m512i sel, __m512i alpha) {
  const __m512i p = _mm512_maskz_permutex2var_epi8(0x5555555555555555ull, w.lo, sel, w.hi);
  return _mm512_srai_epi32(_mm512_madd_epi16(p, alpha), 4);
}

void hresize(const uint8_t* row, const HResizeArgs& t, int16_t* h0, int16_t* h1, int16_t* h2) {
  if (t.perm_lanes == 0) return avx512_kernels()->hresize(row, t, h0, h1, h2);
  int16_t* planes[3] = {h0, h1, h2};
  const int n = t.perm_lanes;
  const __mmask16 lanes = static_cast<__mmask16>((1u << n) - 1);
  for (int g = 0; g < t.perm_groups; ++g) {
    const int x = t.perm_x[g];
    const Windows w = windows(row, t, g);
    const __m512i a = _mm512_maskz_loadu_epi32(lanes, t.alpha + x);
    const uint8_t* idx = t.perm_index + static_cast<size_t>(g) * 192;
    for (int c = 0; c < 3; ++c)
      _mm256_mask_storeu_epi16(planes[c] + x, lanes,
                               _mm512_cvtepi32_epi16(taps(w, _mm512_loadu_si512(idx + c * 64), a)));
  }
  // Rows narrower than one group have no groups.
  for (int x = t.perm_groups ? t.dst_width : 0; x < t.dst_width; ++x)
    for (int c = 0; c < 3; ++c) planes[c][x] = hresize_one(row, t.xofs0[x], t.xofs1[x], t.alpha[x], c);
}

// Only called with permute tables (Preprocessor checks perm_lanes).
void resize_row(const uint8_t* upper, const uint8_t* lower, const HResizeArgs& t, int16_t b0, int16_t b1,
                const int* channel, const float* k, const float* m, float* const* out) {
  // vpmulhw on lanes whose high half is zero: the low half gets (h * b) >> 16, the high half 0.
  const __m512i vb0 = _mm512_set1_epi32(static_cast<uint16_t>(b0)),
                vb1 = _mm512_set1_epi32(static_cast<uint16_t>(b1));
  const __m512i two = _mm512_set1_epi32(2);
  __m512 vk[3], vm[3];
  for (int p = 0; p < 3; ++p) vk[p] = _mm512_set1_ps(k[p]), vm[p] = _mm512_set1_ps(m[p]);
  const int n = t.perm_lanes;
  const __mmask16 lanes = static_cast<__mmask16>((1u << n) - 1);
  // Everything the loop reads, in locals: the intrinsic stores may alias any memory, so fields
  // read through pointers would be reloaded after every store.
  const int groups = t.perm_groups, width = t.dst_width, row_bytes = t.row_bytes;
  const int32_t *gx = t.perm_x, *lo = t.perm_lo, *hi = t.perm_hi, *alpha = t.alpha;
  const uint8_t* index = t.perm_index;
  const int sel0 = channel[0] * 64, sel1 = channel[1] * 64, sel2 = channel[2] * 64;
  float *out0 = out[0], *out1 = out[1], *out2 = out[2];
  auto plane = [&](const Windows& wu, const Windows& wl, __m512i sel, __m512i a, __m512 k, __m512 m) {
    const __m512i hu = taps(wu, sel, a), hl = taps(wl, sel, a);
    // At most 255 * 4 before the shift, never negative: no clamping needed.
    const __m512i v = _mm512_add_epi32(_mm512_mulhi_epi16(hu, vb0), _mm512_mulhi_epi16(hl, vb1));
    return _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_srai_epi32(_mm512_add_epi32(v, two), 2)), k, m);
  };
  for (int g = 0; g < groups; ++g) {
    const int x = gx[g];
    const Windows wu = {load64(upper, lo[g], row_bytes), load64(upper, hi[g], row_bytes)};
    const Windows wl = {load64(lower, lo[g], row_bytes), load64(lower, hi[g], row_bytes)};
    const uint8_t* idx = index + static_cast<size_t>(g) * 192;
    // While a whole vector fits in the row, loads and stores are unmasked (masked stores that
    // split cache lines are slow): lanes past the group's are written and then overwritten by
    // the next group.
    if (x + 16 <= width) {
      const __m512i a = _mm512_loadu_si512(alpha + x);
      const __m512 f0 = plane(wu, wl, _mm512_loadu_si512(idx + sel0), a, vk[0], vm[0]);
      const __m512 f1 = plane(wu, wl, _mm512_loadu_si512(idx + sel1), a, vk[1], vm[1]);
      const __m512 f2 = plane(wu, wl, _mm512_loadu_si512(idx + sel2), a, vk[2], vm[2]);
      _mm512_storeu_ps(out0 + x, f0);
      _mm512_storeu_ps(out1 + x, f1);
      _mm512_storeu_ps(out2 + x, f2);
    } else {
      const __m512i a = _mm512_maskz_loadu_epi32(lanes, alpha + x);
      _mm512_mask_storeu_ps(out0 + x, lanes, plane(wu, wl, _mm512_loadu_si512(idx + sel0), a, vk[0], vm[0]));
      _mm512_mask_storeu_ps(out1 + x, lanes, plane(wu, wl, _mm512_loadu_si512(idx + sel1), a, vk[1], vm[1]));
      _mm512_mask_storeu_ps(out2 + x, lanes, plane(wu, wl, _mm512_loadu_si512(idx + sel2), a, vk[2], vm[2]));
    }
  }
  // Rows narrower than one group have no groups.
  for (int x = t.perm_groups ? t.dst_width : 0; x < t.dst_width; ++x)
    for (int p = 0; p < 3; ++p) {
      const int c = channel[p];
      const int16_t hu = hresize_one(upper, t.xofs0[x], t.xofs1[x], t.alpha[x], c);
      const int16_t hl = hresize_one(lower, t.xofs0[x], t.xofs1[x], t.alpha[x], c);
      const __m128 v = _mm_set_ss(static_cast<float>(vresize_one(hu, hl, b0, b1)));
      out[p][x] = _mm_cvtss_f32(_mm_fmadd_ss(v, _mm_set_ss(k[p]), _mm_set_ss(m[p])));
    }
}

}  // namespace

const ResizeKernels* avx512vbmi_kernels() {
  static const ResizeKernels k{"avx512vbmi",           hresize,    avx512_kernels()->vresize,
                               avx512_kernels()->fill, resize_row, avx512_kernels()->fill_block};
  return &k;
}

}  // namespace kiln::vision::detail
