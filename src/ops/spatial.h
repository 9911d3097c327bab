// Sliding-window geometry shared by Conv, ConvTranspose and the pools: reading kernel_shape,
// strides, dilations, pads and auto_pad, and computing output sizes.
#pragma once

#include <string>
#include <vector>

#include "ops/op.h"

namespace kiln::ops {

/// The window of an op over `rank()` spatial dims. `pads` holds the begin pads then the end pads.
struct Window {
  std::vector<int64_t> kernel;
  std::vector<int64_t> strides;
  std::vector<int64_t> dilations;
  std::vector<int64_t> pads;
  std::string auto_pad = "NOTSET";

  size_t rank() const { return kernel.size(); }
  /// Span of the dilated kernel along dim i.
  int64_t extent(size_t i) const { return (kernel[i] - 1) * dilations[i] + 1; }
};

/// Reads and validates the window attributes for `nspatial` dims. The kernel comes from
/// kernel_shape, or from `kernel_from_weights` (the weight's spatial dims) when the attribute is
/// absent and that is non-empty.
Expected<Window> read_window(const ir::Node& node, size_t nspatial,
                             const std::vector<int64_t>& kernel_from_weights);

/// Output spatial dims of a forward window (Conv and the pools) over `in` (dims may be -1: the
/// output dim is then -1). Resolves auto_pad into `w.pads` where the input dim is known.
/// ceil_mode rounds up, dropping a last window that would start inside the end padding.
Expected<Shape> forward_output_dims(const ir::Node& node, const Shape& in, bool ceil_mode, Window& w);

/// Floor division that rounds toward minus infinity (pads derived from output sizes may be negative).
inline int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

/// Bytes of a tensor type (0 when its shape is not fully known).
double tensor_bytes(const TensorType& t);
/// Product of a shape's dims (0 when a dim is unknown).
double known_numel(const TensorType& t);

}  // namespace kiln::ops
