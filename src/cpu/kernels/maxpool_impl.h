#pragma once

#include <algorithm>
#include <cstring>
#include <limits>

#include "cpu/kernels/maxpool.h"
#include "cpu/ukernels/simd.h"

namespace kiln::cpu::detail {

template <class V>
void maxpool(ThreadPool& pool, const Conv2dShape& s, const float* x, float* y, float* scratch) {
  constexpr int W = V::kWidth;
  using T = typename V::T;
  const float lowest = -std::numeric_limits<float>::infinity();
  const int64_t rows = (s.out_h - 1) * s.sh + (s.kh - 1) * s.dh + 1;
  const int64_t cols = (s.out_w - 1) * s.sw + (s.kw - 1) * s.dw + 1;
  const int64_t ld = cols + 2 * W * s.sw;
  const int64_t plane_floats = maxpool_plane_floats(s);
  pool.parallel_for(s.batch * s.out_c, [&](int64_t task, int thread) {
    const float* xc = x + task * s.in_h * s.in_w;
    float* yc = y + task * s.out_h * s.out_w;
    float* p = scratch + plane_floats * thread;
    for (int64_t r = 0; r < rows; ++r) {
      float* dst = p + r * ld;
      std::fill(dst, dst + ld, lowest);
      const int64_t iy = r - s.pad_top;
      if (iy < 0 || iy >= s.in_h) continue;
      const int64_t lo = std::clamp<int64_t>(s.pad_left, 0, cols);
      const int64_t hi = std::clamp<int64_t>(s.pad_left + s.in_w, lo, cols);
      std::memcpy(dst + lo, xc + iy * s.in_w + (lo - s.pad_left), (hi - lo) * sizeof(float));
    }
    for (int64_t oy = 0; oy < s.out_h; ++oy) {
      for (int64_t ox = 0; ox < s.out_w; ox += W) {
        T acc = V::set1(lowest);
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
            acc = V::max(acc, v);
          }
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
