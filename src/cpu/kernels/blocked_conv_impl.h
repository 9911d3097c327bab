// The blocked convolution kernels (see blocked_conv.h), included once per ISA.
#pragma once

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <utility>

#include "cpu/isa.h"
#include "cpu/kernels/blocked_conv.h"
#include "cpu/kernels/blocked_depthwise_rows.h"
#include "cpu/kernels/blocked_geom.h"
#include "cpu/ukernels/gemm_impl.h"
#include "ops/activation.h"

namespace kiln::cpu::detail {

// Stores a register tile (pixel p of block j at y + j * y_plane + at + p * b) through the epilogue
// with activation `act`; r: the residual, laid out like y, or null.
template <class V, int NB, int PW, class Act>
inline void store_tile(typename V::T (&acc)[PW][NB], float* y, const float* r, int64_t y_plane, int64_t at,
                       bool residual_before, Act act) {
  constexpr int B = V::kWidth;
#pragma GCC unroll 8
  for (int j = 0; j < NB; ++j) {
#pragma GCC unroll 16
    for (int p = 0; p < PW; ++p) {
      const int64_t o = j * y_plane + at + p * B;
      if (!r)
        V::store(y + o, act(acc[p][j]));
      else if (residual_before)
        V::store(y + o, act(V::add(acc[p][j], V::load(r + o))));
      else
        V::store(y + o, V::add(act(acc[p][j]), V::load(r + o)));
    }
  }
}

// The epilogue of a whole tile, its activation chosen once: a switch per vector (the general
// activate()) cost a 64-channel 1x1 tile about as much as a fifth of its FMAs. Always inlined here,
// through finish_tile where GCC decides. SiLU (YOLOX's every layer) inline too: its layers 0.92x
// the time (kiln profile of one plan, libraries alternated). Not with_activation's longer list:
// with its seven cases inlined, the per-tile path lost its registers (ResNet-50's 3x3 @7 layer ran
// 2x slower, kiln_conv_bench, alternated); HardSwish and a scalar affine take the general case.
template <class V, int NB, int PW>
[[gnu::always_inline]] inline void finish_tile_inline(typename V::T (&acc)[PW][NB], float* y, const float* r,
                                                      int64_t y_plane, int64_t at, const Epilogue& ep) {
  using T = typename V::T;
  const bool before = ep.residual_before;
  switch (ep.affine ? -1 : ep.activation) {
    case static_cast<int>(ops::Activation::kNone):
      return store_tile<V>(acc, y, r, y_plane, at, before, [](T x) { return x; });
    case static_cast<int>(ops::Activation::kRelu):
      return store_tile<V>(acc, y, r, y_plane, at, before, [](T x) { return V::max(x, V::zero()); });
    case static_cast<int>(ops::Activation::kClip): {
      const T lo = V::set1(ep.alpha), hi = V::set1(ep.beta);
      return store_tile<V>(acc, y, r, y_plane, at, before, [=](T x) { return V::min(V::max(x, lo), hi); });
    }
    case static_cast<int>(ops::Activation::kSiLU):
      return store_tile<V>(acc, y, r, y_plane, at, before, [](T x) { return silu<V>(x); });
    default:
      return store_tile<V>(acc, y, r, y_plane, at, before, [&](T x) { return activate<V>(x, ep); });
  }
}
template <class V, int NB, int PW>
inline void finish_tile(typename V::T (&acc)[PW][NB], float* y, const float* r, int64_t y_plane, int64_t at,
                        const Epilogue& ep) {
  finish_tile_inline<V>(acc, y, r, y_plane, at, ep);
}

// The next pass's weights, fetched into L2 a share per tile while this pass computes: a deep
// layer's weights come from memory (timed with them cold, ResNet-50's last 1x1 layers ran 12%
// slower; this wins back about a third of that). A share per tile only where a task has the tiles
// to spread them over (kMaxLinesPerTile): the Winograd products run a few tiles per pass (4 to 16
// pixels), and a burst of 86-256 prefetches at a tile's start stalled it (Zen 4, kiln_conv_bench
// --cold 1 alternated: ResNet-50's 3x3 @7 as F(4,3) 0.65-0.75x the time without them, @14
// 0.90-0.93x; at most 16 or 32 lines per tile there was slower than none). Otherwise pointwise
// tiles fetch a share per input block (per_block; other tiles none): those products 0.87-0.9x the
// time again (F(2,3) @7, F(4,3) @14).
struct WeightPrefetch {
  static constexpr int64_t kMaxLinesPerTile = 32;
  const char *next = nullptr, *end = nullptr;
  int64_t per_tile = 0;   // cache lines per tile
  int64_t per_block = 0;  // or per input block of a pointwise tile (spread over its K loop)
};

struct TileArgs {
  const float* x;     // the image's first input block
  const float* w;     // the group's packed weights
  const float* bias;  // the group's first bias lane
  float* y;           // the image's output at the group's first block
  const float* r;     // the residual, like y (or null)
  // The tile's first output pixel; the others follow it in the flattened plane (a tile crosses a
  // row end only when every pixel's taps lie inside the input). kx: the taps computed.
  int64_t oy, ox0, kx_lo, kx_hi;
  // Direct kernel: the input groups [ib0, ib1) of this pass over K. The first pass starts from the
  // bias, later ones from the partial sums in y; the last applies the epilogue.
  int64_t ib0 = 0, ib1 = 0;
  bool first = true, last = true;
  WeightPrefetch* prefetch = nullptr;
};

// The next `lines` cache lines of the next pass's weights, fetched into L2.
inline void prefetch_lines(const TileArgs& a, int64_t lines) {
  for (int64_t i = 0; i < lines && a.prefetch->next < a.prefetch->end; ++i, a.prefetch->next += 64)
    _mm_prefetch(a.prefetch->next, _MM_HINT_T1);
}

// A tile's share of the next pass's weights.
inline void prefetch_share(const TileArgs& a) {
  if (a.prefetch) prefetch_lines(a, a.prefetch->per_tile);
}

// A share spread over a pointwise tile's input blocks.
inline void prefetch_block(const TileArgs& a) {
  if (a.prefetch) prefetch_lines(a, a.prefetch->per_block);
}

// The start of a direct tile at output float `at`: sums zeroed, what they will add to fetched. A
// residual added before the activation joins the sums in the first pass over K (returned: the
// residual, or null): each output element's residual is then read before anything is written
// there, so y may be the residual's bytes (the memory plan writes a residual block's output over
// its input). The sums start from zero; what they add to (the partial sums of earlier passes, or
// the bias and residual) is fetched now and joins after the FMAs, so no FMA chain waits on it.
template <class V, int NB, int PW>
[[gnu::always_inline]] inline const float* tile_start(const BlockedGeom& g, const TileArgs& a,
                                                      const Epilogue& ep, typename V::T (&acc)[PW][NB],
                                                      int64_t at) {
  constexpr int B = V::kWidth;
  const float* r_first = a.first && ep.residual_before ? a.r : nullptr;
  const float* base = !a.first ? a.y : r_first;
#pragma GCC unroll 8
  for (int j = 0; j < NB; ++j)
#pragma GCC unroll 16
    for (int p = 0; p < PW; ++p) {
      acc[p][j] = V::zero();
      if (base) _mm_prefetch(reinterpret_cast<const char*>(base + j * g.y_plane + at + p * B), _MM_HINT_T0);
    }
  prefetch_share(a);
  return r_first;
}

// The end of a direct tile: the sums join the bias (and residual) or the earlier passes' partial
// sums, and are stored, through the epilogue after the last pass (kInline: inlined here).
template <class V, int NB, int PW, bool kInline = false>
[[gnu::always_inline]] inline void tile_end(const BlockedGeom& g, const TileArgs& a, const Epilogue& ep,
                                            typename V::T (&acc)[PW][NB], int64_t at, const float* r_first) {
  using T = typename V::T;
  constexpr int B = V::kWidth;
#pragma GCC unroll 8
  for (int j = 0; j < NB; ++j) {
    const T bv = V::load(a.bias + j * B);
#pragma GCC unroll 16
    for (int p = 0; p < PW; ++p) {
      const int64_t o = j * g.y_plane + at + p * B;
      acc[p][j] = V::add(acc[p][j], !a.first  ? V::load(a.y + o)
                                    : r_first ? V::add(bv, V::load(r_first + o))
                                              : bv);
    }
  }
  if (a.last) {
    const float* r = ep.residual_before ? nullptr : a.r;
    if constexpr (kInline) return finish_tile_inline<V>(acc, a.y, r, g.y_plane, at, ep);
    return finish_tile<V>(acc, a.y, r, g.y_plane, at, ep);
  }
#pragma GCC unroll 8
  for (int j = 0; j < NB; ++j)
#pragma GCC unroll 16
    for (int p = 0; p < PW; ++p) V::store(a.y + j * g.y_plane + at + p * B, acc[p][j]);
}

// One step of a direct tile: NB weight vectors from w, each pixel's input at xq[p][off]
// broadcast, NB x PW FMAs.
template <class V, int NB, int PW>
[[gnu::always_inline]] inline void direct_step(typename V::T (&acc)[PW][NB], const float* w,
                                               const float* const (&xq)[PW], int64_t off) {
  using T = typename V::T;
  constexpr int B = V::kWidth;
  T wv[NB];
#pragma GCC unroll 8
  for (int j = 0; j < NB; ++j) wv[j] = V::load(w + j * B);
#pragma GCC unroll 16
  for (int p = 0; p < PW; ++p) {
    const T xv = V::set1(xq[p][off]);
#pragma GCC unroll 8
    for (int j = 0; j < NB; ++j) acc[p][j] = V::fmadd(xv, wv[j], acc[p][j]);
  }
}

#if defined(__AVX2__) && !defined(__AVX512F__)
// The AVX2 tile of 2 blocks x 6 pixels takes 15 of the 16 ymm registers (12 sums, 2 weight vectors,
// a broadcast), which GCC does not keep: built from intrinsics its sums went to the stack inside
// the loop (a 1x1 conv ran at 45-65% of the FMA ceiling with its data in L1). Here the sums are
// the asm's register operands and only the broadcast register is the asm's own; 3 pixels per
// statement (operand limit). Lane C of an input block: x[p] + C floats, weights w + C * 16.
template <int C>
[[gnu::always_inline]] inline void step_2x6_avx2(__m256 (&acc)[6][2], const float* w,
                                                 const float* const (&x)[6]) {
  const __m256 w0 = _mm256_loadu_ps(w + C * 16), w1 = _mm256_loadu_ps(w + C * 16 + 8);
#pragma GCC unroll 2
  for (int h = 0; h < 6; h += 3)
    asm("vbroadcastss %c[o](%[x0]), %%ymm15\n\t"
        "vfmadd231ps %[w0], %%ymm15, %[a00]\n\t"
        "vfmadd231ps %[w1], %%ymm15, %[a01]\n\t"
        "vbroadcastss %c[o](%[x1]), %%ymm15\n\t"
        "vfmadd231ps %[w0], %%ymm15, %[a10]\n\t"
        "vfmadd231ps %[w1], %%ymm15, %[a11]\n\t"
        "vbroadcastss %c[o](%[x2]), %%ymm15\n\t"
        "vfmadd231ps %[w0], %%ymm15, %[a20]\n\t"
        "vfmadd231ps %[w1], %%ymm15, %[a21]"
        : [a00] "+x"(acc[h][0]), [a01] "+x"(acc[h][1]), [a10] "+x"(acc[h + 1][0]), [a11] "+x"(acc[h + 1][1]),
          [a20] "+x"(acc[h + 2][0]), [a21] "+x"(acc[h + 2][1])
        : [w0] "x"(w0), [w1] "x"(w1), [x0] "r"(x[h]), [x1] "r"(x[h + 1]), [x2] "r"(x[h + 2]), [o] "i"(C * 4)
        : "xmm15");
}

// The tile's whole run over `n` (>= 1) input blocks of L steps each (8 lanes of a blocked input, or
// the L taps of a planar image's kernel row), when its P (3 to 6) pixels lie PS bytes apart: one
// asm loop, x moving by xs bytes and w by ws bytes per block (the sums of pixels P and up are left
// alone). Step C reads the weights at w + C * 64 bytes and each pixel's input at + C * 4 bytes.
// Called per input block, the tile reloaded its pointers (one per pixel) from the stack each
// block: a 64-channel 1x1 tile spent about a sixth of its time there.
//
// A run's steps and end, in memory: 30 asm operands at most, and the sums are 24 of them.
struct RunSteps {
  int64_t ws, xs, end;
  RunSteps(const float* w, int64_t n, int64_t ws_, int64_t xs_)
      : ws(ws_), xs(xs_), end(reinterpret_cast<int64_t>(w) + n * ws_) {}
};
// The immediate [ps] of a run: PS << 8 | L << 4 | P, which the .if and the offsets read back.
constexpr int run_code(int ps, int l, int p) { return ps << 8 | l << 4 | p; }
// clang-format off
#define KILN_RUN_LOOP(BODY)                                            \
  "1:\n\t" BODY                                                        \
  "add (%[k]), %[w]\n\t"                                               \
  "add 8(%[k]), %[x]\n\t"                                              \
  "cmp 16(%[k]), %[w]\n\t"                                             \
  "jne 1b"
#define KILN_PIXEL_2X6(C, P)                                           \
  ".if (%c[ps] & 15) > " #P "\n\t"                                     \
  "vbroadcastss " #P "*(%c[ps] >> 8)+" #C "*4(%[x]), %%ymm15\n\t"      \
  "vfmadd231ps %%ymm13, %%ymm15, %[a" #P "0]\n\t"                      \
  "vfmadd231ps %%ymm14, %%ymm15, %[a" #P "1]\n\t"                      \
  ".endif\n\t"
#define KILN_LANE_2X6(C)                                               \
  ".if ((%c[ps] >> 4) & 15) > " #C "\n\t"                              \
  "vmovups " #C "*64(%[w]), %%ymm13\n\t"                              \
  "vmovups " #C "*64+32(%[w]), %%ymm14\n\t"                           \
  KILN_PIXEL_2X6(C, 0) KILN_PIXEL_2X6(C, 1) KILN_PIXEL_2X6(C, 2)       \
  KILN_PIXEL_2X6(C, 3) KILN_PIXEL_2X6(C, 4) KILN_PIXEL_2X6(C, 5)       \
  ".endif\n\t"
template <int PS, int L, int P>
[[gnu::always_inline]] inline void blocks_2x6_avx2(__m256 (&acc)[6][2], const float* w, const float* x,
                                                   int64_t n, int64_t ws, int64_t xs) {
  static_assert(L >= 1 && L <= 8 && P >= 1 && P <= 6);
  const RunSteps k(w, n, ws, xs);
  asm(KILN_RUN_LOOP(KILN_LANE_2X6(0) KILN_LANE_2X6(1) KILN_LANE_2X6(2) KILN_LANE_2X6(3)
                    KILN_LANE_2X6(4) KILN_LANE_2X6(5) KILN_LANE_2X6(6) KILN_LANE_2X6(7))
      : [a00] "+x"(acc[0][0]), [a01] "+x"(acc[0][1]), [a10] "+x"(acc[1][0]), [a11] "+x"(acc[1][1]),
        [a20] "+x"(acc[2][0]), [a21] "+x"(acc[2][1]), [a30] "+x"(acc[3][0]), [a31] "+x"(acc[3][1]),
        [a40] "+x"(acc[4][0]), [a41] "+x"(acc[4][1]), [a50] "+x"(acc[5][0]), [a51] "+x"(acc[5][1]),
        [w] "+r"(w), [x] "+r"(x)
      : [k] "r"(&k), [ps] "i"(run_code(PS, L, P))
      : "xmm13", "xmm14", "xmm15", "memory", "cc");
}
#undef KILN_LANE_2X6
#undef KILN_PIXEL_2X6
// The same for a tile of 1 block x P (up to 12) pixels, one weight vector per step.
#define KILN_PIXEL_1X12(C, P)                                          \
  ".if (%c[ps] & 15) > " #P "\n\t"                                     \
  "vbroadcastss " #P "*(%c[ps] >> 8)+" #C "*4(%[x]), %%ymm15\n\t"      \
  "vfmadd231ps %%ymm13, %%ymm15, %[a" #P "]\n\t"                       \
  ".endif\n\t"
#define KILN_LANE_1X12(C)                                              \
  ".if ((%c[ps] >> 4) & 15) > " #C "\n\t"                              \
  "vmovups " #C "*32(%[w]), %%ymm13\n\t"                              \
  KILN_PIXEL_1X12(C, 0) KILN_PIXEL_1X12(C, 1) KILN_PIXEL_1X12(C, 2)    \
  KILN_PIXEL_1X12(C, 3) KILN_PIXEL_1X12(C, 4) KILN_PIXEL_1X12(C, 5)    \
  KILN_PIXEL_1X12(C, 6) KILN_PIXEL_1X12(C, 7) KILN_PIXEL_1X12(C, 8)    \
  KILN_PIXEL_1X12(C, 9) KILN_PIXEL_1X12(C, 10) KILN_PIXEL_1X12(C, 11)  \
  ".endif\n\t"
template <int PS, int L, int P>
[[gnu::always_inline]] inline void blocks_1x12_avx2(__m256 (&acc)[12], const float* w, const float* x,
                                                    int64_t n, int64_t ws, int64_t xs) {
  static_assert(L >= 1 && L <= 8 && P >= 1 && P <= 12);
  const RunSteps k(w, n, ws, xs);
  asm(KILN_RUN_LOOP(KILN_LANE_1X12(0) KILN_LANE_1X12(1) KILN_LANE_1X12(2) KILN_LANE_1X12(3)
                    KILN_LANE_1X12(4) KILN_LANE_1X12(5) KILN_LANE_1X12(6) KILN_LANE_1X12(7))
      : [a0] "+x"(acc[0]), [a1] "+x"(acc[1]), [a2] "+x"(acc[2]), [a3] "+x"(acc[3]), [a4] "+x"(acc[4]),
        [a5] "+x"(acc[5]), [a6] "+x"(acc[6]), [a7] "+x"(acc[7]), [a8] "+x"(acc[8]), [a9] "+x"(acc[9]),
        [a10] "+x"(acc[10]), [a11] "+x"(acc[11]), [w] "+r"(w), [x] "+r"(x)
      : [k] "r"(&k), [ps] "i"(run_code(PS, L, P))
      : "xmm13", "xmm15", "memory", "cc");
}
#undef KILN_LANE_1X12
#undef KILN_PIXEL_1X12
#undef KILN_RUN_LOOP
// clang-format on

template <int... C>
[[gnu::always_inline]] inline void block_2x6_avx2(__m256 (&acc)[6][2], const float* w,
                                                  const float* const (&x)[6],
                                                  std::integer_sequence<int, C...>) {
  (step_2x6_avx2<C>(acc, w, x), ...);
}
#endif

// The b lanes of one input block (weights: b steps of NB vectors).
template <class V, int NB, int PW>
[[gnu::always_inline]] inline void direct_block(typename V::T (&acc)[PW][NB], const float* w,
                                                const float* const (&xq)[PW]) {
  constexpr int B = V::kWidth;
#if defined(__AVX2__) && !defined(__AVX512F__)
  if constexpr (B == 8 && NB == 2 && PW == 6) {
    return block_2x6_avx2(acc, w, xq, std::make_integer_sequence<int, 8>{});
  }
#endif
#pragma GCC unroll 16
  for (int c = 0; c < B; ++c) direct_step<V>(acc, w + c * NB * B, xq, c);
}

// The sums of a direct tile over the input groups [a.ib0, a.ib1) and taps kx in [a.kx_lo, a.kx_hi);
// start[p]: where pixel p's window starts in an input plane (tap 0, 0; it may lie in the padding),
// iy0: the first pixel's top input row.
template <class V, int NB, int PW>
[[gnu::always_inline]] inline void direct_sums(const BlockedGeom& g, const TileArgs& a,
                                               typename V::T (&acc)[PW][NB], const int64_t (&start)[PW],
                                               int64_t iy0) {
  constexpr int B = V::kWidth;
  const int64_t tap_floats = g.cg * NB * B;
  // The inner loop runs over the b lanes of an input block (blocked input) or, for a planar image
  // (one channel per group), over the taps of a kernel row: either way the weights of step c are
  // the next NB vectors and the input moves by `step` floats. An input block with padding lanes
  // (the last of 24 channels) runs over its real lanes only.
  const bool taps_inner = g.cg == 1;
  const int64_t step = taps_inner ? g.dw : 1;
  for (int64_t ky = 0; ky < g.kh; ++ky) {
    // Rows are checked for the first pixel's row: a tile spans rows only when all are inside.
    const int64_t iy = iy0 + ky * g.dh;
    if (iy < 0 || iy >= g.ih) continue;
    for (int64_t ib = a.ib0; ib < a.ib1; ++ib) {
      const float* xr = a.x + ib * g.x_plane + ky * g.dh * g.iw * g.x_pix;
      const float* wk = a.w + (ib * g.kh + ky) * g.kw * tap_floats;
      const int64_t kx_end = taps_inner ? a.kx_lo + 1 : a.kx_hi;
      const bool partial = ib == g.gin - 1 && g.last_cg < g.cg;
      const int steps = static_cast<int>(taps_inner ? a.kx_hi - a.kx_lo : partial ? g.last_cg : g.cg);
      for (int64_t kx = a.kx_lo; kx < kx_end; ++kx) {
        // One pointer per pixel: every step's address is then pointer + offset.
        const float* xq[PW];
#pragma GCC unroll 16
        for (int p = 0; p < PW; ++p) xq[p] = xr + start[p] + kx * g.dw * g.x_pix;
        const float* wp = wk + kx * tap_floats;
        if (!taps_inner && !partial) {
          // A whole input block, unrolled: immediate offsets, no loop counter among the FMAs.
          direct_block<V>(acc, wp, xq);
          continue;
        }
        // Taps of a planar image's row or a partial block's lanes: a loop.
        int64_t off = 0;
#pragma GCC unroll 1
        for (int c = 0; c < steps; ++c, off += step) direct_step<V>(acc, wp + c * NB * B, xq, off);
      }
    }
  }
}

#if defined(__AVX2__) && !defined(__AVX512F__)
// direct_sums of an AVX2 tile of 2 blocks x P (3 to 6) pixels or 1 block x P (8 to 12) whose
// pixels lie PS bytes apart in the input planes, by the asm runs: a blocked input (L = 8 lanes) in
// one asm loop per tap over the whole input blocks, a partial last block (lanes of padding) by
// direct_sums; a planar image (L = kw taps, unit dilation, all taps inside) in one per kernel row
// over the channels.
template <int NB, int PS, int L, int P>
[[gnu::always_inline]] inline void run_sums_avx2(const BlockedGeom& g, const TileArgs& a,
                                                 __m256 (&acc)[P][NB], const int64_t (&start)[P],
                                                 int64_t iy0) {
  constexpr int kSums = NB == 2 ? 6 : 12;  // the pixels the asm takes; those past P stay zero
  const bool planar = g.cg == 1;
  const int64_t tap_floats = g.cg * NB * 8;
  const int64_t whole = a.ib1 - a.ib0 - (a.ib1 == g.gin && g.last_cg < g.cg ? 1 : 0);
  if (whole > 0) {
    __m256 sums[kSums][NB];
#pragma GCC unroll 16
    for (int p = 0; p < kSums; ++p)
#pragma GCC unroll 2
      for (int j = 0; j < NB; ++j) sums[p][j] = p < P ? acc[std::min(p, P - 1)][j] : _mm256_setzero_ps();
    auto run = [&](const float* w, const float* x, int64_t ws, int64_t xs) {
      if constexpr (NB == 2) {
        blocks_2x6_avx2<PS, L, P>(sums, w, x, whole, ws, xs);
      } else {
        blocks_1x12_avx2<PS, L, P>(reinterpret_cast<__m256(&)[12]>(sums), w, x, whole, ws, xs);
      }
    };
    const int64_t ws = g.kh * g.kw * tap_floats * int64_t{sizeof(float)};
    const int64_t xs = g.x_plane * int64_t{sizeof(float)};
    for (int64_t ky = 0; ky < g.kh; ++ky) {
      const int64_t iy = iy0 + ky * g.dh;
      if (iy < 0 || iy >= g.ih) continue;
      const float* xr = a.x + a.ib0 * g.x_plane + ky * g.dh * g.iw * g.x_pix + start[0];
      const float* wk = a.w + (a.ib0 * g.kh + ky) * g.kw * tap_floats;
      if (planar) {
        run(wk, xr, ws, xs);
        continue;
      }
      for (int64_t kx = a.kx_lo; kx < a.kx_hi; ++kx) run(wk + kx * tap_floats, xr + kx * g.dw * 8, ws, xs);
    }
#pragma GCC unroll 16
    for (int p = 0; p < P; ++p)
#pragma GCC unroll 2
      for (int j = 0; j < NB; ++j) acc[p][j] = sums[p][j];
  }
  if (a.ib0 + whole == a.ib1) return;
  TileArgs rest = a;
  rest.ib0 = a.ib0 + whole;
  direct_sums<simd::Vec256, NB, P>(g, rest, acc, start, iy0);
}
#endif

// Which asm run a tile of pixels a column stride apart takes (direct_runs): the column stride of a
// blocked input (1, 2), 8 x the stride + the taps of a planar image's kernel row (3, 7).
inline int run_kind(const BlockedGeom& g) { return static_cast<int>(g.cg > 1 ? g.sw : g.sw * 8 + g.kw); }

// Direct conv: NB output blocks x PW consecutive output pixels from (oy, ox0), taps kx in
// [kx_lo, kx_hi). kRun (direct_runs): AVX2's 2 x 3-6 and 1 x 8-12 tiles sum in the asm runs
// (run_sums_avx2) where their pixels lie a column stride apart (instantiations of their own: with
// both paths in every tile GCC's registers for the general loop got worse, planar first layers ran
// ~1.3x slower).
template <class V, int NB, int PW, bool kRun = false>
void direct_tile(const BlockedGeom& g, const TileArgs& a, const Epilogue& ep) {
  using T = typename V::T;
  constexpr int B = V::kWidth;
  T acc[PW][NB];
  const int64_t at = (a.oy * g.ow + a.ox0) * B;
  const float* r_first = tile_start<V>(g, a, ep, acc, at);
  int64_t start[PW];
  {
    int64_t oy = a.oy, ox = a.ox0;
#pragma GCC unroll 16
    for (int p = 0; p < PW; ++p) {
      start[p] = ((oy * g.sh - g.pt) * g.iw + ox * g.sw - g.pl) * g.x_pix;
      if (++ox == g.ow) ox = 0, ++oy;
    }
  }
  const int64_t iy0 = a.oy * g.sh - g.pt;
#if defined(__AVX2__) && !defined(__AVX512F__)
  if constexpr (kRun && B == 8 && ((NB == 2 && PW >= 3 && PW <= 6) || (NB == 1 && PW >= 8))) {
    // A tile across a row end (padded planes) or over some taps only takes the general loop.
    bool run = a.kx_lo == 0 && a.kx_hi == g.kw;
#pragma GCC unroll 16
    for (int p = 1; p < PW; ++p) run = run && start[p] == start[0] + p * g.sw * g.x_pix;
    switch (run ? run_kind(g) : 0) {
      case 1:
        run_sums_avx2<NB, 32, 8, PW>(g, a, acc, start, iy0);
        break;
      case 2:
        run_sums_avx2<NB, 64, 8, PW>(g, a, acc, start, iy0);
        break;
      case 8 + 3:
        run_sums_avx2<NB, 4, 3, PW>(g, a, acc, start, iy0);
        break;
      case 8 + 7:
        run_sums_avx2<NB, 4, 7, PW>(g, a, acc, start, iy0);
        break;
      case 16 + 3:
        run_sums_avx2<NB, 8, 3, PW>(g, a, acc, start, iy0);
        break;
      case 16 + 7:
        run_sums_avx2<NB, 8, 7, PW>(g, a, acc, start, iy0);
        break;
      default:
        direct_sums<V, NB, PW>(g, a, acc, start, iy0);
    }
  } else {
    direct_sums<V, NB, PW>(g, a, acc, start, iy0);
  }
#else
  direct_sums<V, NB, PW>(g, a, acc, start, iy0);
#endif
  tile_end<V>(g, a, ep, acc, at, r_first);
}

// Depthwise sums of PW pixels (acc holds the bias): kernel rows [ky_lo, ky_hi), taps kx in
// [kx_lo, kx_hi); xr is the input of kernel row ky_lo at the first pixel's tap 0.
template <class V, int PW>
[[gnu::always_inline]] inline void depthwise_sums(typename V::T (&acc)[PW][1], const BlockedGeom& g,
                                                  const float* xr, const float* w, int64_t ky_lo,
                                                  int64_t ky_hi, int64_t kx_lo, int64_t kx_hi) {
  using T = typename V::T;
  constexpr int B = V::kWidth;
  const int64_t xstep = g.sw * B, row_step = g.dh * g.iw * B, tap_step = g.dw * B;
  for (int64_t ky = ky_lo; ky < ky_hi; ++ky, xr += row_step) {
    const float* wk = w + ky * g.kw * B;
    const float* xp = xr + kx_lo * tap_step;
    for (int64_t kx = kx_lo; kx < kx_hi; ++kx, xp += tap_step) {
      const T wv = V::load(wk + kx * B);
#pragma GCC unroll 16
      for (int p = 0; p < PW; ++p) acc[p][0] = V::fmadd(V::load(xp + p * xstep), wv, acc[p][0]);
    }
  }
}

// Depthwise: one block x PW pixels of row oy from column ox0, taps kx in [kx_lo, kx_hi).
template <class V, int PW>
void depthwise_tile(const BlockedGeom& g, const TileArgs& a, const Epilogue& ep) {
  using T = typename V::T;
  constexpr int B = V::kWidth;
  T acc[PW][1];
  const T bv = V::load(a.bias);
#pragma GCC unroll 16
  for (int p = 0; p < PW; ++p) acc[p][0] = bv;
  const int64_t iy0 = a.oy * g.sh - g.pt;
  const auto [ky_lo, ky_hi] = taps_inside(iy0, g.kh, g.dh, g.ih);
  const float* xr = a.x + ((iy0 + ky_lo * g.dh) * g.iw + a.ox0 * g.sw - g.pl) * B;
  depthwise_sums<V>(acc, g, xr, a.w, ky_lo, ky_hi, a.kx_lo, a.kx_hi);
  finish_tile<V>(acc, a.y, a.r, g.y_plane, (a.oy * g.ow + a.ox0) * B, ep);
}

using TileFn = void (*)(const BlockedGeom&, const TileArgs&, const Epilogue&);

// Depthwise: `count` pixels of row oy from column ox0, every tap of each inside the row, in tiles
// of PW pixels in one call (the row's valid kernel rows and pointers found once); the last
// count % PW pixels are left to the caller. Called per tile, the set-up (and the caller's tile
// arithmetic) took about half the time of an AVX2 3x3 layer with its data in L1.
template <class V, int PW>
int64_t depthwise_run(const BlockedGeom& g, const TileArgs& a, const Epilogue& ep, int64_t oy, int64_t ox0,
                      int64_t count) {
  using T = typename V::T;
  constexpr int B = V::kWidth;
  const int64_t iy0 = oy * g.sh - g.pt;
  const auto [ky_lo, ky_hi] = taps_inside(iy0, g.kh, g.dh, g.ih);
  const T bv = V::load(a.bias);
  const float* xr = a.x + ((iy0 + ky_lo * g.dh) * g.iw + ox0 * g.sw - g.pl) * B;
  int64_t done = 0;
  for (; done + PW <= count; done += PW, xr += PW * g.sw * B) {
    T acc[PW][1];
#pragma GCC unroll 16
    for (int p = 0; p < PW; ++p) acc[p][0] = bv;
    depthwise_sums<V>(acc, g, xr, a.w, ky_lo, ky_hi, 0, g.kw);
    finish_tile<V>(acc, a.y, a.r, g.y_plane, (oy * g.ow + ox0 + done) * B, ep);
  }
  return done;
}

template <class V, int NB, int... P>
constexpr std::array<TileFn, sizeof...(P)> direct_row(std::integer_sequence<int, P...>) {
  return {direct_tile<V, NB, P + 1>...};
}
template <class V, int... P>
constexpr std::array<TileFn, sizeof...(P)> depthwise_row(std::integer_sequence<int, P...>) {
  return {depthwise_tile<V, P + 1>...};
}

// Runs `count` consecutive output pixels from flattened pixel q in tiles, as even_tiles does, in one
// call (null: tile by tile through the table).
using RunFn = void (*)(const BlockedGeom& g, TileArgs a, const Epilogue& ep, const TileFn* table, int64_t q,
                       int64_t count);

// Runs `count` consecutive output pixels from flattened pixel q in tiles of at most pw, as even as
// can be (10 pixels by 6: 5 + 5, not 6 + 4): table[n - 1] computes n pixels over all taps.
inline void even_tiles(const BlockedGeom& g, TileArgs a, const Epilogue& ep, const TileFn* table, int pw,
                       int64_t q, int64_t count, RunFn run = nullptr) {
  if (run) return run(g, a, ep, table, q, count);
  a.kx_lo = 0, a.kx_hi = g.kw;
  for (int64_t tiles = (count + pw - 1) / pw; tiles > 0; --tiles) {
    const int64_t n = (count + tiles - 1) / tiles;
    a.oy = q / g.ow, a.ox0 = q % g.ow;
    table[n - 1](g, a, ep);
    q += n, count -= n;
  }
}

// Runs columns [x0, x1) of output row oy: border pixels one at a time over their inside taps
// (table[0]), interior pixels in even tiles.
inline void row_segment(const BlockedGeom& g, TileArgs a, const Epilogue& ep, const TileFn* table, int pw,
                        int64_t oy, int64_t x0, int64_t x1, RunFn run = nullptr, bool borders = false) {
  if (borders && x0 == 0 && x1 == g.ow) return run(g, a, ep, table, oy * g.ow, g.ow);
  a.oy = oy;
  for (int64_t ox = x0; ox < x1; ++ox) {
    if (ox >= g.ox_lo && ox < g.ox_hi) {
      const int64_t end = std::min(x1, g.ox_hi);
      even_tiles(g, a, ep, table, pw, oy * g.ow + ox, end - ox, run);
      ox = end - 1;
      continue;
    }
    const auto [lo, hi] = taps_inside(ox * g.sw - g.pl, g.kw, g.dw, g.iw);
    a.oy = oy, a.ox0 = ox, a.kx_lo = lo, a.kx_hi = hi;
    table[0](g, a, ep);
  }
}

// Whether a row task's run takes whole rows, border pixels included (run_tile_avx2's kLeft and
// kRight): a blocked input, at most one border pixel on each side, missing only its first (left)
// or last (right) tap of each kernel row, rows of at least two tiles split into tiles of P and
// P - 1 (run_tiles_avx2). Otherwise a border pixel is a one-pixel tile over its inside taps, at a
// sixth of a tile's FMAs per weight load: ResNet-50's stride-2 3x3 layers spent ~8% there.
inline bool run_borders(const BlockedGeom& g, int p) {
  const int64_t tiles = (g.ow + p - 1) / p;
  if (g.cg == 1 || g.ow < 2 * p || tiles * p - g.ow > tiles) return false;
  if (g.ox_lo > 1 || g.ow - g.ox_hi > 1 || (g.ox_lo == 0 && g.ox_hi == g.ow)) return false;
  const bool left =
      g.ox_lo == 0 || taps_inside(-g.pl, g.kw, g.dw, g.iw) == std::pair<int64_t, int64_t>{1, g.kw};
  const bool right = g.ox_hi == g.ow || taps_inside((g.ow - 1) * g.sw - g.pl, g.kw, g.dw, g.iw) ==
                                            std::pair<int64_t, int64_t>{0, g.kw - 1};
  return left && right;
}

#if defined(__AVX2__) && !defined(__AVX512F__)
// The asm run of a tile of NB blocks x P pixels (sums: the run's operands, P pixels' worth used).
template <int NB, int PS, int L, int P, class Sums>
[[gnu::always_inline]] inline void run_avx2(Sums& sums, const float* w, const float* x, int64_t n, int64_t ws,
                                            int64_t xs) {
  if constexpr (NB == 2) {
    blocks_2x6_avx2<PS, L, P>(reinterpret_cast<__m256(&)[6][2]>(sums), w, x, n, ws, xs);
  } else {
    blocks_1x12_avx2<PS, L, P>(reinterpret_cast<__m256(&)[12]>(sums), w, x, n, ws, xs);
  }
}

// One tile of NB blocks x P pixels PS bytes apart in the input from pixel (a.oy, a.ox0), every tap,
// the input blocks [a.ib0, a.ib1) all whole: its sums by the asm runs, then its end. kLeft: the
// tile's first pixel is a row's left border pixel, whose first tap of each kernel row lies in the
// padding (run_borders): that tap runs for the other P - 1 pixels, on the sums from pixel 1 on;
// kRight: the last pixel is the right border pixel, whose last tap runs for the first P - 1.
template <int NB, int PS, int L, int P, bool kLeft = false, bool kRight = false>
[[gnu::always_inline]] inline void run_tile_avx2(const BlockedGeom& g, const TileArgs& a,
                                                 const Epilogue& ep) {
  using V = simd::Vec256;
  constexpr int kSums = NB == 2 ? 6 : 12;  // the asm's operands; the pixels past P stay zero
  __m256 sums[kSums + 1][NB];              // + 1: the operands of a run from pixel 1 (kLeft)
  auto& acc = *reinterpret_cast<__m256(*)[P][NB]>(&sums);
#pragma GCC unroll 16
  for (int p = P; p <= kSums; ++p)
#pragma GCC unroll 2
    for (int j = 0; j < NB; ++j) sums[p][j] = _mm256_setzero_ps();
  const int64_t at = (a.oy * g.ow + a.ox0) * 8;
  const float* r_first = tile_start<V>(g, a, ep, acc, at);
  const int64_t tap_floats = g.cg * NB * 8, n = a.ib1 - a.ib0;
  const int64_t ws = g.kh * g.kw * tap_floats * int64_t{sizeof(float)},
                xs = g.x_plane * int64_t{sizeof(float)};
  const int64_t iy0 = a.oy * g.sh - g.pt;
  const float* x0 = a.x + a.ib0 * g.x_plane + (iy0 * g.iw + a.ox0 * g.sw - g.pl) * g.x_pix;
  const float* w0 = a.w + a.ib0 * g.kh * g.kw * tap_floats;
  for (int64_t ky = 0; ky < g.kh; ++ky) {
    const int64_t iy = iy0 + ky * g.dh;
    if (iy < 0 || iy >= g.ih) continue;
    const float* xr = x0 + ky * g.dh * g.iw * g.x_pix;
    const float* wk = w0 + ky * g.kw * tap_floats;
    const int64_t kx_end = g.cg == 1 ? 1 : g.kw;
    for (int64_t kx = 0; kx < kx_end; ++kx) {
      const float* w = wk + kx * tap_floats;
      const float* x = xr + kx * g.dw * 8;
      if (kLeft && kx == 0)
        run_avx2<NB, PS, L, P - 1>(sums[1], w, x + PS / sizeof(float), n, ws, xs);
      else if (kRight && kx == kx_end - 1)
        run_avx2<NB, PS, L, P - 1>(sums, w, x, n, ws, xs);
      else
        run_avx2<NB, PS, L, P>(sums, w, x, n, ws, xs);
    }
  }
  tile_end<V, NB, P, true>(g, a, ep, acc, at, r_first);
}

// A tile holding a row's border pixel, out of line: inlined beside the others, its run from
// pixel 1 on cost the whole loop its registers (a stride-2 3x3 layer ran 1.4x slower).
template <int NB, int PS, int L, int P, bool kLeft, bool kRight>
[[gnu::noinline]] void run_border_tile_avx2(const BlockedGeom& g, const TileArgs& a, const Epilogue& ep) {
  run_tile_avx2<NB, PS, L, P, kLeft, kRight>(g, a, ep);
}

// run_tile_avx2 for a tile that may hold a row's border pixel (run_borders).
template <int NB, int PS, int L, int P>
[[gnu::always_inline]] inline void run_tile_in_row(const BlockedGeom& g, const TileArgs& a,
                                                   const Epilogue& ep, bool left, bool right) {
  if constexpr (L == 8) {
    if (left) return run_border_tile_avx2<NB, PS, L, P, true, false>(g, a, ep);
    if (right) return run_border_tile_avx2<NB, PS, L, P, false, true>(g, a, ep);
  }
  run_tile_avx2<NB, PS, L, P>(g, a, ep);
}

// even_tiles for layers whose tiles take the asm runs (direct_runner): the tiles of P and P - 1
// pixels inside one output row run here, in one loop (called tile by tile, a 64-channel 1x1
// layer's tiles spent a third of their time outside the run); smaller ones, and those that cross
// a row end of a flat padded plane, through the table.
template <int NB, int PS, int L>
void run_tiles_avx2(const BlockedGeom& g, TileArgs a, const Epilogue& ep, const TileFn* table, int64_t q,
                    int64_t count) {
  constexpr int P = NB == 2 ? 6 : 12;
  // Rows of at least 4 tiles (a zero-padded first layer's or stride-2 layer's) are tiled row by
  // row, so that no tile crosses a row end into the general loop; narrower ones (7 x 7, 14 x 14
  // planes) stay flat: split per row they would take more, smaller tiles, each reloading the
  // weights (ResNet-50's 3x3 @7 ran 1.3x slower so).
  if (g.oh > 1 && g.ow >= 4 * P && q % g.ow + count > g.ow) {
    for (int64_t n; count > 0; q += n, count -= n) {
      n = std::min(count, g.ow - q % g.ow);
      run_tiles_avx2<NB, PS, L>(g, a, ep, table, q, n);
    }
    return;
  }
  a.kx_lo = 0, a.kx_hi = g.kw;
  a.oy = q / g.ow, a.ox0 = q % g.ow;
  // `tiles - small` tiles of P pixels, then `small` of P - 1: even_tiles' split, without its
  // division per tile.
  const int64_t tiles = (count + P - 1) / P, small = tiles * P - count;
  if (small > tiles) return even_tiles(g, a, ep, table, P, q, count);  // tiles below P - 1
  for (int64_t t = 0; t < tiles; ++t) {
    const int64_t n = t < tiles - small ? P : P - 1;
    // A row's border pixels (whole rows: run_borders).
    const bool left = a.ox0 < g.ox_lo;
    const bool right = a.ox0 + n > g.ox_hi;
    if (a.ox0 + n > g.ow)
      table[n - 1](g, a, ep);
    else if (n == P)
      run_tile_in_row<NB, PS, L, P>(g, a, ep, left, right);
    else
      run_tile_in_row<NB, PS, L, P - 1>(g, a, ep, left, right);
    for (a.ox0 += n; a.ox0 >= g.ow; a.ox0 -= g.ow) ++a.oy;
  }
}
#endif

template <class V>
struct BlockedTiles {
  static constexpr int kMaxGroup = V::kWidth == 16 ? 4 : 2;  // output blocks per direct tile
  static constexpr int kMaxPixels = 12;
  // Pixels of a direct tile of nb output blocks: nb x pixels accumulators, 24 of AVX-512's 32
  // registers (12 of AVX2's 16); the others hold nb weight vectors and a broadcast input.
  static constexpr int pixels(int nb) { return std::min(kMaxPixels, (V::kWidth == 16 ? 24 : 12) / nb); }
  static constexpr int kDepthwisePixels = 8;
};

// Whether a conv takes the tiles for pixels a column stride apart (AVX2's asm runs over input
// blocks): column stride 1 or 2, and a blocked input or a planar image with 3 or 7 undilated taps
// per kernel row. A tile that crosses a row end checks and takes the general loop.
inline bool direct_runs(const BlockedGeom& g) {
  if (g.sw != 1 && g.sw != 2) return false;
  return g.cg > 1 || (g.dw == 1 && (g.kw == 3 || g.kw == 7));
}
// Whether the direct kernel copies its input into a zero-padded buffer first: when the border
// columns (one-pixel tiles over fewer taps) are a noticeable share of a narrow output row, or when
// the input is a first layer's image (a few channels: a cheap copy) with 3 or 7 taps per kernel
// row (direct_runs), whose flat padded plane then takes the window runs
// (blocked_window.h). kiln_conv_bench, AVX2, alternated: ResNet-50's 7x7 stride-2 layer (3 border
// columns in 112) ran 0.87x the time padded with the asm runs, less again with the window runs;
// MobileNetV2's 3x3 stride-2 one (1 border column) ran 1.15x slower padded with the asm runs, the
// copy costing more than its border, and 0.84-0.86x the time padded with the window runs (session
// 14; YOLOX-S's 12-channel 3x3 stride-1 image, planar, 0.89-0.96x).
inline bool direct_pads(const Conv2dShape& s, int64_t b, bool planar_input) {
  const BlockedGeom g = blocked_geom(s, b, planar_input);
  const int64_t border = g.ow - (g.ox_hi - g.ox_lo);
  return border > 0 && (16 * border > g.ow || (planar_input && direct_runs(g)));
}

// The padded input's geometry: every tap of every output inside it.
inline Conv2dShape padded_shape(const Conv2dShape& s) {
  Conv2dShape p = s;
  p.in_h = (s.out_h - 1) * s.sh + (s.kh - 1) * s.dh + 1;
  p.in_w = (s.out_w - 1) * s.sw + (s.kw - 1) * s.dw + 1;
  p.pad_top = p.pad_left = 0;
  return p;
}

// The direct tiles of nb output blocks: table[nb - 1][n - 1] computes n pixels; `runs`: the tiles
// for consecutive pixels (direct_runs).
template <class V>
const std::array<std::array<TileFn, BlockedTiles<V>::kMaxPixels>, BlockedTiles<V>::kMaxGroup>& direct_tables(
    bool runs = false) {
  using Tiles = BlockedTiles<V>;
  using Table = std::array<std::array<TileFn, Tiles::kMaxPixels>, Tiles::kMaxGroup>;
  static const Table tables = [] {
    Table t{};
    auto fill = [&](auto row, int nb) { std::copy(row.begin(), row.end(), t[nb - 1].begin()); };
    fill(direct_row<V, 1>(std::make_integer_sequence<int, Tiles::pixels(1)>{}), 1);
    fill(direct_row<V, 2>(std::make_integer_sequence<int, Tiles::pixels(2)>{}), 2);
    if constexpr (Tiles::kMaxGroup == 4) {
      fill(direct_row<V, 3>(std::make_integer_sequence<int, Tiles::pixels(3)>{}), 3);
      fill(direct_row<V, 4>(std::make_integer_sequence<int, Tiles::pixels(4)>{}), 4);
    }
    return t;
  }();
  static const Table run_tables = [] {
    Table t = tables;
    t[0][7] = direct_tile<V, 1, 8, true>;
    t[0][8] = direct_tile<V, 1, 9, true>;
    t[0][9] = direct_tile<V, 1, 10, true>;
    t[0][10] = direct_tile<V, 1, 11, true>;
    t[0][11] = direct_tile<V, 1, 12, true>;
    t[1][2] = direct_tile<V, 2, 3, true>;
    t[1][3] = direct_tile<V, 2, 4, true>;
    t[1][4] = direct_tile<V, 2, 5, true>;
    t[1][5] = direct_tile<V, 2, 6, true>;
    return t;
  }();
  return runs ? run_tables : tables;
}

// How a direct conv of one image splits into tasks. A task is a span of one group's output: a
// block of rows or, when every output pixel's taps lie inside the input ("flat": pointwise convs,
// unpadded strided ones, zero-padded copies), a run of the flattened plane, whose tiles then cross
// row ends. Within a task K is cut into passes whose weights stay in L1 (~32 KB): every pixel of
// the task takes a pass before the next starts, so each weight vector loaded serves the whole task,
// and a group's weights (a deep layer's come from L3) are read once per task. So: as few tasks as
// keep `threads` busy over `images`, each of at most ~512 pixels (its partial sums stay in L2).
struct DirectPlan {
  BlockGroups groups;
  // Packed floats of one input group for one output block (its taps x lanes x b), of one output
  // block (all input groups), and where the bias starts.
  int64_t input_floats, block_floats, bias_offset;
  bool flat;
  int64_t span, spans;  // per task: `span` rows, or pixels when flat
  int64_t pass;         // input groups per pass
  // Task order: every group of one span before the next span (the span's input is read from L2
  // by all groups; the weights stream once per span) or every span of one group first (the
  // weights stay in L2; the input streams once per group), whichever moves fewer bytes.
  bool span_major;
  int64_t tasks() const { return groups.count * spans; }
  int64_t group_of(int64_t task) const { return span_major ? task % groups.count : task / spans; }
  int64_t span_of(int64_t task) const { return span_major ? task / groups.count : task % spans; }
};

template <class V>
bool direct_run_tiles(const BlockedGeom& g) {
  return V::kWidth == 8 && BlockedTiles<V>::pixels(2) == 6 && direct_runs(g);
}

}  // namespace kiln::cpu::detail

