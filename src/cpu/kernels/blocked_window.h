// Convolutions over a flat plane (every tap of every output pixel inside the input: an unpadded
// layer, or the direct kernel's zero-padded copy): 3-wide kernels over a blocked input and 3- or
// 7-wide ones over a planar image (first layers). Straight-code tiles of NB output blocks x P (or
// P - 1) consecutive pixels of the flattened output (AVX2 2 x 6; AVX-512 the direct tiles' sizes,
// 1-4 blocks x 12-6 pixels), as the pointwise ones (blocked_pointwise.h)
// but over a window of taps. Each pixel has its own input pointer, so a tile may cross a row end:
// the asm runs need their pixels a column stride apart and send such a tile to the general loop,
// which on a 7- or 14-wide plane is most of them (ResNet-50's 3x3 layers at 7 x 7 and 14 x 14 ran
// 10-17% faster here, kiln_conv_bench alternated; its 7x7 stride-2 first layer 6-8% warm, 17-18%
// with cold caches). A tile's sums run over the pass's input groups and the kernel rows, each
// row's taps x lanes unrolled with the broadcasts at immediate offsets from the pixels' pointers,
// then the tile's end (tile_store). Included by blocked_conv_impl.h after blocked_pointwise.h.
#pragma once

#include "cpu/kernels/blocked_pointwise.h"

namespace kiln::cpu::detail {

// Whether a direct conv's every output pixel has all its taps inside the input, so that its
// tasks are spans of the flattened output plane (direct_plan).
inline bool flat_plane(const BlockedGeom& g) {
  return g.ox_lo == 0 && g.ox_hi == g.ow && g.pt == 0 && (g.oh - 1) * g.sh + (g.kh - 1) * g.dh < g.ih;
}

// One tile of NB blocks x P pixels of a flat plane from (a.oy, a.ox0) over the input groups
// [a.ib0, a.ib1) of CG channels (a block of b, or one channel of a planar image), KW taps per
// kernel row.
template <class V, int NB, int P, int KW, int CG, class Act>
[[gnu::always_inline]] inline void window_tile(const BlockedGeom& g, const TileArgs& a, const Epilogue& ep,
                                               Act act) {
  using T = typename V::T;
  constexpr int B = V::kWidth;
  constexpr int64_t tap = CG * NB * B;  // weight floats per tap
  T acc[P][NB];
#pragma GCC unroll 16
  for (int p = 0; p < P; ++p)
#pragma GCC unroll 4
    for (int j = 0; j < NB; ++j) acc[p][j] = V::zero();
  const float* xq[P];
  {
    int64_t oy = a.oy, ox = a.ox0;
#pragma GCC unroll 16
    for (int p = 0; p < P; ++p) {
      xq[p] = a.x + (oy * g.sh * g.iw + ox * g.sw) * CG;
      if (++ox == g.ow) ox = 0, ++oy;
    }
  }
  const int64_t row_x = g.iw * CG;
  const float* w = a.w + a.ib0 * g.kh * KW * tap;
  for (int64_t ib = a.ib0; ib < a.ib1; ++ib) {
    int64_t off = ib * g.x_plane;  // group ib's kernel row r, from each pixel's pointer
    for (int64_t r = 0; r < g.kh; ++r, off += row_x, w += KW * tap) {
      const float* xr[P];
#pragma GCC unroll 16
      for (int p = 0; p < P; ++p) xr[p] = xq[p] + off;
#pragma GCC unroll 8
      for (int kx = 0; kx < KW; ++kx)
#pragma GCC unroll 16
        for (int c = 0; c < CG; ++c) {
          T wv[NB];
#pragma GCC unroll 4
          for (int j = 0; j < NB; ++j) wv[j] = V::load(w + kx * tap + (c * NB + j) * B);
#pragma GCC unroll 16
          for (int p = 0; p < P; ++p) {
            const T xv = V::set1(xr[p][kx * CG + c]);
#pragma GCC unroll 4
            for (int j = 0; j < NB; ++j) acc[p][j] = V::fmadd(xv, wv[j], acc[p][j]);
          }
        }
    }
  }
  tile_store<V, NB, P>(g, a, ep, acc, (a.oy * g.ow + a.ox0) * B, act);
}

// Runs `count` consecutive output pixels of a flat plane from flattened pixel q (a RunFn, for a
// group of NB blocks): straight_run's tiles of P and P - 1 pixels.
template <class V, int NB, int KW, int CG>
void window_run(const BlockedGeom& g, TileArgs a, const Epilogue& ep, const TileFn* table, int64_t q,
                int64_t count) {
  a.oy = q / g.ow, a.ox0 = q % g.ow;
  straight_run<V, BlockedTiles<V>::pixels(NB)>(
      g, a, ep, table, q, count, [&](auto n, TileArgs& t, auto act) __attribute__((always_inline)) {
        window_tile<V, NB, decltype(n)::value, KW, CG>(g, t, ep, act);
        for (t.ox0 += n; t.ox0 >= g.ow; t.ox0 -= g.ow) ++t.oy;
      });
}

// Whether a direct conv's groups of nb blocks take window_run: on AVX2 (8 lanes) groups of 2, on
// AVX-512 any; undilated, a flat plane, and 3 taps per kernel row over a blocked input of whole
// blocks or 3 or 7 over a planar image (a first layer's, zero-padded: direct_pads). AVX-512,
// kiln_conv_bench alternated with the table's tiles (Zen 4): ResNet-50's 3x3 layers at 28, 14 and
// 7 (padded copies) 0.85-0.94x the time, its 7x7 stride-2 first layer 0.88x, MobileNetV2's
// 0.79x, YOLOX-S's planar stem 0.92x.
inline bool window_runs(const BlockedGeom& g, int64_t b, int64_t nb) {
  if ((b == 8 && nb != 2) || g.dw != 1 || g.dh != 1 || !flat_plane(g)) return false;
  return g.cg == 1 ? g.kw == 3 || g.kw == 7 : g.kw == 3 && g.cg == b && g.last_cg == g.cg;
}

}  // namespace kiln::cpu::detail
