// The AMX convolution kernel (blocked_amx.h); compiled with AMX-TILE, AMX-BF16 and AVX512-BF16
// (a *_amx.cc file) and called only where amx_usable().
#include "cpu/kernels/blocked_amx.h"

#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "cpu/amx.h"
#include "cpu/ukernels/gemm_impl.h"
#include "cpu/ukernels/simd.h"

namespace kiln::cpu {
namespace {

constexpr int64_t kBlock = 16;
constexpr int64_t kRows = 32;  // output pixels per block: two 16-row A tiles

// Tiles of 64-byte rows: A (16 pixels x 32 BF16), B (16 K pairs x 16 columns x 2), C (16 pixels
// x 16 FP32 outputs). Tiles 0-3: C[m tile][n tile] at 2 m + n; 4, 5: A of pixel rows 0-15,
// 16-31; 6, 7: B of output channels 0-15, 16-31 of the pair. A block's last pixels fill only
// part of an m tile: its A and C tiles then take fewer rows (a tile multiply costs by its rows).
struct alignas(64) TileConfig {
  uint8_t palette = 1, start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t colsb[16] = {};
  uint8_t rows[16] = {};
};

// Configures the tiles for `rows` (1-32) pixel rows.
void configure_tiles(int64_t rows) {
  TileConfig c;
  const auto m0 = static_cast<uint8_t>(std::min<int64_t>(rows, 16));
  const auto m1 = static_cast<uint8_t>(rows > 16 ? rows - 16 : 16);  // unused below 17 rows
  const uint8_t tile_rows[8] = {m0, m0, m1, m1, m0, m1, 16, 16};
  for (int i = 0; i < 8; ++i) c.colsb[i] = 64, c.rows[i] = tile_rows[i];
  _tile_loadconfig(&c);
}

struct TileScope {
  TileScope() { configure_tiles(kRows); }
  ~TileScope() { _tile_release(); }
};

// hi and lo BF16 halves of 32 floats (slices v0 then v1 of one row) as two 64-byte rows.
inline void split32(__m512 v0, __m512 v1, uint16_t* hi, uint16_t* lo) {
  const __m512i h = (__m512i)_mm512_cvtne2ps_pbh(v1, v0);
  const __m512 h0 =
      _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm512_castsi512_si256(h)), 16));
  const __m512 h1 =
      _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm512_extracti64x4_epi64(h, 1)), 16));
  __m512 d0 = _mm512_sub_ps(v0, h0), d1 = _mm512_sub_ps(v1, h1);
  d0 = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(d0, d0, _CMP_ORD_Q), d0);
  d1 = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(d1, d1, _CMP_ORD_Q), d1);
  _mm512_store_si512(hi, h);
  _mm512_store_si512(lo, (__m512i)_mm512_cvtne2ps_pbh(d1, d0));
}

// The implicit im2col rows of pixels [p0, p0 + 32) of one image that exist: per K step, 32 rows
// of hi (64 bytes each: slices 2 st and 2 st + 1), then 32 rows of lo. Step by step, so that
// each step's rows are written in order (row by row, the steps 4 KiB apart would share L1 sets).
void pack_rows(const Conv2dShape& s, const BlockedAmxGeom& g, const float* x, int64_t p0, uint16_t* a) {
  const __m512 zero = _mm512_setzero_ps();
  const int64_t rows = std::min(kRows, g.pixels - p0);
  int64_t oy[kRows], ox[kRows];
  for (int64_t m = 0; m < rows; ++m) oy[m] = (p0 + m) / s.out_w, ox[m] = (p0 + m) % s.out_w;
  // Where slice k's rows read: input block, and per row the tap's input pixel (floats; -1 in the
  // padding), for the taps of the current two slices.
  int64_t at[2][kRows], cached_tap[2] = {-1, -1};
  const float* src[2];
  for (int64_t st = 0; st < g.steps; ++st) {
    for (int h = 0; h < 2; ++h) {
      const int64_t slice = 2 * st + h;
      if (slice >= g.k16) {  // past K: zeros
        src[h] = nullptr;
        continue;
      }
      const int64_t tap = slice / g.icb, cb = slice % g.icb;
      src[h] = x + cb * g.x_plane;
      if (cached_tap[h] != tap) {
        const int64_t ky = tap / s.kw, kx = tap % s.kw;
        for (int64_t m = 0; m < rows; ++m) {
          const int64_t iy = oy[m] * s.sh - s.pad_top + ky * s.dh, ix = ox[m] * s.sw - s.pad_left + kx * s.dw;
          at[h][m] = iy >= 0 && iy < s.in_h && ix >= 0 && ix < s.in_w ? (iy * s.in_w + ix) * kBlock : -1;
        }
        cached_tap[h] = tap;
      }
    }
    uint16_t* dst = a + st * 2048;
    for (int64_t m = 0; m < rows; ++m) {
      const __m512 v0 = src[0] && at[0][m] >= 0 ? _mm512_loadu_ps(src[0] + at[0][m]) : zero;
      const __m512 v1 = src[1] && at[1][m] >= 0 ? _mm512_loadu_ps(src[1] + at[1][m]) : zero;
      split32(v0, v1, dst + m * 32, dst + m * 32 + 1024);
    }
  }
}

// Tiles 4 (and 5) from a K step's A rows 0-15 (16-31); kOneM: rows 0-15 only.
template <bool kOneM>
[[gnu::always_inline]] inline void load_a(const uint16_t* a) {
  _tile_loadd(4, a, 64);
  if (!kOneM) _tile_loadd(5, a + 512, 64);
}

// Tiles 6 and 7 from a K step's B columns 0-15 and 16-31.
[[gnu::always_inline]] inline void load_b(const uint16_t* b) {
  _tile_loadd(6, b, 64);
  _tile_loadd(7, b + 512, 64);
}

