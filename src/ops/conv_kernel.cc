#include "ops/conv_kernel.h"

#include <algorithm>
#include <vector>

#include "ops/blocked_gemm.h"

namespace kiln::ops {
namespace {

// Positions p in [0, n) whose image index p * s + off lies in [0, size): the range [lo, hi).
void valid_range(int64_t n, int64_t s, int64_t off, int64_t size, int64_t& lo, int64_t& hi) {
  lo = std::clamp<int64_t>(floor_div(-off + s - 1, s), 0, n);
  hi = std::clamp<int64_t>(floor_div(size - 1 - off, s) + 1, lo, n);
}

// col[(c, kd, kh, kw), (od, oh, ow)] = image[c, od*s + kd*d - p, ...], zero outside the image.
template <typename T>
void im2col(const Geometry3d& g, int64_t channels, const T* image, T* col) {
  const int64_t ih = g.image[1], iw = g.image[2], image_size = g.image_size();
  for (int64_t c = 0; c < channels; ++c) {
    const T* img = image + c * image_size;
    for (int64_t kd = 0; kd < g.kernel[0]; ++kd) {
      for (int64_t kh = 0; kh < g.kernel[1]; ++kh) {
        for (int64_t kw = 0; kw < g.kernel[2]; ++kw) {
          const int64_t off_w = kw * g.dilation[2] - g.pad[2];
          int64_t lo, hi;
          valid_range(g.cols[2], g.stride[2], off_w, iw, lo, hi);
          for (int64_t od = 0; od < g.cols[0]; ++od) {
            const int64_t id = od * g.stride[0] + kd * g.dilation[0] - g.pad[0];
            for (int64_t oh = 0; oh < g.cols[1]; ++oh, col += g.cols[2]) {
              const int64_t y = oh * g.stride[1] + kh * g.dilation[1] - g.pad[1];
              if (id < 0 || id >= g.image[0] || y < 0 || y >= ih) {
                std::fill(col, col + g.cols[2], T(0));
                continue;
              }
              const T* row = img + (id * ih + y) * iw;
              std::fill(col, col + lo, T(0));
              for (int64_t ow = lo; ow < hi; ++ow) col[ow] = row[ow * g.stride[2] + off_w];
              std::fill(col + hi, col + g.cols[2], T(0));
            }
          }
        }
      }
    }
  }
}

// The adjoint of im2col: image[c, od*s + kd*d - p, ...] += col[(c, kd, kh, kw), (od, oh, ow)].
template <typename T>
void col2im_add(const Geometry3d& g, int64_t channels, const T* col, T* image) {
  const int64_t ih = g.image[1], iw = g.image[2], image_size = g.image_size();
  for (int64_t c = 0; c < channels; ++c) {
    T* img = image + c * image_size;
    for (int64_t kd = 0; kd < g.kernel[0]; ++kd) {
      for (int64_t kh = 0; kh < g.kernel[1]; ++kh) {
        for (int64_t kw = 0; kw < g.kernel[2]; ++kw) {
          const int64_t off_w = kw * g.dilation[2] - g.pad[2];
          int64_t lo, hi;
          valid_range(g.cols[2], g.stride[2], off_w, iw, lo, hi);
          for (int64_t od = 0; od < g.cols[0]; ++od) {
            const int64_t id = od * g.stride[0] + kd * g.dilation[0] - g.pad[0];
            for (int64_t oh = 0; oh < g.cols[1]; ++oh, col += g.cols[2]) {
              const int64_t y = oh * g.stride[1] + kh * g.dilation[1] - g.pad[1];
              if (id < 0 || id >= g.image[0] || y < 0 || y >= ih) continue;
              T* row = img + (id * ih + y) * iw;
              for (int64_t ow = lo; ow < hi; ++ow) row[ow * g.stride[2] + off_w] += col[ow];
            }
          }
        }
      }
    }
  }
}

// A 1x1 window with unit strides and no padding reads the image as is: no im2col needed.
bool is_pointwise(const Geometry3d& g) {
  for (int i = 0; i < 3; ++i) {
    if (g.kernel[i] != 1 || g.stride[i] != 1 || g.pad[i] != 0 || g.image[i] != g.cols[i]) return false;
  }
  return true;
}

}  // namespace

Expected<Geometry3d> make_geometry_3d(const ir::Node& node, const Window& w, const Shape& image,
                                      const Shape& cols) {
  const size_t n = w.rank();
  if (n > 3 || image.size() != n || cols.size() != n) {
    return unsupported(node.describe() + ": " + std::to_string(n) +
                       " spatial dims; the reference kernel handles 1 to 3");
  }
  Geometry3d g;
  const size_t off = 3 - n;
  for (size_t i = 0; i < n; ++i) {
    g.image[off + i] = image[i];
    g.cols[off + i] = cols[i];
    g.kernel[off + i] = w.kernel[i];
    g.stride[off + i] = w.strides[i];
    g.dilation[off + i] = w.dilations[i];
    g.pad[off + i] = w.pads[i];
    g.pad_end[off + i] = w.pads[i + n];
  }
  return g;
}

Expected<TensorType> conv_output_type(const ir::Node& node, const TensorType& x, const TensorType& w,
                                      DataType out_dtype) {
  if (!x.rank_known && !w.rank_known) return TensorType{out_dtype, {}, false};
  const size_t rank = x.rank_known ? x.shape.size() : w.shape.size();
  if (rank < 3) {
    return invalid_argument(node.describe() + ": X must have rank 3 or more ([N, C, spatial...]), got rank " +
                            std::to_string(rank));
  }
  if (x.rank_known && w.rank_known && w.shape.size() != rank) {
    return invalid_argument(node.describe() + ": W has rank " + std::to_string(w.shape.size()) +
                            " but X has rank " + std::to_string(rank));
  }
  const size_t nspatial = rank - 2;
  Shape out(rank, -1);
  if (x.rank_known) out[0] = x.shape[0];
  if (w.rank_known) out[1] = w.shape[0];
  std::vector<int64_t> kernel;
  if (w.shape_known()) kernel.assign(w.shape.begin() + 2, w.shape.end());
  if (!node.has_attr("kernel_shape") && kernel.empty()) return TensorType{out_dtype, out, true};
  KILN_ASSIGN_OR_RETURN(Window win, read_window(node, nspatial, kernel));
  const int64_t group = node.attr_int("group", 1);
  if (group < 1) return invalid_argument(node.describe() + ": group must be at least 1");
  if (x.rank_known && w.rank_known && x.shape[1] >= 0 && w.shape[1] >= 0 &&
      x.shape[1] != w.shape[1] * group) {
    return invalid_argument(node.describe() + ": X has " + std::to_string(x.shape[1]) +
                            " channels but W expects " + std::to_string(w.shape[1]) + " x group " +
                            std::to_string(group));
  }
  Shape in_spatial(nspatial, -1);
  if (x.rank_known) in_spatial.assign(x.shape.begin() + 2, x.shape.end());
  KILN_ASSIGN_OR_RETURN(Shape out_spatial, forward_output_dims(node, in_spatial, false, win));
  std::copy(out_spatial.begin(), out_spatial.end(), out.begin() + 2);
  return TensorType{out_dtype, out, true};
}

Expected<ConvSetup> conv_setup(const ir::Node& node, const Shape& x, const Shape& w) {
  if (x.size() < 3 || w.size() != x.size()) {
    return invalid_argument(node.describe() + ": X (" + shape_str(x) + ") and W (" + shape_str(w) +
                            ") must have the same rank, at least 3");
  }
  const int64_t group = node.attr_int("group", 1);
  ConvSetup c;
  c.s = ConvShape{x[0], x[1], w[0], group};
  if (group < 1 || c.s.out_channels % group != 0 || w[1] * group != c.s.in_channels) {
    return invalid_argument(node.describe() + ": X has " + std::to_string(c.s.in_channels) +
                            " channels and W is " + shape_str(w) + ": they do not agree with group " +
                            std::to_string(group));
  }
  const Shape in_spatial(x.begin() + 2, x.end()), kernel(w.begin() + 2, w.end());
  KILN_ASSIGN_OR_RETURN(Window win, read_window(node, in_spatial.size(), kernel));
  if (win.kernel != kernel)
    return invalid_argument(node.describe() + ": kernel_shape does not match W's spatial dims");
  KILN_ASSIGN_OR_RETURN(Shape out_spatial, forward_output_dims(node, in_spatial, false, win));
  KILN_ASSIGN_OR_RETURN(c.g, make_geometry_3d(node, win, in_spatial, out_spatial));
  c.out_shape = {c.s.batch, c.s.out_channels};
  c.out_shape.insert(c.out_shape.end(), out_spatial.begin(), out_spatial.end());
  return c;
}

Cost conv_cost(std::span<const TensorType> in, std::span<const TensorType> out, size_t w_input,
               size_t bias_input) {
  Cost c;
  for (const auto& t : in) c.bytes += tensor_bytes(t);
  for (const auto& t : out) c.bytes += tensor_bytes(t);
  if (in.size() <= w_input || out.empty() || !in[w_input].shape_known()) return c;
  const Shape& w = in[w_input].shape;
  double macs_per_output = 1;  // (C / group) * prod(kernel)
  for (size_t i = 1; i < w.size(); ++i) macs_per_output *= static_cast<double>(w[i]);
  const double outputs = known_numel(out[0]);
  const bool has_bias = in.size() > bias_input && in[bias_input].dtype != DataType::kUndefined;
  c.flops = 2 * outputs * macs_per_output + (has_bias ? outputs : 0);
  return c;
}

Expected<Tensor> conv_integer(const ir::Node& node, const ConvSetup& c, const Tensor& x, int32_t x_zero_point,
                              const Tensor& w, const std::vector<int32_t>& w_zero_point) {
  const int64_t m = c.s.out_channels;
  if (w_zero_point.size() != 1 && static_cast<int64_t>(w_zero_point.size()) != m) {
    return invalid_argument(node.describe() + ": the weight zero point has " +
                            std::to_string(w_zero_point.size()) + " values, expected 1 or " +
                            std::to_string(m) + " (one per output channel)");
  }
  Tensor xi = x.cast(DataType::kInt32), wi = w.cast(DataType::kInt32);  // fresh copies
  for (int64_t i = 0; i < x.numel(); ++i) xi.data<int32_t>()[i] -= x_zero_point;
  const int64_t per_channel = m == 0 ? 0 : w.numel() / m;
  for (int64_t i = 0; i < w.numel(); ++i) {
    const int32_t zp =
        w_zero_point.size() == 1 ? w_zero_point[0] : w_zero_point[static_cast<size_t>(i / per_channel)];
    wi.data<int32_t>()[i] -= zp;
  }
  Tensor y(DataType::kInt32, c.out_shape);
  conv_forward<int32_t>(c.g, c.s, xi.data<int32_t>(), wi.data<int32_t>(), y.data<int32_t>());
  return y;
}

template <typename T>
void conv_forward(const Geometry3d& g, const ConvShape& s, const T* x, const T* w, T* y) {
  const int64_t cin_g = s.in_channels / s.group, cout_g = s.out_channels / s.group;
  const int64_t k = cin_g * g.kernel_size(), n = g.col_size(), image_size = g.image_size();
  const bool pointwise = is_pointwise(g);
  std::vector<T> col(pointwise ? 0 : static_cast<size_t>(k * n));
  for (int64_t b = 0; b < s.batch; ++b) {
    for (int64_t grp = 0; grp < s.group; ++grp) {
      const T* image = x + (b * s.in_channels + grp * cin_g) * image_size;
      if (!pointwise) im2col(g, cin_g, image, col.data());
      const MatrixView<T> wv{w + grp * cout_g * k, k, false};
      const MatrixView<T> cv{pointwise ? image : col.data(), n, false};
      gemm_accumulate(cout_g, n, k, wv, cv, y + (b * s.out_channels + grp * cout_g) * n, n);
    }
  }
}

template <typename T>
void conv_transpose_forward(const Geometry3d& g, const ConvShape& s, const T* x, const T* w, T* y) {
  const int64_t cin_g = s.in_channels / s.group, cout_g = s.out_channels / s.group;
  const int64_t m = cout_g * g.kernel_size(), n = g.col_size(), image_size = g.image_size();
  std::vector<T> col(static_cast<size_t>(m * n));
  for (int64_t b = 0; b < s.batch; ++b) {
    for (int64_t grp = 0; grp < s.group; ++grp) {
      std::fill(col.begin(), col.end(), T(0));
      // col[m x n] = W_g^T * x_g, where W_g is [cin_g, m] and x_g is [cin_g, n].
      const MatrixView<T> wv{w + grp * cin_g * m, m, true};
      const MatrixView<T> xv{x + (b * s.in_channels + grp * cin_g) * n, n, false};
      gemm_accumulate(m, n, cin_g, wv, xv, col.data(), n);
      col2im_add(g, cout_g, col.data(), y + (b * s.out_channels + grp * cout_g) * image_size);
    }
  }
}

#define KILN_INSTANTIATE_CONV(T)                                                              \
  template void conv_forward<T>(const Geometry3d&, const ConvShape&, const T*, const T*, T*); \
  template void conv_transpose_forward<T>(const Geometry3d&, const ConvShape&, const T*, const T*, T*);
KILN_INSTANTIATE_CONV(float)
KILN_INSTANTIATE_CONV(double)
KILN_INSTANTIATE_CONV(int32_t)
#undef KILN_INSTANTIATE_CONV

}  // namespace kiln::ops
