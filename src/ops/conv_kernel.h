// The reference convolution behind Conv, ConvInteger, QLinearConv and ConvTranspose: im2col (or
// col2im) per image and group, and the blocked GEMM. Every window is normalised to three spatial
// dims, so 1-D, 2-D and 3-D share one obviously correct loop nest.
#pragma once

#include <cstdint>

#include "ops/spatial.h"

namespace kiln::ops {

/// A window over three spatial dims (D, H, W); 1-D and 2-D windows get leading dims of size 1.
/// `image` is the dense side (Conv and pool input, ConvTranspose output); `cols` are the window positions
/// (Conv and pool output, ConvTranspose input). Position p along dim i reads image index
/// p * stride + k * dilation - pad for kernel index k.
struct Geometry3d {
  int64_t image[3] = {1, 1, 1};
  int64_t cols[3] = {1, 1, 1};
  int64_t kernel[3] = {1, 1, 1};
  int64_t stride[3] = {1, 1, 1};
  int64_t dilation[3] = {1, 1, 1};
  int64_t pad[3] = {0, 0, 0};  // begin pads; negative for a ConvTranspose output larger than its full result
  int64_t pad_end[3] = {0, 0, 0};

  int64_t image_size() const { return image[0] * image[1] * image[2]; }
  int64_t col_size() const { return cols[0] * cols[1] * cols[2]; }
  int64_t kernel_size() const { return kernel[0] * kernel[1] * kernel[2]; }
};

/// Builds the geometry from a window and the spatial dims of both sides; fails for more than three
/// spatial dims.
Expected<Geometry3d> make_geometry_3d(const ir::Node& node, const Window& w, const Shape& image,
                                      const Shape& cols);

/// Shapes of one convolution: x is [batch, in_channels, ...], y is [batch, out_channels, ...].
struct ConvShape {
  int64_t batch = 1;
  int64_t in_channels = 1;
  int64_t out_channels = 1;
  int64_t group = 1;
};

/// The output type's shape of a Conv-like node (Conv, ConvInteger, QLinearConv) from X's and W's
/// types: [N, M, spatial...] with -1 where unknown. Sets `rank_known` false when neither rank is.
Expected<TensorType> conv_output_type(const ir::Node& node, const TensorType& x, const TensorType& w,
                                      DataType out_dtype);

/// What a Conv-like kernel needs for concrete X and W shapes.
struct ConvSetup {
  ConvShape s;
  Geometry3d g;
  Shape out_shape;
};
Expected<ConvSetup> conv_setup(const ir::Node& node, const Shape& x, const Shape& w);

/// Conv-like cost: 2 MACs per output element per weight of its group (prod(W.shape[1:])), plus
/// one add per output element when input `bias_input` is present; bytes of all tensors once.
Cost conv_cost(std::span<const TensorType> in, std::span<const TensorType> out, size_t w_input,
               size_t bias_input);

/// The int32 accumulator of ConvInteger and QLinearConv: conv(x - x_zero_point, w - w_zero_point)
/// for 8-bit x and w, with w_zero_point holding 1 or out_channels values.
Expected<Tensor> conv_integer(const ir::Node& node, const ConvSetup& c, const Tensor& x, int32_t x_zero_point,
                              const Tensor& w, const std::vector<int32_t>& w_zero_point);

/// y += conv(x, w) with w of shape [out_channels, in_channels / group, kernel...]; y must be
/// zero-filled or hold the bias. T is float, double or int32_t (accumulators of its own type).
template <typename T>
void conv_forward(const Geometry3d& g, const ConvShape& s, const T* x, const T* w, T* y);

/// y += conv_transpose(x, w) with w of shape [in_channels, out_channels / group, kernel...]; here x
/// holds the window positions (g.cols) and y the image (g.image).
template <typename T>
void conv_transpose_forward(const Geometry3d& g, const ConvShape& s, const T* x, const T* w, T* y);

}  // namespace kiln::ops
