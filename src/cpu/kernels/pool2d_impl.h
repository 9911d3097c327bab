#pragma once

#include <algorithm>
#include <cstring>
#include <limits>

#include "cpu/kernels/pool2d.h"
#include "cpu/ukernels/simd.h"

namespace kiln::cpu::detail {

// Taps t in [0, k) of a window starting at `start` (dilation d) with lo <= start + t * d < hi.
inline int64_t taps_between(int64_t start, int64_t k, int64_t d, int64_t lo, int64_t hi) {
  int64_t n = 0;
  for (int64_t t = 0; t < k; ++t) n += start + t * d >= lo && start + t * d < hi;
  return n;
}

template <class V>
void pool2d(ThreadPool& pool, const Conv2dShape& s, PoolKind kind, int64_t pad_bottom, int64_t pad_right,
            const float* x, float* y, float* scratch) {
  constexpr int W = V::kWidth;
  using T = typename V::T;
  const bool max = kind == PoolKind::kMax, include_pad = kind == PoolKind::kAverageIncludePad;
  const float fill = max ? -std::numeric_limits<float>::infinity() : 0.0f;
  const int64_t rows = (s.out_h - 1) * s.sh + (s.kh - 1) * s.dh + 1;
  const int64_t cols = (s.out_w - 1) * s.sw + (s.kw - 1) * s.dw + 1;
  const int64_t ld = cols + 2 * W * s.sw;
  const int64_t per_thread = pool2d_scratch_floats(s);
  // An average's tap counts: rows [lo_y, hi_y) and columns [lo_x, hi_x) of the (padded) image.
  const int64_t lo_y = include_pad ? -s.pad_top : 0, hi_y = include_pad ? s.in_h + pad_bottom : s.in_h;
  const int64_t lo_x = include_pad ? -s.pad_left : 0, hi_x = include_pad ? s.in_w + pad_right : s.in_w;
  // Each thread's copy of the column tap counts (at the end of its scratch), made once per call.
  const int64_t col_floats = pool2d_count_floats(s);
  if (!max)
    for (int t = 0; t < pool.threads(); ++t) {
      float* col_taps = scratch + per_thread * (t + 1) - col_floats;
      for (int64_t ox = 0; ox < s.out_w + W; ++ox)
        col_taps[ox] = ox < s.out_w
                           ? static_cast<float>(taps_between(ox * s.sw - s.pad_left, s.kw, s.dw, lo_x, hi_x))
                           : 1.0f;
    }
  pool.parallel_for(s.batch * s.out_c, [&](int64_t task, int thread) {
    const float* xc = x + task * s.in_h * s.in_w;
    float* yc = y + task * s.out_h * s.out_w;
    float* p = scratch + per_thread * thread;
    const float* col_taps = p + per_thread - col_floats;
    for (int64_t r = 0; r < rows; ++r) {
      float* dst = p + r * ld;
      std::fill(dst, dst + ld, fill);
      const int64_t iy = r - s.pad_top;
      if (iy < 0 || iy >= s.in_h) continue;
      const int64_t lo = std::clamp<int64_t>(s.pad_left, 0, cols);
      const int64_t hi = std::clamp<int64_t>(s.pad_left + s.in_w, lo, cols);
      std::memcpy(dst + lo, xc + iy * s.in_w + (lo - s.pad_left), (hi - lo) * sizeof(float));
    }
    for (int64_t oy = 0; oy < s.out_h; ++oy) {
      const float row_taps =
          max ? 1.0f : static_cast<float>(taps_between(oy * s.sh - s.pad_top, s.kh, s.dh, lo_y, hi_y));
      for (int64_t ox = 0; ox < s.out_w; ox += W) {
        T acc = V::set1(fill);
        for (int64_t ky = 0; ky < s.kh; ++ky) {
          const float* row = p + (oy * s.sh + ky * s.dh) * ld + ox * s.sw;
          for (int64_t kx = 0; kx < s.kw; ++kx) {
            const float* src = row + kx * s.dw;
            T v;
            if (s.sw == 1) {
              v = V::load(src);
            } else if (s.sw == 2) {
              v = V::load_even(src);
            } else {
              alignas(64) float lanes[W];
              for (int l = 0; l < W; ++l) lanes[l] = src[l * s.sw];
              v = V::load(lanes);
            }
            acc = max ? V::max(acc, v) : V::add(acc, v);
          }
        }
        if (!max) {
          // sum / count, as the reference divides; a window with no taps counted gives 0 / 1.
          const T count = V::max(V::mul(V::set1(row_taps), V::load(col_taps + ox)), V::set1(1.0f));
          acc = V::div(acc, count);
        }
        const int count = static_cast<int>(std::min<int64_t>(W, s.out_w - ox));
        if (count == W) {
          V::store(yc + oy * s.out_w + ox, acc);
        } else {
          V::store_n(yc + oy * s.out_w + ox, acc, count);
        }
      }
    }
  });
}

}  // namespace kiln::cpu::detail
