// The Winograd kernel template (winograd.h), compiled once per ISA so the compiler vectorizes the
// transforms' loops over tiles: every transform step is a run of FMAs over contiguous arrays (the
// input band's rows, then its columns split into M phase arrays; the output likewise).
#pragma once

#include <algorithm>
#include <cstring>

#include "cpu/kernels/gemm_driver.h"
#include "cpu/kernels/winograd.h"
#include "cpu/kernels/winograd_math.h"

namespace kiln::cpu::detail {

template <int M>
void winograd(const GemmUkernel& uk, ThreadPool& pool, const Conv2dShape& s, const float* x,
              const float* packed_u, float* y, const Epilogue& ep, float* scratch) {
  using Mx = winograd::Matrices<M>;
  constexpr int A = Mx::kAlpha;
  const int64_t cin = s.in_c, cout = s.out_c, oh = s.out_h, ow = s.out_w;
  const int64_t th = ceil_div(oh, M), tw = ceil_div(ow, M), tiles = th * tw;
  const int64_t nr = uk.nr, panels = ceil_div(tiles, nr);
  const int64_t v_per_xi = panels * cin * nr;
  float* v = scratch;
  float* mbuf = v + A * A * v_per_xi;
  float* bands = mbuf + A * A * cout * tiles;
  const int64_t wp = (tw + 1) * M + 16;  // band width: every tile's alpha columns, and slack
  const int64_t band_floats = winograd_band_floats(s, M);
  const int64_t u_per_xi = round_up(cout, uk.mr) * cin;
  // Columns past the last tile in the last panel: zeros, so the GEMM's unused lanes stay finite.
  if (tiles % nr) {
    for (int xi = 0; xi < A * A; ++xi)
      for (int64_t ci = 0; ci < cin; ++ci) {
        float* p = v + xi * v_per_xi + (panels - 1) * cin * nr + ci * nr;
        std::memset(p + tiles % nr, 0, (nr - tiles % nr) * sizeof(float));
      }
  }
  for (int64_t b = 0; b < s.batch; ++b) {
    const float* xb = x + b * cin * s.in_h * s.in_w;
    float* yb = y + b * cout * oh * ow;
    // 1. V = B^T d B for every (channel, tile row).
    pool.parallel_for(cin * th, [&](int64_t task, int thread) {
      const int64_t ci = task / th, ty = task % th;
      float* band = bands + band_floats * thread;  // [A][wp]
      float* tmp = band + A * wp;                  // [A][wp]
      float* ph = tmp + A * wp;                    // [A][M][tw + 1] phases of tmp's rows
      float* vt = ph + A * M * (tw + 16);          // [A * A][tw + 16]
      const float* xc = xb + ci * s.in_h * s.in_w;
      for (int i = 0; i < A; ++i) {
        float* row = band + i * wp;
        std::memset(row, 0, wp * sizeof(float));
        const int64_t iy = ty * M + i - s.pad_top;
        if (iy < 0 || iy >= s.in_h) continue;
        const int64_t lo = std::clamp<int64_t>(s.pad_left, 0, wp),
                      hi = std::clamp<int64_t>(s.pad_left + s.in_w, lo, wp);
        std::memcpy(row + lo, xc + iy * s.in_w + (lo - s.pad_left), (hi - lo) * sizeof(float));
      }
      const int64_t cols = (tw + 1) * M;
      for (int k = 0; k < A; ++k) {
        float* t = tmp + k * wp;
        for (int64_t c = 0; c < cols; ++c) t[c] = 0;
        for (int i = 0; i < A; ++i) {
          const float coef = Mx::BT[k][i];
          if (coef == 0) continue;
          const float* r = band + i * wp;
          for (int64_t c = 0; c < cols; ++c) t[c] += coef * r[c];
        }
        for (int r = 0; r < M; ++r) {
          float* p = ph + (k * M + r) * (tw + 16);
          for (int64_t q = 0; q <= tw; ++q) p[q] = t[q * M + r];
        }
      }
      for (int k = 0; k < A; ++k) {
        for (int l = 0; l < A; ++l) {
          float* out = vt + (k * A + l) * (tw + 16);
          for (int64_t q = 0; q < tw; ++q) out[q] = 0;
          for (int j = 0; j < A; ++j) {
            const float coef = Mx::BT[l][j];
            if (coef == 0) continue;
            const float* p = ph + (k * M + j % M) * (tw + 16) + j / M;
            for (int64_t q = 0; q < tw; ++q) out[q] += coef * p[q];
          }
        }
      }
      // Scatter into the packed B panels: tile index ty * tw + q.
      for (int xi = 0; xi < A * A; ++xi) {
        const float* src = vt + xi * (tw + 16);
        float* dst = v + xi * v_per_xi;
        for (int64_t q = 0; q < tw; ++q) {
          const int64_t t = ty * tw + q;
          dst[(t / nr) * cin * nr + ci * nr + t % nr] = src[q];
        }
      }
    });
    // 2. One GEMM per transform position.
    for (int xi = 0; xi < A * A; ++xi) {
      const float* vx = v + xi * v_per_xi;
      gemm_run(
          uk, pool, cout, tiles, cin, packed_u + xi * u_per_xi,
          [&](int64_t n0, int64_t k0, int64_t, float*) -> const float* {
            return vx + ((n0 / nr) * cin + k0) * nr;
          },
          mbuf + xi * cout * tiles, tiles, Epilogue{}, nullptr);
    }
    // 3. Y = A^T M A per (output channel, tile row), then the epilogue on the finished rows.
    pool.parallel_for(cout * th, [&](int64_t task, int thread) {
      const int64_t co = task / th, ty = task % th;
      float* t1 = bands + band_floats * thread;  // [A][M][tw]
      float* yt = t1 + A * M * (tw + 16);        // [M][M][tw]
      for (int k = 0; k < A; ++k)
        for (int c = 0; c < M; ++c) {
          float* out = t1 + (k * M + c) * (tw + 16);
          for (int64_t q = 0; q < tw; ++q) out[q] = 0;
          for (int l = 0; l < A; ++l) {
            const float coef = Mx::AT[c][l];
            if (coef == 0) continue;
            const float* mrow = mbuf + ((k * A + l) * cout + co) * tiles + ty * tw;
            for (int64_t q = 0; q < tw; ++q) out[q] += coef * mrow[q];
          }
        }
      for (int r = 0; r < M; ++r)
        for (int c = 0; c < M; ++c) {
          float* out = yt + (r * M + c) * (tw + 16);
          for (int64_t q = 0; q < tw; ++q) out[q] = 0;
          for (int k = 0; k < A; ++k) {
            const float coef = Mx::AT[r][k];
            if (coef == 0) continue;
            const float* in = t1 + (k * M + c) * (tw + 16);
            for (int64_t q = 0; q < tw; ++q) out[q] += coef * in[q];
          }
        }
      float* yc = yb + co * oh * ow;
      Epilogue e = ep;
      e.ldr = oh * ow;
      if (e.residual) e.residual += b * cout * oh * ow;
      for (int r = 0; r < M; ++r) {
        const int64_t oy = ty * M + r;
        if (oy >= oh) break;
        float* row = yc + oy * ow;
        for (int c = 0; c < M; ++c) {
          const float* in = yt + (r * M + c) * (tw + 16);
          for (int64_t q = 0; q < tw; ++q) {
            const int64_t ox = q * M + c;
            if (ox < ow) row[ox] = in[q];
          }
        }
        uk.apply_epilogue(row, ow, 1, ow, e, co, oy * ow);
      }
    });
  }
}

}  // namespace kiln::cpu::detail
