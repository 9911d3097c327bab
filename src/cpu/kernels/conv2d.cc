#include "cpu/kernels/conv2d.h"

#include <algorithm>
#include <cstring>

#include "cpu/kernels/gemm_driver.h"

namespace kiln::cpu {

int64_t conv2d_packed_weights_floats(const GemmUkernel& uk, const Conv2dShape& s) {
  return s.group * round_up(s.m(), uk.mr) * s.k();
}

void conv2d_pack_weights(const GemmUkernel& uk, const Conv2dShape& s, const float* w, float* packed) {
  const int64_t k = s.k(), m = s.m();
  for (int64_t g = 0; g < s.group; ++g)
    pack_a(w + g * m * k, k, m, k, uk.mr, packed + g * round_up(m, uk.mr) * k);
}

int64_t conv2d_scratch_floats(const GemmUkernel& uk, const Conv2dShape& s, int threads) {
  return gemm_panel_floats(uk, s.k(), s.n()) * threads;
}

void conv2d_pack_panel(const Conv2dShape& s, const float* x, int64_t n0, int64_t k0, int64_t k1, int nr,
                       float* panel) {
  const int64_t n = s.n();
  const int cols = static_cast<int>(std::min<int64_t>(nr, n - n0));
  if (s.pointwise()) {
    pack_b_panel(x + k0 * n, n, k1 - k0, n, n0, nr, panel);
    return;
  }
  // The panel's columns as runs of one output row: (oy, first ox, first column, count).
  struct Run {
    int64_t oy, ox;
    int j, count;
  };
  Run runs[64];
  int nruns = 0;
  for (int j = 0; j < cols;) {
    int64_t pos = n0 + j, oy = pos / s.out_w, ox = pos % s.out_w;
    int count = static_cast<int>(std::min<int64_t>(cols - j, s.out_w - ox));
    runs[nruns++] = {oy, ox, j, count};
    j += count;
  }
  const int64_t plane = s.in_h * s.in_w, taps = s.kh * s.kw;
  for (int64_t kk = k0; kk < k1; ++kk) {
    const int64_t ci = kk / taps, ky = kk % taps / s.kw, kx = kk % s.kw;
    const float* xc = x + ci * plane;
    float* row = panel + (kk - k0) * nr;
    if (cols < nr) std::memset(row + cols, 0, (nr - cols) * sizeof(float));
    for (int r = 0; r < nruns; ++r) {
      const Run& run = runs[r];
      float* dst = row + run.j;
      const int64_t iy = run.oy * s.sh - s.pad_top + ky * s.dh;
      if (iy < 0 || iy >= s.in_h) {
        std::memset(dst, 0, run.count * sizeof(float));
        continue;
      }
      const float* src = xc + iy * s.in_w;
      const int64_t ix0 = run.ox * s.sw - s.pad_left + kx * s.dw;
      if (s.sw == 1) {
        // Columns whose input x falls in [0, in_w): one contiguous copy, zeros either side.
        int64_t lo = std::clamp<int64_t>(-ix0, 0, run.count);
        int64_t hi = std::clamp<int64_t>(s.in_w - ix0, lo, run.count);
        if (lo > 0) std::memset(dst, 0, lo * sizeof(float));
        if (hi > lo) std::memcpy(dst + lo, src + ix0 + lo, (hi - lo) * sizeof(float));
        if (run.count > hi) std::memset(dst + hi, 0, (run.count - hi) * sizeof(float));
      } else {
        // Strided: the columns whose input x = ix0 + c * sw falls in [0, in_w) form one range
        // [lo, hi); copy it without a bounds check per element, zeros either side.
        const int64_t sw = s.sw;
        int64_t lo = ix0 >= 0 ? 0 : (-ix0 + sw - 1) / sw;
        int64_t hi = s.in_w - ix0 <= 0 ? 0 : (s.in_w - ix0 + sw - 1) / sw;
        lo = std::min<int64_t>(lo, run.count);
        hi = std::clamp<int64_t>(hi, lo, run.count);
        for (int64_t c = 0; c < lo; ++c) dst[c] = 0.0f;
        const float* from = src + ix0;
        for (int64_t c = lo; c < hi; ++c) dst[c] = from[c * sw];
        for (int64_t c = hi; c < run.count; ++c) dst[c] = 0.0f;
      }
    }
  }
}

void conv2d_gemm(const GemmUkernel& uk, ThreadPool& pool, const Conv2dShape& s, const float* x,
                 const float* packed_w, float* y, const Epilogue& ep, float* scratch) {
  const int64_t m = s.m(), k = s.k(), n = s.n();
  const int64_t in_group = s.in_c / s.group * s.in_h * s.in_w, out_group = m * n;
  for (int64_t b = 0; b < s.batch; ++b) {
    for (int64_t g = 0; g < s.group; ++g) {
      const float* xg = x + (b * s.group + g) * in_group;
      float* yg = y + (b * s.group + g) * out_group;
      Epilogue e = ep;
      e.ldr = n;
      if (e.bias_row) e.bias_row += g * m;
      if (e.residual) e.residual += (b * s.group + g) * out_group;
      gemm_run(
          uk, pool, m, n, k, packed_w + g * round_up(m, uk.mr) * k,
          [&](int64_t n0, int64_t k0, int64_t k1, float* panel) -> const float* {
            conv2d_pack_panel(s, xg, n0, k0, k1, uk.nr, panel);
            return panel;
          },
          yg, n, e, scratch);
    }
  }
}

}  // namespace kiln::cpu
