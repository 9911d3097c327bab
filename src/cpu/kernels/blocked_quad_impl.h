// The quad pointwise kernel (AVX-512 only; included by blocked_conv_impl.h): a 1x1 unpadded conv
// (any stride) on NCHW16c whose register tile broadcasts four input channels at once.
//
// The direct kernel loads one input lane per FMA row: a tile of one output block (16 channels) x
// 12 pixels issues 12 broadcasts and one weight load per 12 FMAs, and narrow layers (MobileNetV2's
// 16-32 channel projections) run at about half the FMA ceiling on those loads. Here one
// vbroadcastf32x4 puts input channels 4q..4q+3 of a pixel in every 128-bit lane, and four weight
// vectors hold, at lane 4o + i, W[4o + r][4q + i] (r = 0..3): four FMAs then add 64 products into
// four accumulators per pixel, acc[r] at lane 4o + i being output 4o + r's sum over the input
// channels i (mod 4). Per 4 input channels: 4 weight loads, PW broadcasts, 4 PW FMAs (6 pixels:
// 10 loads per 24 FMAs, against 26 for the direct 1 x 12 tile). At the end of a pass over K the
// four accumulators of a pixel fold (two rounds of shuffles and adds) into one vector in channel
// order, then the pass goes on as the direct kernel's: bias and a residual added before the
// activation join the first pass, later passes add to y, the last applies the epilogue.
#pragma once

#if defined(__AVX512F__)
#include <immintrin.h>

namespace kiln::cpu::detail {

constexpr int kQuadPixels = 6;  // 24 accumulators, 4 weight vectors, 1 broadcast

// acc[r] lane 4o + i: output 4o + r's partial sum over input channels i (mod 4). Returns the 16
// outputs' sums, lane = channel.
inline __m512 quad_fold(const __m512 (&acc)[4]) {
  // Within each 128-bit lane o: [a0+a1, a2+a3, b0+b1, b2+b3] for pairs of accumulators ...
  const __m512 p01 =
      _mm512_add_ps(_mm512_shuffle_ps(acc[0], acc[1], 0x88), _mm512_shuffle_ps(acc[0], acc[1], 0xDD));
  const __m512 p23 =
      _mm512_add_ps(_mm512_shuffle_ps(acc[2], acc[3], 0x88), _mm512_shuffle_ps(acc[2], acc[3], 0xDD));
  // ... then [sum acc0, sum acc1, sum acc2, sum acc3]: lane 4o + r holds output 4o + r.
  return _mm512_add_ps(_mm512_shuffle_ps(p01, p23, 0x88), _mm512_shuffle_ps(p01, p23, 0xDD));
}

// One output block x PW consecutive pixels of the flattened plane from (oy, ox0), input blocks
// [ib0, ib1). Weights: per input block, [quad q][r][16 lanes] (blocked_quad_pack).
template <int PW>
void quad_tile(const BlockedGeom& g, const TileArgs& a, const Epilogue& ep) {
  constexpr int B = 16;
  __m512 acc[PW][4];
#pragma GCC unroll 16
  for (int p = 0; p < PW; ++p)
#pragma GCC unroll 4
    for (int r = 0; r < 4; ++r) acc[p][r] = _mm512_setzero_ps();
  prefetch_share(a);
  const int64_t at = (a.oy * g.ow + a.ox0) * B;
  // Each pixel's input (1x1, unpadded: inside the plane; a stride-1 plane is one flat row).
  int64_t start[PW];
  {
    int64_t oy = a.oy, ox = a.ox0;
#pragma GCC unroll 16
    for (int p = 0; p < PW; ++p) {
      start[p] = (oy * g.sh * g.iw + ox * g.sw) * B;
      if (++ox == g.ow) ox = 0, ++oy;
    }
  }
  for (int64_t ib = a.ib0; ib < a.ib1; ++ib) {
    const float* xb = a.x + ib * g.x_plane;
    const float* wb = a.w + ib * B * B;
    // Padding lanes of a last partial block meet zero weights (their values are kept finite).
#pragma GCC unroll 4
    for (int q = 0; q < 4; ++q) {
      __m512 w[4];
#pragma GCC unroll 4
      for (int r = 0; r < 4; ++r) w[r] = _mm512_loadu_ps(wb + (q * 4 + r) * B);
#pragma GCC unroll 16
      for (int p = 0; p < PW; ++p) {
        const __m512 xv = _mm512_broadcast_f32x4(_mm_loadu_ps(xb + start[p] + q * 4));
#pragma GCC unroll 4
        for (int r = 0; r < 4; ++r) acc[p][r] = _mm512_fmadd_ps(w[r], xv, acc[p][r]);
      }
    }
  }
  // See direct_tile: a residual before the activation joins the first pass (y may be its bytes).
  const float* r_first = a.first && ep.residual_before ? a.r : nullptr;
  const __m512 bias = _mm512_loadu_ps(a.bias);
  __m512 out[PW][1];
#pragma GCC unroll 16
  for (int p = 0; p < PW; ++p) {
    const int64_t o = at + p * B;
    const __m512 base = !a.first  ? _mm512_loadu_ps(a.y + o)
                        : r_first ? _mm512_add_ps(bias, _mm512_loadu_ps(r_first + o))
                                  : bias;
    out[p][0] = _mm512_add_ps(quad_fold(acc[p]), base);
  }
  if (a.last)
    return finish_tile<simd::Vec512>(out, a.y, ep.residual_before ? nullptr : a.r, g.y_plane, at, ep);
#pragma GCC unroll 16
  for (int p = 0; p < PW; ++p) _mm512_storeu_ps(a.y + at + p * B, out[p][0]);
}

template <int... P>
constexpr std::array<TileFn, sizeof...(P)> quad_row(std::integer_sequence<int, P...>) {
  return {quad_tile<P + 1>...};
}

// BlockedConvKernel::direct_quad: 1x1, unpadded, any stride, blocked input (the tactic checks), so
// no padded copy: the direct kernel's plan and tasks with these tiles.
inline void blocked_quad(ThreadPool& pool, const Conv2dShape& s, bool, const float* x, const float* packed,
                         float* y, const Epilogue& ep, float*) {
  static const std::array<TileFn, kQuadPixels> table =
      quad_row(std::make_integer_sequence<int, kQuadPixels>{});
  direct_tasks<simd::Vec512>(pool, s, false, x, packed, y, ep, table.data(), kQuadPixels);
}

}  // namespace kiln::cpu::detail
#endif
