// The resampling core shared by Resize and Upsample: how an output coordinate maps back to the
// input, which input elements it reads and with what weights, and a separable kernel that applies
// that one axis at a time. It reproduces ONNX's reference (onnx/backend/test/case/node/resize.py),
// including its edge handling: taps are the n input indices nearest the source coordinate inside
// the edge-padded input, and exclude_outside renormalises the weights of taps that fall inside.
#pragma once

#include <string>
#include <vector>

#include "ops/op.h"

namespace kiln::ops {

enum class ResizeMode { kNearest, kLinear, kCubic };
enum class CoordMode {
  kHalfPixel,
  kHalfPixelSymmetric,
  kPytorchHalfPixel,
  kAlignCorners,
  kAsymmetric,
  kTfHalfPixelForNn,
  kTfCropAndResize,
};
// kSimple is Upsample's and opset-10 Resize's rule: floor when upsampling, ceil when downsampling.
enum class NearestMode { kRoundPreferFloor, kRoundPreferCeil, kFloor, kCeil, kSimple };

struct ResizeSpec {
  ResizeMode mode = ResizeMode::kNearest;
  CoordMode coord = CoordMode::kHalfPixel;
  NearestMode nearest = NearestMode::kRoundPreferFloor;
  double cubic_a = -0.75;
  bool exclude_outside = false;
  double extrapolation = 0;  // tf_crop_and_resize: the value of samples outside the input
  bool antialias = false;    // linear and cubic widen their kernel by 1/scale when downsampling
};

/// Reads mode ("nearest", "linear"/"bilinear", "cubic"/"bicubic") and, when `full` (Resize 11+),
/// coordinate_transformation_mode, nearest_mode, cubic_coeff_a, exclude_outside,
/// extrapolation_value and antialias. Without `full`, the coordinates are asymmetric and nearest is
/// kSimple (Upsample, Resize-10).
Expected<ResizeSpec> read_resize_spec(const ir::Node& node, bool full);

/// Resizes `x` to `out_shape` into `y` (allocated by the caller with x's dtype). `scales[d]` is the
/// scale dim d's coordinate transform divides by; `roi` (starts then ends, 2 * rank values) is read
/// by tf_crop_and_resize only.
Status resize_tensor(const ir::Node& node, const ResizeSpec& spec, const Tensor& x,
                     const std::vector<double>& scales, const std::vector<double>& roi, Tensor& y);

}  // namespace kiln::ops
