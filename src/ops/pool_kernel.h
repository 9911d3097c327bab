// Window iteration shared by MaxPool, AveragePool and LpPool: for each output position, the taps of
// its (dilated) window that fall inside the image.
#pragma once

#include <algorithm>
#include <type_traits>
#include <vector>

#include "ops/conv_kernel.h"

namespace kiln::ops {

/// The valid taps of one window along each of the three dims: image indices first + t * step for
/// t in [0, count). `padded_count` also counts taps on the pads (AveragePool's count_include_pad).
struct WindowTaps {
  int64_t first[3];
  int64_t step[3];
  int64_t count[3];
  int64_t padded_count[3];
};

/// Calls f(output_index, taps) for each output position of g, row-major over g.cols.
template <typename F>
void for_each_window(const Geometry3d& g, F&& f) {
  struct Taps1d {
    int64_t first, count, padded_count;
  };
  std::vector<Taps1d> dims[3];
  for (int i = 0; i < 3; ++i) {
    const int64_t d = g.dilation[i], k = g.kernel[i];
    // Kernel taps t with lo <= start + t * d < hi, as a count.
    auto taps_within = [&](int64_t start, int64_t lo, int64_t hi, int64_t& t0) {
      t0 = std::clamp<int64_t>(floor_div(lo - start + d - 1, d), 0, k);
      const int64_t t1 = std::clamp<int64_t>(floor_div(hi - 1 - start, d) + 1, t0, k);
      return t1 - t0;
    };
    for (int64_t o = 0; o < g.cols[i]; ++o) {
      const int64_t start = o * g.stride[i] - g.pad[i];
      int64_t t0, unused;
      const int64_t count = taps_within(start, 0, g.image[i], t0);
      const int64_t padded = taps_within(start, -g.pad[i], g.image[i] + g.pad_end[i], unused);
      dims[i].push_back({start + t0 * d, count, padded});
    }
  }
  int64_t out = 0;
  WindowTaps t;
  for (int i = 0; i < 3; ++i) t.step[i] = g.dilation[i];
  for (const Taps1d& a : dims[0]) {
    for (const Taps1d& b : dims[1]) {
      for (const Taps1d& c : dims[2]) {
        t.first[0] = a.first, t.first[1] = b.first, t.first[2] = c.first;
        t.count[0] = a.count, t.count[1] = b.count, t.count[2] = c.count;
        t.padded_count[0] = a.padded_count, t.padded_count[1] = b.padded_count,
        t.padded_count[2] = c.padded_count;
        f(out++, t);
      }
    }
  }
}

/// Calls f(image_index) for each valid tap of a window (image_index is within one plane).
template <typename F>
void for_each_tap(const Geometry3d& g, const WindowTaps& t, F&& f) {
  for (int64_t a = 0; a < t.count[0]; ++a) {
    const int64_t z = t.first[0] + a * t.step[0];
    for (int64_t b = 0; b < t.count[1]; ++b) {
      const int64_t row = (z * g.image[1] + t.first[1] + b * t.step[1]) * g.image[2] + t.first[2];
      for (int64_t c = 0; c < t.count[2]; ++c) f(row + c * t.step[2]);
    }
  }
}

/// The type a pool accumulates in: double for f64, float for the other float types, T for integers.
template <typename T>
using pool_acc_t = std::conditional_t<std::is_same_v<T, double>, double,
                                      std::conditional_t<std::is_integral_v<T>, T, float>>;

/// Shared infer of the pools: output 0 (and output 1 when `indices`, int64) is
/// [N, C, forward_output_dims(...)]; `ceil_mode` is read from the node.
Status infer_pool(InferContext& ctx, bool allow_ints);

/// The geometry of a pool over x (rank >= 3), with its output shape [N, C, out...].
Expected<Geometry3d> pool_geometry(const ir::Node& node, const Shape& x, Shape& out_shape);

}  // namespace kiln::ops