// C[m][n] += A[m] x B[n] for the loaded tiles.
template <bool kOneM>
[[gnu::always_inline]] inline void dot_tiles() {
  _tile_dpbf16ps(0, 4, 6);
  _tile_dpbf16ps(1, 4, 7);
  if (!kOneM) {
    _tile_dpbf16ps(2, 5, 6);
    _tile_dpbf16ps(3, 5, 7);
  }
}

// C[2 x 2 tiles] = A (32 rows) x B (pair j) over every K step, in three products per step; with
// kOneM, rows 0-15 only (C[0][*]). Per step: A hi at a, lo at a + 1024; B hi at b, lo at b + 1024.
template <bool kOneM>
void multiply(const BlockedAmxGeom& g, const uint16_t* a, const uint16_t* b, float* c) {
  _tile_zero(0);
  _tile_zero(1);
  if (!kOneM) {
    _tile_zero(2);
    _tile_zero(3);
  }
  for (int64_t st = 0; st < g.steps; ++st, a += 2048, b += 2048) {
    // The weights of 4 steps ahead into L2: large layers stream them from L3 once per block.
    if (st + 4 < g.steps)
      for (int i = 0; i < 2048; i += 32)
        _mm_prefetch(reinterpret_cast<const char*>(b + 4 * 2048 + i), _MM_HINT_T1);
    load_a<kOneM>(a);  // hi x hi
    load_b(b);
    dot_tiles<kOneM>();
    load_b(b + 1024);  // hi x lo
    dot_tiles<kOneM>();
    load_a<kOneM>(a + 1024);  // lo x hi
    load_b(b);
    dot_tiles<kOneM>();
  }
  _tile_stored(0, c, 64);
  _tile_stored(1, c + 256, 64);
  if (!kOneM) {
    _tile_stored(2, c + 512, 64);
    _tile_stored(3, c + 768, 64);
  }
}

// Rows [p0, p0 + 32) of output blocks 2 j, 2 j + 1 (those that exist) from the C tiles, through
// the epilogue. y and r: the image's output and residual.
void finish(const BlockedAmxGeom& g, const float* c, const float* bias, int64_t j, int64_t p0, float* y,
            const float* r, const Epilogue& ep) {
  using V = simd::Vec512;
  const int64_t rows = std::min(kRows, g.pixels - p0);
  for (int64_t nt = 0; nt < 2 && 2 * j + nt < g.ocb; ++nt) {
    const int64_t ob = 2 * j + nt;
    const __m512 b = _mm512_loadu_ps(bias + ob * kBlock);
    float* yb = y + ob * g.y_plane + p0 * kBlock;
    const float* rb = r ? r + ob * g.y_plane + p0 * kBlock : nullptr;
    for (int64_t m = 0; m < rows; ++m) {
      const __m512 v = _mm512_add_ps(_mm512_load_ps(c + ((m / 16) * 2 + nt) * 256 + (m % 16) * kBlock), b);
      _mm512_storeu_ps(yb + m * kBlock, detail::blocked_finish<V>(v, ep, rb ? rb + m * kBlock : nullptr));
    }
  }
}

}  // namespace

void blocked_amx_conv(ThreadPool& pool, const Conv2dShape& s, const float* x, const float* packed, float* y,
                      const Epilogue& ep, float* scratch) {
  if (!amx_usable()) return;  // the tactic never runs here; this also asks Linux for the tiles
  const BlockedAmxGeom g = blocked_amx_geom(s);
  const auto* w = reinterpret_cast<const uint16_t*>(packed);
  const float* bias = packed + g.tile_floats();
  // A task packs `rb` blocks of 32 rows; where that leaves few tasks, the pairs of output blocks
  // split too (each part packs the same rows).
  const int64_t rb = blocked_amx_task_blocks(s, pool.threads()), groups = (g.blocks + rb - 1) / rb;
  const int64_t units = s.batch * groups, want = 3 * pool.threads();
  const int64_t parts = units >= want ? 1 : std::min(g.pairs, (want + units - 1) / units);
  const int64_t per_thread = g.thread_floats(rb), per_block = g.rows_floats(1) * 2;  // floats, BF16s
  pool.parallel_for(units * parts, [&](int64_t task, int thread) {
    const int64_t unit = task / parts, part = task % parts;
    const int64_t n = unit / groups, b0 = (unit % groups) * rb, b1 = std::min(b0 + rb, g.blocks);
    auto* a = reinterpret_cast<uint16_t*>(scratch + thread * per_thread);
    float* c = scratch + thread * per_thread + g.rows_floats(rb);
    const float* xn = x + n * g.icb * g.x_plane;
    float* yn = y + n * g.ocb * g.y_plane;
    const float* rn = ep.residual ? ep.residual + n * g.ocb * g.y_plane : nullptr;
    for (int64_t b = b0; b < b1; ++b) pack_rows(s, g, xn, b * kRows, a + (b - b0) * per_block);
    TileScope tiles;
    for (int64_t j = part * g.pairs / parts, end = (part + 1) * g.pairs / parts; j < end; ++j)
      for (int64_t b = b0; b < b1; ++b) {
        const int64_t rows = std::min(kRows, g.pixels - b * kRows);
        if (rows < kRows) configure_tiles(rows);
        if (rows > 16) {
          multiply<false>(g, a + (b - b0) * per_block, w + j * per_block, c);
        } else {
          multiply<true>(g, a + (b - b0) * per_block, w + j * per_block, c);
        }
        if (rows < kRows) configure_tiles(kRows);
        finish(g, c, bias, j, b * kRows, yn, rn, ep);
      }
  });
}

}  // namespace kiln::cpu