#include "cpu/kernels/blocked_pointwise.h"  // reads the tiles' arguments and even_tiles above
#include "cpu/kernels/blocked_window.h"

namespace kiln::cpu::detail {

// AVX-512's window_run for a group of nb (1-4) blocks.
template <class V, int KW, int CG>
RunFn window_runner(int64_t nb) {
  constexpr RunFn kRuns[] = {window_run<V, 1, KW, CG>, window_run<V, 2, KW, CG>, window_run<V, 3, KW, CG>,
                             window_run<V, 4, KW, CG>};
  return kRuns[nb - 1];
}

// The direct kernel's RunFn for a group of nb blocks, or null: the pointwise or window runs where
// the layer takes them, else on AVX2 the asm runs where its tiles take them (direct_run_tiles) and
// its input has no partial block. `last`: the group holds the last output block (AVX-512's
// pointwise runs take one of at most 8 real channels at half width).
template <class V>
RunFn direct_runner(const BlockedGeom& g, int64_t nb, bool last) {
  if constexpr (V::kWidth == 16) {
    if (pointwise_runs(g)) {
      constexpr RunFn kPointwise[] = {pointwise_run<V, 1>, pointwise_run<V, 2>, pointwise_run<V, 3>,
                                      pointwise_run<V, 4>};
      constexpr RunFn kHalf[] = {pointwise_run<V, 1, true>, pointwise_run<V, 2, true>,
                                 pointwise_run<V, 3, true>, pointwise_run<V, 4, true>};
      return (last && g.last_ob <= V::kWidth / 2 ? kHalf : kPointwise)[nb - 1];
    }
    if (!window_runs(g, V::kWidth, nb)) return nullptr;
    if (g.cg > 1) return window_runner<V, 3, 16>(nb);
    return g.kw == 3 ? window_runner<V, 3, 1>(nb) : window_runner<V, 7, 1>(nb);
  }
#if defined(__AVX2__) && !defined(__AVX512F__)
  if constexpr (V::kWidth == 8) {
    if (pointwise_runs(g)) return nb == 2 ? pointwise_run<V, 2> : pointwise_run<V, 1>;
    if (window_runs(g, V::kWidth, nb))
      return g.cg > 1 ? window_run<V, 2, 3, 8> : g.kw == 3 ? window_run<V, 2, 3, 1> : window_run<V, 2, 7, 1>;
    if (!direct_run_tiles<V>(g) || g.last_cg < g.cg) return nullptr;
    const bool two = nb == 2;
    switch (run_kind(g)) {
      case 1:
        return two ? run_tiles_avx2<2, 32, 8> : run_tiles_avx2<1, 32, 8>;
      case 2:
        return two ? run_tiles_avx2<2, 64, 8> : run_tiles_avx2<1, 64, 8>;
      case 8 + 3:
        return two ? run_tiles_avx2<2, 4, 3> : run_tiles_avx2<1, 4, 3>;
      case 8 + 7:
        return two ? run_tiles_avx2<2, 4, 7> : run_tiles_avx2<1, 4, 7>;
      case 16 + 3:
        return two ? run_tiles_avx2<2, 8, 3> : run_tiles_avx2<1, 8, 3>;
      case 16 + 7:
        return two ? run_tiles_avx2<2, 8, 7> : run_tiles_avx2<1, 8, 7>;
      default:
        return nullptr;
    }
  }
#endif
  (void)g, (void)nb, (void)last;
  return nullptr;
}

// max_group / pw: the tiles' output blocks and pixels (the quad kernel's: 1 and 6).
template <class V>
DirectPlan direct_plan(const BlockedGeom& g, int64_t images, int threads,
                       int max_group = BlockedTiles<V>::kMaxGroup,
                       int pw = BlockedTiles<V>::pixels(BlockedTiles<V>::kMaxGroup)) {
  constexpr int B = V::kWidth;
  DirectPlan p{};
  p.groups = block_groups(g.ocb, max_group);
  p.input_floats = g.kh * g.kw * g.cg * B;
  p.block_floats = g.gin * p.input_floats;
  p.bias_offset = p.block_floats * g.ocb;
  p.flat = flat_plane(g);
  const int64_t pixels = g.oh * g.ow;
  const int64_t units = p.flat ? std::max<int64_t>(1, pixels / (4 * pw)) : g.oh;
  const int64_t per_part = images * p.groups.count;
  const int64_t parts =
      std::clamp<int64_t>(std::max((2 * threads + per_part - 1) / per_part, (pixels + 511) / 512), 1, units);
  const int64_t extent = p.flat ? pixels : g.oh;
  // Tasks a multiple of the threads where spans allow (7 equal tasks on 2 threads run as 4 + 3).
  auto spans_of = [&](int64_t n) { return (extent + (extent + n - 1) / n - 1) / ((extent + n - 1) / n); };
  int64_t chosen = parts;
  for (int64_t n = parts; n <= std::min(units, 2 * parts); ++n)
    if ((spans_of(n) * per_part) % threads == 0) {
      chosen = n;
      break;
    }
  p.span = (extent + chosen - 1) / chosen;
  p.spans = (extent + p.span - 1) / p.span;
  // Passes of at most the L1 less 16 KB (the tiles' inputs and sums) of the largest group's
  // weights, as even as can be (9 input blocks: 5 + 4, not 8 + 1: a pass of few blocks pays its
  // tiles' loads and stores for little work): 32 KB on a 48 KB L1 (Zen 5, the Xeon: measured
  // there), 16 KB on a 32 KB one, where 32 KB passes left the weights in L2 for a task's later
  // tiles (Zen 4, kiln_conv_bench --cold 1 alternated: ResNet-50's 3x3 @7 as Winograd F(2,3)
  // products over 16 tiles 0.88x the time, its 2048>512 and 512>2048 1x1 layers 0.95x, others level).
  const int64_t widest = p.groups.base + (p.groups.extra > 0 ? 1 : 0);
  const int64_t per_input = p.input_floats * widest * int64_t{sizeof(float)};
  const int64_t pass_bytes = std::max<int64_t>(16 << 10, l1_cache_bytes() - (16 << 10));
  const int64_t most = std::max<int64_t>(1, pass_bytes / per_input), passes = (g.gin + most - 1) / most;
  p.pass = (g.gin + passes - 1) / passes;
  const double input = double(g.gin) * g.x_plane, weights = double(p.block_floats) * g.ocb;
  p.span_major = input + weights * p.spans < input * p.groups.count + weights;
  return p;
}

// Task `task` (< plan.tasks()) of one image: x, y and the residual point at that image.
// `tile_table` (n pixels: tile_table[n - 1], at most `table_pw`) replaces the direct tiles (the quad
// kernel's, one block each).
template <class V>
void direct_task(const BlockedGeom& g, const DirectPlan& p, int64_t task, const float* x, const float* packed,
                 float* y, const float* residual, const Epilogue& ep, const TileFn* tile_table = nullptr,
                 int table_pw = 0) {
  constexpr int B = V::kWidth;
  const int64_t part = p.span_of(task), grp = p.group_of(task);
  const int64_t b0 = p.groups.start(grp), nb = p.groups.size(grp);
  const TileFn* table = tile_table ? tile_table : direct_tables<V>(direct_run_tiles<V>(g))[nb - 1].data();
  const int pw = tile_table ? table_pw : BlockedTiles<V>::pixels(static_cast<int>(nb));
  const RunFn run = tile_table ? nullptr : direct_runner<V>(g, nb, b0 + nb == g.ocb);
  const bool borders = run && run_borders(g, pw);
  TileArgs a{};
  a.x = x;
  a.w = packed + b0 * p.block_floats;
  a.bias = packed + p.bias_offset + b0 * B;
  a.y = y + b0 * g.y_plane;
  a.r = residual ? residual + b0 * g.y_plane : nullptr;
  const int64_t extent = p.flat ? g.oh * g.ow : g.oh;
  const int64_t lo = part * p.span, hi = std::min(extent, lo + p.span);
  const int64_t per_input = p.input_floats * nb * int64_t{sizeof(float)};  // bytes per input group
  const int64_t tiles = p.flat ? (hi - lo + pw - 1) / pw : (hi - lo) * ((g.ow + pw - 1) / pw);
  // The last pass fetches the first pass of the group this thread most likely runs next, when
  // that is another group (its weights follow this group's): without it, every group's first
  // pass started from memory (ResNet-50's and MobileNetV2's deep layers: 3 passes a group).
  const int64_t next_group = p.span_major || part + 1 == p.spans ? grp + 1 : p.groups.count;
  const int64_t next_input =
      next_group < p.groups.count ? p.input_floats * p.groups.size(next_group) * int64_t{sizeof(float)} : 0;
  WeightPrefetch fetch;
  for (int64_t ib = 0; ib < g.gin; ib += p.pass) {
    a.ib0 = ib;
    a.ib1 = std::min(g.gin, ib + p.pass);
    a.first = ib == 0;
    a.last = a.ib1 == g.gin;
    fetch.next = reinterpret_cast<const char*>(a.w) + a.ib1 * per_input;
    fetch.end = a.last ? fetch.next + std::min(g.gin, p.pass) * next_input
                       : reinterpret_cast<const char*>(a.w) + std::min(g.gin, a.ib1 + p.pass) * per_input;
    const int64_t lines = (fetch.end - fetch.next) / 64;
    fetch.per_tile = (lines + tiles - 1) / std::max<int64_t>(tiles, 1);
    fetch.per_block = 0;
    if (fetch.per_tile > WeightPrefetch::kMaxLinesPerTile) {
      const int64_t steps = std::max<int64_t>(1, tiles * (a.ib1 - a.ib0));
      fetch.per_block = (lines + steps - 1) / steps;
      fetch.per_tile = 0;
    }
    a.prefetch = fetch.next < fetch.end ? &fetch : nullptr;
    if (p.flat) {
      even_tiles(g, a, ep, table, pw, lo, hi - lo, run);
      continue;
    }
    for (int64_t oy = lo; oy < hi; ++oy) row_segment(g, a, ep, table, pw, oy, 0, g.ow, run, borders);
  }
}

// Plans a direct conv of every image and runs its tasks over the pool; `tile_table` / `table_pw`
// as direct_task's (its groups then hold one block).
template <class V>
void direct_tasks(ThreadPool& pool, const Conv2dShape& s, bool planar_input, const float* x,
                  const float* packed, float* y, const Epilogue& ep, const TileFn* tile_table = nullptr,
                  int table_pw = 0) {
  const BlockedGeom g = blocked_geom(s, V::kWidth, planar_input);
  const DirectPlan p = tile_table ? direct_plan<V>(g, s.batch, pool.threads(), 1, table_pw)
                                  : direct_plan<V>(g, s.batch, pool.threads());
  const int64_t image_x = g.gin * g.x_plane, image_y = g.ocb * g.y_plane;
  pool.parallel_for(s.batch * p.tasks(), [&](int64_t task, int) {
    const int64_t n = task / p.tasks();
    direct_task<V>(g, p, task % p.tasks(), x + n * image_x, packed, y + n * image_y,
                   ep.residual ? ep.residual + n * image_y : nullptr, ep, tile_table, table_pw);
  });
}

// Whether the direct kernel first copies the pixels a strided pointwise conv reads (ResNet's
// downsample layers: one pixel in four) into a compact plane in scratch, then runs unstrided: its
// tiles otherwise broadcast from every other pixel, each cache line half used, and a span's input
// (read again by every group of output blocks) spread over twice the rows. ResNet-50's
// downsample layers ran 23-24% faster this way (kiln_conv_bench, AVX2 Zen 3, alternated).
inline bool direct_subsamples(const Conv2dShape& s) {
  return s.kh == 1 && s.kw == 1 && (s.sh > 1 || s.sw > 1) && s.pad_top == 0 && s.pad_left == 0 &&
         (s.out_h - 1) * s.sh < s.in_h && (s.out_w - 1) * s.sw < s.in_w;
}

// The subsampled input's geometry: one input pixel per output pixel.
inline Conv2dShape subsampled_shape(const Conv2dShape& s) {
  Conv2dShape p = s;
  p.in_h = s.out_h, p.in_w = s.out_w;
  p.sh = p.sw = 1;
  return p;
}

template <class V>
void blocked_direct(ThreadPool& pool, const Conv2dShape& shape, bool planar_input, const float* x,
                    const float* packed, float* y, const Epilogue& ep, float* scratch) {
  constexpr int B = V::kWidth;
  Conv2dShape s = shape;
  const bool subsample = direct_subsamples(shape);
  if (subsample || direct_pads(shape, B, planar_input)) {
    // Copy each input group into scratch: the pixels a strided 1x1 reads, or the input with a zero
    // border so all pixels take full tiles. (Plain rows and columns here: the padded shape of a
    // padded 1x1 conv is a flattened plane.)
    s = subsample ? subsampled_shape(shape) : padded_shape(shape);
    const int64_t px = planar_input ? 1 : B, gin = planar_input ? shape.in_c : (shape.in_c + B - 1) / B;
    const int64_t from_plane = shape.in_h * shape.in_w * px, to_plane = s.in_h * s.in_w * px;
    // Tasks of a band of rows each: an image's three planes as three tasks ran 2 + 1 on two
    // threads (MobileNetV2's stem: a third of the copy's time lost).
    const int64_t planes = s.batch * gin;
    const int64_t bands = std::clamp<int64_t>((8 * pool.threads() + planes - 1) / planes, 1, s.in_h);
    pool.parallel_for(planes * bands, [&](int64_t task, int) {
      const int64_t plane = task / bands, band = task % bands;
      const float* src = x + plane * from_plane;
      float* dst = scratch + plane * to_plane;
      for (int64_t r = s.in_h * band / bands; r < s.in_h * (band + 1) / bands; ++r) {
        float* row = dst + r * s.in_w * px;
        if (subsample) {
          const float* from = src + r * shape.sh * shape.in_w * px;
          if (px == B) {
            for (int64_t c = 0; c < s.in_w; ++c) V::store(row + c * B, V::load(from + c * shape.sw * B));
          } else {
            for (int64_t c = 0; c < s.in_w; ++c) row[c] = from[c * shape.sw];
          }
          continue;
        }
        const int64_t iy = r - shape.pad_top;
        if (iy < 0 || iy >= shape.in_h) {
          std::memset(row, 0, s.in_w * px * sizeof(float));
          continue;
        }
        const int64_t lo = std::clamp<int64_t>(shape.pad_left, 0, s.in_w);
        const int64_t hi = std::clamp<int64_t>(shape.pad_left + shape.in_w, lo, s.in_w);
        std::memset(row, 0, lo * px * sizeof(float));
        std::memcpy(row + lo * px, src + (iy * shape.in_w + lo - shape.pad_left) * px,
                    (hi - lo) * px * sizeof(float));
        std::memset(row + hi * px, 0, (s.in_w - hi) * px * sizeof(float));
      }
    });
    x = scratch;
  }
  direct_tasks<V>(pool, s, planar_input, x, packed, y, ep);
}

template <class V>
int64_t blocked_direct_scratch(const Conv2dShape& s, bool planar_input) {
  constexpr int B = V::kWidth;
  const bool subsample = direct_subsamples(s);
  if (!subsample && !direct_pads(s, B, planar_input)) return 0;
  const BlockedGeom g = blocked_geom(subsample ? subsampled_shape(s) : padded_shape(s), B, planar_input);
  return s.batch * g.gin * g.x_plane;
}

template <class V>
void blocked_depthwise(ThreadPool& pool, const Conv2dShape& s, const float* x, const float* packed, float* y,
                       const Epilogue& ep) {
  constexpr int B = V::kWidth;
  constexpr int PW = BlockedTiles<V>::kDepthwisePixels;
  static const std::array<TileFn, PW> table = depthwise_row<V>(std::make_integer_sequence<int, PW>{});
  const BlockedGeom g = blocked_geom(s, B);
  const int64_t taps = g.kh * g.kw;
  const float* bias = packed + g.ocb * taps * B;
  // A task is a few rows of one block, so small planes still spread over the threads.
  const int64_t rows = std::max<int64_t>(1, std::min<int64_t>(g.oh, 2048 / std::max<int64_t>(1, g.ow)));
  const int64_t parts = (g.oh + rows - 1) / rows;
  // 3 or 5 taps at stride 1 or 2: each task's rows in one call (blocked_depthwise_rows.h).
  if (const DepthwiseRowsFn fn = depthwise_rows_fn<V>(g)) {
    pool.parallel_for(s.batch * g.ocb * parts, [&](int64_t task, int) {
      const int64_t part = task % parts, plane = task / parts, cb = plane % g.ocb;
      const float* r = ep.residual ? ep.residual + plane * g.y_plane : nullptr;
      fn(g, x + plane * g.x_plane, packed + cb * taps * B, bias + cb * B, y + plane * g.y_plane, r,
         part * rows, std::min(g.oh, (part + 1) * rows), ep);
    });
    return;
  }
  pool.parallel_for(s.batch * g.ocb * parts, [&](int64_t task, int) {
    const int64_t part = task % parts, plane = task / parts, cb = plane % g.ocb;
    TileArgs a{};
    a.x = x + plane * g.x_plane;
    a.w = packed + cb * taps * B;
    a.bias = bias + cb * B;
    a.y = y + plane * g.y_plane;
    a.r = ep.residual ? ep.residual + plane * g.y_plane : nullptr;
    for (int64_t oy = part * rows; oy < std::min(g.oh, (part + 1) * rows); ++oy) {
      // The border columns (taps outside the row) one pixel each, the interior in whole tiles,
      // and what is left of it in one narrower tile.
      row_segment(g, a, ep, table.data(), PW, oy, 0, g.ox_lo);
      const int64_t done = depthwise_run<V, PW>(g, a, ep, oy, g.ox_lo, g.ox_hi - g.ox_lo);
      row_segment(g, a, ep, table.data(), PW, oy, g.ox_lo + done, g.ow);
    }
  });
}

// In-register transposes of a block of b x b floats: r[i][j] becomes r[j][i].
#if defined(__AVX512F__)
inline void transpose(__m512 (&r)[16]) {
  __m512 t[16], u[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
  // u[4g + j], 128-bit lane k: rows 4g..4g+3 of column 4k + j.
  for (int g = 0; g < 16; g += 4) {
    u[g] = _mm512_shuffle_ps(t[g], t[g + 2], 0x44);
    u[g + 1] = _mm512_shuffle_ps(t[g], t[g + 2], 0xEE);
    u[g + 2] = _mm512_shuffle_ps(t[g + 1], t[g + 3], 0x44);
    u[g + 3] = _mm512_shuffle_ps(t[g + 1], t[g + 3], 0xEE);
  }
  for (int j = 0; j < 4; ++j) {
    const __m512 a = _mm512_shuffle_f32x4(u[j], u[4 + j], 0x44),
                 b = _mm512_shuffle_f32x4(u[j], u[4 + j], 0xEE);
    const __m512 c = _mm512_shuffle_f32x4(u[8 + j], u[12 + j], 0x44),
                 d = _mm512_shuffle_f32x4(u[8 + j], u[12 + j], 0xEE);
    r[j] = _mm512_shuffle_f32x4(a, c, 0x88);
    r[4 + j] = _mm512_shuffle_f32x4(a, c, 0xDD);
    r[8 + j] = _mm512_shuffle_f32x4(b, d, 0x88);
    r[12 + j] = _mm512_shuffle_f32x4(b, d, 0xDD);
  }
}
#endif
#if defined(__AVX2__)
inline void transpose(__m256 (&r)[8]) {
  __m256 t[8], u[8];
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int g = 0; g < 8; g += 4) {
    u[g] = _mm256_shuffle_ps(t[g], t[g + 2], 0x44);
    u[g + 1] = _mm256_shuffle_ps(t[g], t[g + 2], 0xEE);
    u[g + 2] = _mm256_shuffle_ps(t[g + 1], t[g + 3], 0x44);
    u[g + 3] = _mm256_shuffle_ps(t[g + 1], t[g + 3], 0xEE);
  }
  for (int j = 0; j < 4; ++j) {
    r[j] = _mm256_permute2f128_ps(u[j], u[4 + j], 0x20);
    r[4 + j] = _mm256_permute2f128_ps(u[j], u[4 + j], 0x31);
  }
}
#endif

// Planar -> blocked: b channels x b positions at a time through a register transpose.
template <class V>
void blocked_reorder_in(ThreadPool& pool, const float* x, float* y, int64_t n, int64_t c, int64_t spatial) {
  using T = typename V::T;
  constexpr int B = V::kWidth;
  const int64_t cb = (c + B - 1) / B;
  pool.parallel_for(n * cb, [&](int64_t task, int) {
    const int64_t i = task / cb, k = task % cb;
    float* dst = y + task * spatial * B;
    const int lanes = static_cast<int>(std::min<int64_t>(B, c - k * B));
    const float* src = x + (i * c + k * B) * spatial;
    int64_t p = 0;
    for (; p + B <= spatial; p += B) {
      T r[B];
      for (int l = 0; l < B; ++l) r[l] = l < lanes ? V::load(src + l * spatial + p) : V::zero();
      transpose(r);
      for (int q = 0; q < B; ++q) V::store(dst + (p + q) * B, r[q]);
    }
    for (; p < spatial; ++p)
      for (int l = 0; l < B; ++l) dst[p * B + l] = l < lanes ? src[l * spatial + p] : 0.0f;
  });
}

// Blocked -> planar: the inverse transpose; padding lanes are dropped.
template <class V>
void blocked_reorder_out(ThreadPool& pool, const float* x, float* y, int64_t n, int64_t c, int64_t spatial) {
  using T = typename V::T;
  constexpr int B = V::kWidth;
  const int64_t cb = (c + B - 1) / B;
  pool.parallel_for(n * cb, [&](int64_t task, int) {
    const int64_t i = task / cb, k = task % cb;
    const float* src = x + task * spatial * B;
    const int lanes = static_cast<int>(std::min<int64_t>(B, c - k * B));
    float* dst = y + (i * c + k * B) * spatial;
    int64_t p = 0;
    for (; p + B <= spatial; p += B) {
      T r[B];
      for (int q = 0; q < B; ++q) r[q] = V::load(src + (p + q) * B);
      transpose(r);
      for (int l = 0; l < lanes; ++l) V::store(dst + l * spatial + p, r[l]);
    }
    for (; p < spatial; ++p)
      for (int l = 0; l < lanes; ++l) dst[l * spatial + p] = src[p * B + l];
  });
}

// MaxPool on blocked planes: every output pixel is the lane-wise max of its window's vectors
// (padding never wins: windows cover at least one input pixel).
template <class V>
void blocked_maxpool(ThreadPool& pool, const Conv2dShape& s, const float* x, float* y) {
  using T = typename V::T;
  constexpr int B = V::kWidth;
  const int64_t blocks = (s.in_c + B - 1) / B, in_plane = s.in_h * s.in_w * B,
                out_plane = s.out_h * s.out_w * B;
  // The lane-wise max of m and n vectors `step` floats apart from p.
  auto max_of = [](T m, const float* p, int64_t n, int64_t step) {
    for (int64_t i = 0; i < n; ++i) m = V::max(m, V::load(p + i * step));
    return m;
  };
  const T lowest = V::set1(-std::numeric_limits<float>::infinity());
  // Large windows (YOLOX's 5x5 to 13x13 SPP pools) in two passes over a plane that fits the
  // stack: the max along each input row's windows, then down the columns (kw + kh loads per
  // output, not kw x kh).
  constexpr int64_t kRowsFloats = 16384;
  if (s.kh * s.kw > 9 && s.in_h * s.out_w * B <= kRowsFloats) {
    pool.parallel_for(s.batch * blocks, [&](int64_t task, int) {
      alignas(64) float rows[kRowsFloats];
      const float* xp = x + task * in_plane;
      for (int64_t iy = 0; iy < s.in_h; ++iy)
        for (int64_t ox = 0; ox < s.out_w; ++ox) {
          const auto [kx0, kx1] = taps_inside(ox * s.sw - s.pad_left, s.kw, s.dw, s.in_w);
          const float* row = xp + (iy * s.in_w + ox * s.sw - s.pad_left + kx0 * s.dw) * B;
          V::store(rows + (iy * s.out_w + ox) * B, max_of(lowest, row, kx1 - kx0, s.dw * B));
        }
      float* yp = y + task * out_plane;
      for (int64_t oy = 0; oy < s.out_h; ++oy) {
        const auto [ky0, ky1] = taps_inside(oy * s.sh - s.pad_top, s.kh, s.dh, s.in_h);
        const float* col = rows + (oy * s.sh - s.pad_top + ky0 * s.dh) * s.out_w * B;
        for (int64_t ox = 0; ox < s.out_w; ++ox)
          V::store(yp + (oy * s.out_w + ox) * B, max_of(lowest, col + ox * B, ky1 - ky0, s.dh * s.out_w * B));
      }
    });
    return;
  }
  // Columns whose window lies inside every row: no per-pixel bounds there, and a 3-wide window
  // (ResNet's 3x3 / 2) unrolled.
  const BlockedGeom g = blocked_geom(s, B);
  pool.parallel_for(s.batch * blocks, [&](int64_t task, int) {
    const float* xp = x + task * in_plane;
    float* yp = y + task * out_plane;
    for (int64_t oy = 0; oy < s.out_h; ++oy) {
      const auto [ky0, ky1] = taps_inside(oy * s.sh - s.pad_top, s.kh, s.dh, s.in_h);
      const float* top = xp + (oy * s.sh - s.pad_top) * s.in_w * B;
      for (int64_t ox = 0; ox < s.out_w; ++ox) {
        T m = lowest;
        const float* col = top + (ox * s.sw - s.pad_left) * B;
        if (ox >= g.ox_lo && ox < g.ox_hi && s.kw == 3) {
          for (int64_t ky = ky0; ky < ky1; ++ky) {
            const float* r = col + ky * s.dh * s.in_w * B;
            m = V::max(m, V::max(V::load(r), V::max(V::load(r + s.dw * B), V::load(r + 2 * s.dw * B))));
          }
        } else {
          const auto [kx0, kx1] = taps_inside(ox * s.sw - s.pad_left, s.kw, s.dw, s.in_w);
          for (int64_t ky = ky0; ky < ky1; ++ky)
            m = max_of(m, col + (ky * s.dh * s.in_w + kx0 * s.dw) * B, kx1 - kx0, s.dw * B);
        }
        V::store(yp + (oy * s.out_w + ox) * B, m);
      }
    }
  });
}

}  // namespace kiln::cpu::detail

#include "cpu/kernels/blocked_quad_impl.h"

namespace kiln::cpu::detail {

template <class V>
const BlockedConvKernel* blocked_conv_kernel(Isa isa) {
#if defined(__AVX512F__)
  constexpr auto quad = V::kWidth == 16 ? blocked_quad : nullptr;
#else
  constexpr decltype(&blocked_direct<V>) quad = nullptr;
#endif
  static const BlockedConvKernel k{isa,
                                   V::kWidth,
                                   BlockedTiles<V>::kMaxGroup,
                                   blocked_direct<V>,
                                   blocked_direct_scratch<V>,
                                   blocked_depthwise<V>,
                                   blocked_reorder_in<V>,
                                   blocked_reorder_out<V>,
                                   blocked_maxpool<V>,
                                   quad};
  return &k;
}

}  // namespace kiln::cpu::detail
