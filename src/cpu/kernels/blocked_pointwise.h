// Pointwise convolutions (1x1, stride 1, unpadded) on the blocked layout: a run of consecutive
// output pixels of one group of NB output blocks, in register tiles of NB blocks x P pixels. A
// tile is one piece of straight code: its sums over the pass's input blocks (the P pixels' inputs
// at immediate offsets from one pointer per input block, the weights from another), then the bias
// or the earlier passes' partial sums, the epilogue and the store, the sums never leaving their
// registers. The general direct tile (blocked_conv_impl.h) reaches the same FMAs through per-pixel
// pointers and an asm run; its start and end around the run cost a 64-channel 1x1 layer a quarter
// of its time. Included by blocked_conv_impl.h.
#pragma once

#include <type_traits>

#include "cpu/kernels/blocked_geom.h"
#include "cpu/ukernels/gemm_impl.h"

namespace kiln::cpu::detail {

// The end of a straight-code tile at output float `at`, its sums in registers: a.first adds the
// bias (and a residual before the activation), later passes the partial sums in y; a.last applies
// the epilogue (activation `act`, a residual after it); the result is stored.
template <class V, int NB, int P, class Act>
[[gnu::always_inline]] inline void tile_store(const BlockedGeom& g, const TileArgs& a, const Epilogue& ep,
                                              typename V::T (&acc)[P][NB], int64_t at, Act act) {
  using T = typename V::T;
  constexpr int B = V::kWidth;
  float* y = a.y + at;
  const float* r = a.r ? a.r + at : nullptr;
  const bool r_first = a.first && r && ep.residual_before, r_last = a.last && r && !ep.residual_before;
#pragma GCC unroll 4
  for (int j = 0; j < NB; ++j) {
    const T bias = V::load(a.bias + j * B);
#pragma GCC unroll 16
    for (int p = 0; p < P; ++p) {
      const int64_t o = j * g.y_plane + p * B;
      T s = acc[p][j];
      if (!a.first)
        s = V::add(s, V::load(y + o));
      else
        s = V::add(s, r_first ? V::add(bias, V::load(r + o)) : bias);
      if (a.last) {
        s = act(s);
        if (r_last) s = V::add(s, V::load(r + o));
      }
      V::store(y + o, s);
    }
  }
}

// One tile of NB blocks x P pixels from output pixel q over the input blocks [a.ib0, a.ib1), then
// its end (tile_store). Half (AVX-512): the group's last block has at most 8 real channels
// (MobileNetV2's 24 = 16 + 8) and its sums run in 256-bit vectors, which Zen 4 issues two per
// cycle to one 512-bit: a group of 16 + 8 channels costs 1.5 FMA cycles per pixel and input
// channel, not 2. Its padding lanes are stored as the full-width tile would store them (zero sums).
template <class V, int NB, int P, bool Half, class Act>
[[gnu::always_inline]] inline void pointwise_tile(const BlockedGeom& g, const TileArgs& a, const Epilogue& ep,
                                                  int64_t q, Act act) {
  using T = typename V::T;
  constexpr int B = V::kWidth;
  constexpr int NF = Half ? NB - 1 : NB;  // full-width blocks
  T acc[P][NB];
#pragma GCC unroll 16
  for (int p = 0; p < P; ++p)
#pragma GCC unroll 4
    for (int j = 0; j < NB; ++j) acc[p][j] = V::zero();
#if defined(__AVX512F__)
  static_assert(!Half || B == 16, "half-width blocks are AVX-512's");
  __m256 half[Half ? P : 1];
#pragma GCC unroll 16
  for (int p = 0; p < (Half ? P : 0); ++p) half[p] = _mm256_setzero_ps();
#else
  static_assert(!Half, "half-width blocks are AVX-512's");
#endif
  const float* x = a.x + a.ib0 * g.x_plane + q * B;
  const float* w = a.w + a.ib0 * (B * NB * B);
  auto step = [&](int c) __attribute__((always_inline)) {
    T wv[NB];
#pragma GCC unroll 4
    for (int j = 0; j < NF; ++j) wv[j] = V::load(w + (c * NB + j) * B);
#if defined(__AVX512F__)
    __m256 wh = _mm256_setzero_ps();
    if constexpr (Half) wh = _mm256_load_ps(w + (c * NB + NF) * B);
#endif
#pragma GCC unroll 16
    for (int p = 0; p < P; ++p) {
      const T xv = V::set1(x[p * B + c]);
#pragma GCC unroll 4
      for (int j = 0; j < NF; ++j) acc[p][j] = V::fmadd(xv, wv[j], acc[p][j]);
#if defined(__AVX512F__)
      if constexpr (Half) half[p] = _mm256_fmadd_ps(_mm256_set1_ps(x[p * B + c]), wh, half[p]);
#endif
    }
  };
  // A partial last input block (24 channels: 16 + 8) runs its real lanes only, in a loop.
  const bool partial = a.ib1 == g.gin && g.last_cg < g.cg;
  for (int64_t ib = a.ib0; ib < a.ib1 - partial; ++ib, x += g.x_plane, w += B * NB * B) {
    prefetch_block(a);
#pragma GCC unroll 16
    for (int c = 0; c < B; ++c) step(c);
  }
  if (partial) {
#pragma GCC unroll 1
    for (int c = 0; c < g.last_cg; ++c) step(c);
  }
#if defined(__AVX512F__)
  if constexpr (Half)
#pragma GCC unroll 16
    for (int p = 0; p < P; ++p) acc[p][NF] = _mm512_zextps256_ps512(half[p]);
#endif
  tile_store<V, NB, P>(g, a, ep, acc, q * B, act);
}

// Runs `count` consecutive output pixels from flattened pixel q in straight-code tiles of P and
// P - 1 pixels, as even as can be (10 pixels: 5 + 5); fewer pixels than that through the table.
// tile(std::integral_constant<int, n>, a, act) computes the next n pixels and moves its own
// position on; the activation is chosen once for the whole run. `tile` must be always_inline: left
// to GCC, the callers' lambdas for the activations with constants (SiLU's sigmoid) were compiled
// apart from the loop, their tiles spilling sums inside the FMA loop: YOLOX-S (SiLU after every
// conv) ran 20-30% slower.
template <class V, int P, class Tile>
[[gnu::always_inline]] inline void straight_run(const BlockedGeom& g, TileArgs& a, const Epilogue& ep,
                                                const TileFn* table, int64_t q, int64_t count, Tile&& tile) {
  const int64_t tiles = (count + P - 1) / P, small = tiles * P - count;
  if (small > tiles) return even_tiles(g, a, ep, table, P, q, count);
  with_activation<V>(a.last ? ep : Epilogue{}, [&](auto act) {
    for (int64_t t = 0; t < tiles; ++t) {
      prefetch_share(a);
      if (t < tiles - small)
        tile(std::integral_constant<int, P>{}, a, act);
      else
        tile(std::integral_constant<int, P - 1>{}, a, act);
    }
  });
}

// Runs `count` consecutive output pixels from flattened pixel q (a RunFn): straight_run's tiles
// (AVX-512, against the table's tiles, kiln_conv_bench alternated on Zen 4: ResNet-50's 1x1
// layers 0.81-0.93x the time, MobileNetV2's 0.79-1.0x, its 16>96 @112 expand 0.65x).
template <class V, int NB, bool Half = false>
void pointwise_run(const BlockedGeom& g, TileArgs a, const Epilogue& ep, const TileFn* table, int64_t q,
                   int64_t count) {
  straight_run<V, BlockedTiles<V>::pixels(NB)>(
      g, a, ep, table, q, count, [&](auto n, const TileArgs& t, auto act) __attribute__((always_inline)) {
        pointwise_tile<V, NB, decltype(n)::value, Half>(g, t, ep, q, act);
        q += n;
      });
}

// Whether a direct conv takes pointwise_run: 1x1, stride 1, no padding, a blocked input (its last
// block may be partial: MobileNetV2's 24 channels).
inline bool pointwise_runs(const BlockedGeom& g) {
  return g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.pt == 0 && g.pl == 0 && g.cg > 1 &&
         g.ih == g.oh && g.iw == g.ow;
}

}  // namespace kiln::cpu::detail
