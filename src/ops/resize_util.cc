#include "ops/resize_util.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

namespace kiln::ops {
namespace {

// The taps of one axis: output index j reads weight[k] * in[index[k]] for k in [first[j], first[j+1]).
struct AxisTaps {
  std::vector<int64_t> first;
  std::vector<int64_t> index;
  std::vector<double> weight;
  std::vector<bool> outside;  // tf_crop_and_resize: j takes the extrapolation value
};

// Keys' cubic convolution kernel with parameter a.
double cubic_kernel(double x, double a) {
  x = std::abs(x);
  if (x <= 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
  return 0;
}

// The weights of the taps base + start, base + start + 1, ... for a source coordinate
// base + ratio, ratio in (0, 1]. Returns start.
int64_t tap_weights(const ResizeSpec& s, double ratio, double scale, std::vector<double>& w) {
  w.clear();
  switch (s.mode) {
    case ResizeMode::kNearest: {
      bool ceil = true;  // ratio == 1: the source coordinate is the integer base + 1
      if (ratio != 1) {
        switch (s.nearest) {
          case NearestMode::kRoundPreferFloor:
            ceil = ratio > 0.5;
            break;
          case NearestMode::kRoundPreferCeil:
            ceil = ratio >= 0.5;
            break;
          case NearestMode::kFloor:
            ceil = false;
            break;
          case NearestMode::kCeil:
            ceil = true;
            break;
          case NearestMode::kSimple:
            ceil = scale < 1;
            break;
        }
      }
      w = {ceil ? 0.0 : 1.0, ceil ? 1.0 : 0.0};
      return 0;
    }
    case ResizeMode::kLinear: {
      if (!s.antialias || scale >= 1) {
        w = {1 - ratio, ratio};
        return 0;
      }
      const int64_t start = static_cast<int64_t>(std::floor(-1 / scale)) + 1;
      double sum = 0;
      for (int64_t i = start; i < 2 - start; ++i) {
        w.push_back(std::clamp(1 - std::abs((static_cast<double>(i) - ratio) * scale), 0.0, 1.0));
        sum += w.back();
      }
      for (double& v : w) v /= sum;
      return start;
    }
    case ResizeMode::kCubic: {
      if (!s.antialias || scale >= 1) {
        // The reference's polynomial form of the kernel at ratio + 1, ratio, 1 - ratio, 2 - ratio.
        const double a = s.cubic_a, r = ratio;
        w = {((a * (r + 1) - 5 * a) * (r + 1) + 8 * a) * (r + 1) - 4 * a, ((a + 2) * r - (a + 3)) * r * r + 1,
             ((a + 2) * (1 - r) - (a + 3)) * (1 - r) * (1 - r) + 1,
             ((a * ((1 - r) + 1) - 5 * a) * ((1 - r) + 1) + 8 * a) * ((1 - r) + 1) - 4 * a};
        return -1;
      }
      const int64_t start = static_cast<int64_t>(std::floor(-2 / scale)) + 1;
      double sum = 0;
      for (int64_t i = start; i < 2 - start; ++i) {
        w.push_back(cubic_kernel(scale * (static_cast<double>(i) - ratio), s.cubic_a));
        sum += w.back();
      }
      for (double& v : w) v /= sum;
      return start;
    }
  }
  return 0;
}

// The source coordinate of output index x along an axis of `in` elements; sets `outside` when
// tf_crop_and_resize samples beyond the input.
double source_coordinate(const ResizeSpec& s, double x, int64_t in, int64_t out, double scale,
                         double roi_start, double roi_end, bool& outside) {
  const double in_f = static_cast<double>(in);
  const double out_f = scale * in_f;  // the reference's (possibly fractional) output length
  outside = false;
  switch (s.coord) {
    case CoordMode::kHalfPixel:
      return (x + 0.5) / scale - 0.5;
    case CoordMode::kHalfPixelSymmetric: {
      const double adjustment = static_cast<double>(out) / out_f;
      const double center = in_f / 2;
      return center * (1 - adjustment) + (x + 0.5) / scale - 0.5;
    }
    case CoordMode::kPytorchHalfPixel:
      return out > 1 ? (x + 0.5) / scale - 0.5 : 0.0;
    case CoordMode::kAlignCorners:
      return out_f == 1 ? 0.0 : x * (in_f - 1) / (out_f - 1);
    case CoordMode::kAsymmetric:
      return x / scale;
    case CoordMode::kTfHalfPixelForNn:
      return (x + 0.5) / scale;
    case CoordMode::kTfCropAndResize: {
      double v = out_f == 1 ? (roi_end - roi_start) * (in_f - 1) / 2
                            : x * (roi_end - roi_start) * (in_f - 1) / (out_f - 1);
      v += roi_start * (in_f - 1);
      outside = v < 0 || v > in_f - 1;
      return v;
    }
  }
  return 0;
}

AxisTaps axis_taps(const ResizeSpec& s, int64_t in, int64_t out, double scale, double roi_start,
                   double roi_end) {
  AxisTaps t;
  t.first.reserve(static_cast<size_t>(out) + 1);
  t.outside.resize(static_cast<size_t>(out));
  std::vector<double> w;
  for (int64_t j = 0; j < out; ++j) {
    t.first.push_back(static_cast<int64_t>(t.index.size()));
    bool outside = false;
    const double x =
        source_coordinate(s, static_cast<double>(j), in, out, scale, roi_start, roi_end, outside);
    if (outside) {
      t.outside[j] = true;
      continue;
    }
    // base + ratio == x with ratio in (0, 1]: an integer x reads its left neighbour with weight 0.
    const double fl = std::floor(x);
    const double ratio = x == fl ? 1.0 : x - fl;
    const int64_t base = static_cast<int64_t>(x - ratio);
    const int64_t start = tap_weights(s, ratio, scale, w);
    const int64_t n = static_cast<int64_t>(w.size());
    // The reference edge-pads the input by ceil(n / 2) and takes the n indices nearest x there:
    // near the edges the window slides to stay inside the padding, keeping the weights' order.
    const int64_t pad = (n + 1) / 2;
    const int64_t first = std::clamp(base + start, -pad, in + pad - n);
    if (s.exclude_outside) {
      double sum = 0;
      for (int64_t i = 0; i < n; ++i) {
        if (first + i < 0 || first + i >= in) w[i] = 0;
        sum += w[i];
      }
      for (double& v : w) v /= sum;
    }
    for (int64_t i = 0; i < n; ++i) {
      if (w[i] == 0) continue;
      t.index.push_back(std::clamp<int64_t>(first + i, 0, in - 1));
      t.weight.push_back(w[i]);
    }
  }
  t.first.push_back(static_cast<int64_t>(t.index.size()));
  return t;
}

bool is_identity(const AxisTaps& t, int64_t in, int64_t out) {
  if (in != out) return false;
  for (int64_t j = 0; j < out; ++j) {
    if (t.outside[j] || t.first[j + 1] - t.first[j] != 1 || t.index[t.first[j]] != j ||
        t.weight[t.first[j]] != 1) {
      return false;
    }
  }
  return true;
}

template <typename T>
T from_double(double v) {
  if constexpr (std::is_same_v<T, bool>) {
    return v != 0;
  } else if constexpr (std::is_integral_v<T>) {
    if (std::isnan(v)) return T(0);
    v = std::nearbyint(v);
    if (v <= static_cast<double>(std::numeric_limits<T>::lowest())) return std::numeric_limits<T>::lowest();
    if (v >= static_cast<double>(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
    return static_cast<T>(v);
  } else {
    return static_cast<T>(v);
  }
}

}  // namespace

Expected<ResizeSpec> read_resize_spec(const ir::Node& node, bool full) {
  ResizeSpec s;
  const std::string mode = node.attr_string("mode", "nearest");
  if (mode == "nearest") {
    s.mode = ResizeMode::kNearest;
  } else if (mode == "linear" || mode == "bilinear") {
    s.mode = ResizeMode::kLinear;
  } else if (mode == "cubic" || mode == "bicubic") {
    s.mode = ResizeMode::kCubic;
  } else {
    return invalid_argument(node.describe() + ": mode '" + mode + "' is not one of nearest, linear, cubic");
  }
  if (!full) {
    if (s.mode == ResizeMode::kCubic) {
      return invalid_argument(node.describe() + ": mode 'cubic' needs Resize from opset 11");
    }
    s.coord = CoordMode::kAsymmetric;
    s.nearest = NearestMode::kSimple;
    return s;
  }
  const std::string coord = node.attr_string("coordinate_transformation_mode", "half_pixel");
  if (coord == "half_pixel") {
    s.coord = CoordMode::kHalfPixel;
  } else if (coord == "half_pixel_symmetric") {
    s.coord = CoordMode::kHalfPixelSymmetric;
  } else if (coord == "pytorch_half_pixel") {
    s.coord = CoordMode::kPytorchHalfPixel;
  } else if (coord == "align_corners") {
    s.coord = CoordMode::kAlignCorners;
  } else if (coord == "asymmetric") {
    s.coord = CoordMode::kAsymmetric;
  } else if (coord == "tf_half_pixel_for_nn") {
    s.coord = CoordMode::kTfHalfPixelForNn;
  } else if (coord == "tf_crop_and_resize") {
    s.coord = CoordMode::kTfCropAndResize;
  } else {
    return invalid_argument(node.describe() + ": coordinate_transformation_mode '" + coord +
                            "' is not supported");
  }
  const std::string nearest = node.attr_string("nearest_mode", "round_prefer_floor");
  if (nearest == "round_prefer_floor") {
    s.nearest = NearestMode::kRoundPreferFloor;
  } else if (nearest == "round_prefer_ceil") {
    s.nearest = NearestMode::kRoundPreferCeil;
  } else if (nearest == "floor") {
    s.nearest = NearestMode::kFloor;
  } else if (nearest == "ceil") {
    s.nearest = NearestMode::kCeil;
  } else {
    return invalid_argument(node.describe() + ": nearest_mode '" + nearest + "' is not supported");
  }
  s.cubic_a = node.attr_float("cubic_coeff_a", -0.75f);
  s.exclude_outside = node.attr_int("exclude_outside", 0) != 0;
  s.extrapolation = node.attr_float("extrapolation_value", 0.0f);
  s.antialias = node.attr_int("antialias", 0) != 0;
  return s;
}

Status resize_tensor(const ir::Node& node, const ResizeSpec& spec, const Tensor& x,
                     const std::vector<double>& scales, const std::vector<double>& roi, Tensor& y) {
  const size_t rank = x.shape().size();
  if (scales.size() != rank || y.shape().size() != rank) {
    return internal_error(node.describe() + ": resize scales or output rank do not match the input rank");
  }
  for (size_t d = 0; d < rank; ++d) {
    if (x.shape()[d] == 0 && y.shape()[d] > 0) {
      return invalid_argument(node.describe() + ": cannot resize an empty dimension " + std::to_string(d) +
                              " to " + std::to_string(y.shape()[d]));
    }
    if (!(scales[d] > 0) || !std::isfinite(scales[d])) {
      return invalid_argument(node.describe() + ": scale " + std::to_string(scales[d]) + " of dim " +
                              std::to_string(d) + " must be positive");
    }
  }
  if (y.numel() == 0) return Status::ok();
  // Separable passes in double, innermost axis first: the order in which the reference nests its
  // 1-D interpolations, so tf_crop_and_resize's extrapolation mixes exactly as it does there.
  Shape cur = x.shape();
  std::vector<double> buf(static_cast<size_t>(x.numel()));
  visit_dtype(x.dtype(), [&]<typename T>() {
    const T* src = x.data<T>();
    for (int64_t i = 0; i < x.numel(); ++i) buf[i] = static_cast<double>(src[i]);
  });
  for (int64_t d = static_cast<int64_t>(rank) - 1; d >= 0; --d) {
    const int64_t in = cur[d], out = y.shape()[d];
    const double roi_start = rank * 2 == roi.size() ? roi[d] : 0.0;
    const double roi_end = rank * 2 == roi.size() ? roi[rank + d] : 1.0;
    const AxisTaps taps = axis_taps(spec, in, out, scales[d], roi_start, roi_end);
    if (is_identity(taps, in, out)) continue;
    int64_t outer = 1, inner = 1;
    for (int64_t i = 0; i < d; ++i) outer *= cur[i];
    for (size_t i = static_cast<size_t>(d) + 1; i < rank; ++i) inner *= cur[i];
    std::vector<double> next(static_cast<size_t>(outer * out * inner), 0.0);
    for (int64_t o = 0; o < outer; ++o) {
      const double* s = buf.data() + o * in * inner;
      for (int64_t j = 0; j < out; ++j) {
        double* dst = next.data() + (o * out + j) * inner;
        if (taps.outside[j]) {
          std::fill(dst, dst + inner, spec.extrapolation);
          continue;
        }
        for (int64_t k = taps.first[j]; k < taps.first[j + 1]; ++k) {
          const double w = taps.weight[k];
          const double* row = s + taps.index[k] * inner;
          for (int64_t i = 0; i < inner; ++i) dst[i] += w * row[i];
        }
      }
    }
    cur[d] = out;
    buf.swap(next);
  }
  visit_dtype(y.dtype(), [&]<typename T>() {
    T* dst = y.data<T>();
    for (int64_t i = 0; i < y.numel(); ++i) dst[i] = from_double<T>(buf[i]);
  });
  return Status::ok();
}

}  // namespace kiln::ops
