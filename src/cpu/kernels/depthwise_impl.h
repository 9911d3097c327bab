// The depthwise kernel template (see depthwise.h), included once per ISA.
//
// Each task is one channel of one image. The channel is first copied into a zero-padded plane in
// scratch so the inner loops need no bounds checks; for stride 2 the plane's columns are split
// into an even half and an odd half, so every tap of a stride-2 row is a contiguous vector load
// too. 3x3 and 5x5 kernels keep their taps in registers and run four output vectors at a time.
#pragma once

#include <algorithm>
#include <cstring>

#include "cpu/kernels/depthwise.h"
#include "cpu/ukernels/gemm_impl.h"

namespace kiln::cpu::detail {

struct DepthwisePlane {
  int64_t rows, cols, ld;  // padded rows and columns read; floats per stored row
  int64_t half;            // stride 2: the odd columns start at this offset of a row
};

inline DepthwisePlane depthwise_plane(const Conv2dShape& s, int width) {
  DepthwisePlane p;
  p.rows = (s.out_h - 1) * s.sh + (s.kh - 1) * s.dh + 1;
  p.cols = (s.out_w - 1) * s.sw + (s.kw - 1) * s.dw + 1;
  // Slack after the last column: the last vector of a row reads at most width - 1 lanes past the
  // last output's window (width * stride for gathered strides). Small planes (7x7, 14x14) make
  // the padding a large share of the work, so no more than that.
  if (s.sw == 2 && s.dw == 1) {
    p.half = (p.cols + 1) / 2 + width + 1;
    p.ld = 2 * p.half;
  } else {
    p.half = 0;
    p.ld = p.cols + width * s.sw + 1;
  }
  return p;
}

/// Copies channel `x` into the padded plane `p` (split into halves for stride 2).
template <class V>
void fill_plane(const Conv2dShape& s, const DepthwisePlane& pl, const float* x, float* p) {
  constexpr int W = V::kWidth;
  for (int64_t r = 0; r < pl.rows; ++r) {
    float* dst = p + r * pl.ld;
    const int64_t iy = r - s.pad_top;
    if (iy < 0 || iy >= s.in_h) {
      std::memset(dst, 0, pl.ld * sizeof(float));
      continue;
    }
    const float* src = x + iy * s.in_w;
    const int64_t lo = std::clamp<int64_t>(s.pad_left, 0, pl.cols);
    const int64_t hi = std::clamp<int64_t>(s.pad_left + s.in_w, lo, pl.cols);
    if (pl.half) {
      std::memset(dst, 0, pl.ld * sizeof(float));
      // Plane column c = pad_left + i holds source column i: even c go to the first half, odd c
      // to the second, each at c / 2. Two strided copies the compiler vectorizes.
      const float* from = src - s.pad_left;
      float* even = dst;
      float* odd = dst + pl.half;
      // Vector deinterleave while a whole vector's source lanes lie in [lo, hi), then scalar.
      int64_t j = (lo + 1) / 2;
      for (; 2 * (j + W) <= hi; j += W) V::store(even + j, V::load_even(from + 2 * j));
      for (; 2 * j < hi; ++j) even[j] = from[2 * j];
      j = lo / 2;  // 2j + 1 >= lo
      for (; 2 * (j + W) + 1 <= hi; j += W) V::store(odd + j, V::load_even(from + 2 * j + 1));
      for (; 2 * j + 1 < hi; ++j) odd[j] = from[2 * j + 1];
    } else {
      // Zero only the padding either side of the copied columns.
      std::memset(dst, 0, lo * sizeof(float));
      std::memcpy(dst + lo, src + (lo - s.pad_left), (hi - lo) * sizeof(float));
      std::memset(dst + hi, 0, (pl.ld - hi) * sizeof(float));
    }
  }
}

/// Where tap column kx of output column 0 starts in a plane row.
inline int64_t tap_offset(const Conv2dShape& s, const DepthwisePlane& pl, int64_t kx) {
  const int64_t c = kx * s.dw;
  return pl.half ? (c & 1) * pl.half + (c >> 1) : c;
}

/// The epilogue on output vector (oy, ox..) of channel c, stored (masked at the row's end).
template <class V>
inline void store_output(typename V::T acc, const Conv2dShape& s, const Epilogue& e, int64_t c, int64_t oy,
                         int64_t ox, float* dst) {
  constexpr int W = V::kWidth;
  const int count = static_cast<int>(std::min<int64_t>(W, s.out_w - ox));
  typename V::T r = finish<V>(acc, e, c, oy * s.out_w + ox, count);
  if (count == W) {
    V::store(dst + ox, r);
  } else {
    V::store_n(dst + ox, r, count);
  }
}

template <class V, int K>
void depthwise_row_fixed(const Conv2dShape& s, const DepthwisePlane& pl, const float* plane, const float* w,
                         int64_t oy, float* dst, const Epilogue& e, int64_t c) {
  constexpr int W = V::kWidth;
  using T = typename V::T;
  T taps[K * K];
#pragma GCC unroll 25
  for (int i = 0; i < K * K; ++i) taps[i] = V::set1(w[i]);
  const float* rows[K];
  int64_t offs[K];
  for (int ky = 0; ky < K; ++ky) rows[ky] = plane + (oy * s.sh + ky * s.dh) * pl.ld;
  for (int kx = 0; kx < K; ++kx) offs[kx] = tap_offset(s, pl, kx);
  int64_t ox = 0;
  {
    for (; ox + 4 * W <= s.out_w; ox += 4 * W) {
      T acc[4] = {V::zero(), V::zero(), V::zero(), V::zero()};
#pragma GCC unroll 5
      for (int ky = 0; ky < K; ++ky)
#pragma GCC unroll 5
        for (int kx = 0; kx < K; ++kx) {
          const float* src = rows[ky] + offs[kx] + ox;
#pragma GCC unroll 4
          for (int v = 0; v < 4; ++v) acc[v] = V::fmadd(taps[ky * K + kx], V::load(src + v * W), acc[v]);
        }
#pragma GCC unroll 4
      for (int v = 0; v < 4; ++v)
        V::store(dst + ox + v * W, finish<V>(acc[v], e, c, oy * s.out_w + ox + v * W, W));
    }
  }
  for (; ox < s.out_w; ox += W) {
    T acc = V::zero();
#pragma GCC unroll 5
    for (int ky = 0; ky < K; ++ky)
#pragma GCC unroll 5
      for (int kx = 0; kx < K; ++kx)
        acc = V::fmadd(taps[ky * K + kx], V::load(rows[ky] + offs[kx] + ox), acc);
    store_output<V>(acc, s, e, c, oy, ox, dst);
  }
}

/// Any kernel size; strides other than 1 and 2 gather their lanes.
template <class V>
void depthwise_row_any(const Conv2dShape& s, const DepthwisePlane& pl, const float* plane, const float* w,
                       int64_t oy, float* dst, const Epilogue& e, int64_t c) {
  constexpr int W = V::kWidth;
  using T = typename V::T;
  const int64_t step = pl.half ? 1 : s.sw;
  for (int64_t ox = 0; ox < s.out_w; ox += W) {
    T acc = V::zero();
    for (int64_t ky = 0; ky < s.kh; ++ky) {
      const float* row = plane + (oy * s.sh + ky * s.dh) * pl.ld;
      for (int64_t kx = 0; kx < s.kw; ++kx) {
        const float* src = row + tap_offset(s, pl, kx) + ox * step;
        T xv;
        if (step == 1) {
          xv = V::load(src);
        } else {
          alignas(64) float lanes[W];
          for (int l = 0; l < W; ++l) lanes[l] = src[l * step];
          xv = V::load(lanes);
        }
        acc = V::fmadd(V::set1(w[ky * s.kw + kx]), xv, acc);
      }
    }
    store_output<V>(acc, s, e, c, oy, ox, dst);
  }
}

template <class V>
void depthwise(ThreadPool& pool, const Conv2dShape& s, const float* x, const float* w, float* y,
               const Epilogue& ep, float* scratch) {
  const DepthwisePlane pl = depthwise_plane(s, V::kWidth);
  const int64_t plane_floats = depthwise_plane_floats(s);
  const int64_t channels = s.out_c, out_plane = s.out_h * s.out_w, in_plane = s.in_h * s.in_w;
  pool.parallel_for(s.batch * channels, [&](int64_t task, int thread) {
    const int64_t c = task % channels;
    float* p = scratch + plane_floats * thread;
    fill_plane<V>(s, pl, x + task * in_plane, p);
    Epilogue e = ep;
    e.ldr = out_plane;
    if (e.residual) e.residual += (task - c) * out_plane;  // the image's first channel
    const float* wc = w + c * s.kh * s.kw;
    float* yc = y + task * out_plane;
    const bool contiguous = s.sw == 1 || pl.half;  // each tap of a row is one vector load
    for (int64_t oy = 0; oy < s.out_h; ++oy) {
      float* dst = yc + oy * s.out_w;
      if (!contiguous) {
        depthwise_row_any<V>(s, pl, p, wc, oy, dst, e, c);
      } else if (s.kh == 3 && s.kw == 3) {
        depthwise_row_fixed<V, 3>(s, pl, p, wc, oy, dst, e, c);
      } else if (s.kh == 5 && s.kw == 5) {
        depthwise_row_fixed<V, 5>(s, pl, p, wc, oy, dst, e, c);
      } else {
        depthwise_row_any<V>(s, pl, p, wc, oy, dst, e, c);
      }
    }
  });
}

}  // namespace kiln::cpu::detail
