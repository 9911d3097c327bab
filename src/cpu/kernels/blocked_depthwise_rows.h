// Depthwise convolution rows on the blocked layout with the kernel width and column stride known
// at compile time (3 or 5 taps, stride 1 or 2, undilated): each task's rows run in one function,
// border pixels included, with no call per tile. The general depthwise path (blocked_conv_impl.h)
// called a tile function per border pixel and per short interior run; on MobileNetV2's 14x14 and
// 7x7 planes those calls and their set-up took most of the layer's time (AVX2, 960 channels @7:
// 8% of the FMA ceiling).
#pragma once

#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "cpu/kernels/blocked_geom.h"
#include "cpu/ukernels/gemm_impl.h"
#include "ops/activation.h"

namespace kiln::cpu::detail {

// Whether depthwise_rows takes a depthwise layer of this geometry: every window must keep a
// column inside the row (the left and right padding below the kernel width), so that a tile's
// columns outside it are among its first or last KW - 1.
inline bool depthwise_rows_apply(const BlockedGeom& g) {
  return g.dh == 1 && g.dw == 1 && (g.kw == 3 || g.kw == 5) && (g.sw == 1 || g.sw == 2) && g.pl < g.kw &&
         (g.ow - 1) * g.sw - g.pl < g.iw;
}

// Stores PW output vectors from pixel `at` (floats) through the activation and the residual.
template <class V, int PW, class Act>
[[gnu::always_inline]] inline void depthwise_store(typename V::T (&acc)[PW], float* y, const float* r,
                                                   int64_t at, bool before, Act act) {
  constexpr int B = V::kWidth;
#pragma GCC unroll 16
  for (int p = 0; p < PW; ++p) {
    typename V::T v = acc[p];
    if (r && before) v = V::add(v, V::load(r + at + p * B));
    v = act(v);
    if (r && !before) v = V::add(v, V::load(r + at + p * B));
    V::store(y + at + p * B, v);
  }
}

// PW consecutive output pixels of one row: x points at the first pixel's tap 0 of kernel row 0 of
// the `rows` valid ones. Each input vector of a kernel row is loaded once and feeds every pixel
// whose window holds it (KW of them at stride 1): PW + KW - 1 loads per PW x KW FMAs at stride 1
// instead of PW x KW. Edge: the first `lo` and last `hi` columns lie outside the row (a tile
// holding border pixels); they read as zeros through masked loads, which touch no memory.
template <class V, int KW, int SW, int PW, bool Edge>
[[gnu::always_inline]] inline void depthwise_interior(typename V::T (&acc)[PW], const float* x,
                                                      const float* w, int64_t rows, int64_t row_floats,
                                                      int lo, int hi) {
  using T = typename V::T;
  constexpr int B = V::kWidth;
  constexpr int kCols = (PW - 1) * SW + KW;
  for (int64_t ky = 0; ky < rows; ++ky, x += row_floats, w += KW * B) {
    T wv[KW];
#pragma GCC unroll 8
    for (int kx = 0; kx < KW; ++kx) wv[kx] = V::load(w + kx * B);
#pragma GCC unroll 64
    for (int c = 0; c < kCols; ++c) {
      T xv;
      if (Edge && (c < KW - 1 || c > kCols - KW)) {
        const bool outside = (c < KW - 1 && c < lo) || (c > kCols - KW && c >= kCols - hi);
        xv = V::load_n(x + c * B, outside ? 0 : B);
      } else {
        xv = V::load(x + c * B);
      }
#pragma GCC unroll 8
      for (int kx = 0; kx < KW; ++kx) {
        const int q = c - kx;
        if (q >= 0 && q % SW == 0 && q / SW < PW) acc[q / SW] = V::fmadd(xv, wv[kx], acc[q / SW]);
      }
    }
  }
}

// The most pixels of an interior tile: its sums, KW weights and one input vector in registers
// (16 of AVX2's registers; tiles of up to 12 on AVX-512 ran 1.2x slower at 14x14 and 28x28,
// kiln_conv_bench on Zen 4).
constexpr int kDepthwiseTile = 8;

// One tile of P pixels from ox; the columns of border pixels outside the row read as zeros.
template <class V, int KW, int SW, int P, class Act>
[[gnu::always_inline]] inline void depthwise_tile(const BlockedGeom& g, const float* xrow, const float* w,
                                                  typename V::T bv, float* y, const float* r, int64_t at_row,
                                                  int64_t rows, int64_t ox, bool before, Act act) {
  constexpr int B = V::kWidth;
  constexpr int kCols = (P - 1) * SW + KW;
  typename V::T acc[P];
#pragma GCC unroll 16
  for (int p = 0; p < P; ++p) acc[p] = bv;
  const int64_t c0 = ox * SW - g.pl;
  const int lo = static_cast<int>(std::max<int64_t>(0, -c0));
  const int hi = static_cast<int>(std::max<int64_t>(0, c0 + kCols - g.iw));
  if (lo | hi) {
    depthwise_interior<V, KW, SW, P, true>(acc, xrow + c0 * B, w, rows, g.iw * B, lo, hi);
  } else {
    depthwise_interior<V, KW, SW, P, false>(acc, xrow + c0 * B, w, rows, g.iw * B, 0, 0);
  }
  depthwise_store<V, P>(acc, y, r, at_row + ox * B, before, act);
}

// Calls tile(std::integral_constant<int, n>) for n in [1, N].
template <int N, class Tile>
[[gnu::always_inline]] inline void depthwise_sized(int64_t n, Tile&& tile) {
  if constexpr (N >= 1) {
    if (n == N) return tile(std::integral_constant<int, N>{});
    depthwise_sized<N - 1>(n, tile);
  }
}

// Pixels [ox, ox_end) of a row in tiles as even as can be, of P and P - 1 pixels (54: 5 x 8 +
// 2 x 7), not 8s and then 4, 2 and 1: a tile of one or two pixels is one or two chains of
// dependent FMAs, its time their latency (kiln_conv_bench, Zen 4, alternated three times:
// MobileNetV2's depthwise layers @56 0.98x the time, @7 0.93x, stride 2 @14 0.89x, others level).
template <class V, int KW, int SW, class Act>
[[gnu::always_inline]] inline void depthwise_span(const BlockedGeom& g, const float* xrow, const float* w,
                                                  typename V::T bv, float* y, const float* r, int64_t at_row,
                                                  int64_t rows, int64_t ox, int64_t ox_end, bool before,
                                                  Act act) {
  const int64_t n = ox_end - ox;
  if (n <= 0) return;
  const int64_t tiles = (n + kDepthwiseTile - 1) / kDepthwiseTile, p = (n + tiles - 1) / tiles;
  const int64_t big = n - tiles * (p - 1);  // tiles of p pixels; the rest have p - 1
  for (int64_t t = 0; t < tiles; ++t) {
    const int64_t size = t < big ? p : p - 1;
    depthwise_sized<kDepthwiseTile>(
        size, [&](auto c) __attribute__((always_inline)) {
          depthwise_tile<V, KW, SW, decltype(c)::value>(g, xrow, w, bv, y, r, at_row, rows, ox, before, act);
        });
    ox += size;
  }
}

// Output rows [oy0, oy1) of one block plane: x, y, r (or null) the plane's input, output and
// residual; w the block's taps [ky][kx][lane], bias its bias vector.
template <class V, int KW, int SW, class Act>
void depthwise_rows_act(const BlockedGeom& g, const float* x, const float* w, const float* bias, float* y,
                        const float* r, int64_t oy0, int64_t oy1, bool before, Act act) {
  using T = typename V::T;
  constexpr int B = V::kWidth;
  const T bv = V::load(bias);
  const int64_t row_floats = g.iw * B;
  for (int64_t oy = oy0; oy < oy1; ++oy) {
    const int64_t iy0 = oy * g.sh - g.pt;
    const auto [ky_lo, ky_hi] = taps_inside(iy0, g.kh, 1, g.ih);
    const int64_t rows = ky_hi - ky_lo;
    const float* xrow = x + (iy0 + ky_lo) * row_floats;
    const float* wrow = w + ky_lo * KW * B;
    const int64_t at_row = oy * g.ow * B;
    depthwise_span<V, KW, SW>(g, xrow, wrow, bv, y, r, at_row, rows, 0, g.ow, before, act);
  }
}

// depthwise_rows_act with the epilogue's activation chosen once (with_activation).
template <class V, int KW, int SW>
void depthwise_rows(const BlockedGeom& g, const float* x, const float* w, const float* bias, float* y,
                    const float* r, int64_t oy0, int64_t oy1, const Epilogue& ep) {
  with_activation<V>(ep, [&](auto act) {
    depthwise_rows_act<V, KW, SW>(g, x, w, bias, y, r, oy0, oy1, ep.residual_before, act);
  });
}

using DepthwiseRowsFn = void (*)(const BlockedGeom&, const float*, const float*, const float*, float*,
                                 const float*, int64_t, int64_t, const Epilogue&);

// The rows function for this geometry, or null (depthwise_rows_apply false).
template <class V>
DepthwiseRowsFn depthwise_rows_fn(const BlockedGeom& g) {
  if (!depthwise_rows_apply(g)) return nullptr;
  if (g.kw == 3) return g.sw == 1 ? depthwise_rows<V, 3, 1> : depthwise_rows<V, 3, 2>;
  return g.sw == 1 ? depthwise_rows<V, 5, 1> : depthwise_rows<V, 5, 2>;
}

}  // namespace kiln::cpu::detail
