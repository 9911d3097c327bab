// kiln's fused layers (domain "kiln"): FusedConv, FusedConvTranspose, FusedGemm and FusedMatMul
// are the ONNX op of the same base name followed by an epilogue, computed as one node:
//
//   y = base(inputs 0..2)             the base op's reference (FusedMatMul: MatMul(A, B) + bias,
//                                     its input 2 broadcast along the last axis)
//   residual_position "before":  y = aff(act(y + R))
//   residual_position "after":   y = aff(act(y)) + R
//   otherwise:                   y = aff(act(y))
//
// aff(v) = v * scale + shift with output_affine {scale, shift} (absent: v): a scalar Mul / Add
// after the activation (PP-OCRv4's learnable affine blocks).
// R is input 3 (kResidualInput), broadcast to y's shape. Attributes beyond the base op's:
//   activation         string, one of activation_name()'s names ("" or absent: none)
//   activation_params  floats: Clip {min, max}, LeakyRelu {alpha}, HardSigmoid {alpha, beta}
//   residual_position  string: "before", "after" or absent
//   output_affine      floats {scale, shift}, or absent
//   kiln_fused         strings: the ONNX ops folded in (for `kiln inspect`)
#pragma once

#include <cmath>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ops/activation.h"
#include "ops/op.h"

namespace kiln::ops {

inline constexpr const char* kFusedPrefix = "Fused";
inline constexpr size_t kResidualInput = 3;

/// "Relu", "Clip", ... ("" for kNone); parse_activation is its inverse.
const char* activation_name(Activation a);
std::optional<Activation> parse_activation(std::string_view name);
/// How many activation_params an activation takes.
size_t activation_param_count(Activation a);

/// The activation applied to one element, computing in C (float or double).
template <typename C>
C activate(Activation a, const std::vector<float>& p, C x) {
  switch (a) {
    case Activation::kNone:
      return x;
    case Activation::kRelu:
      return x > 0 ? x : C(0);
    case Activation::kClip:
      x = x < C(p[0]) ? C(p[0]) : x;  // NaN stays NaN, as in Clip
      return x > C(p[1]) ? C(p[1]) : x;
    case Activation::kLeakyRelu:
      return x < 0 ? C(p[0]) * x : x;
    case Activation::kSigmoid:
      return x >= 0 ? C(1) / (C(1) + std::exp(-x)) : std::exp(x) / (C(1) + std::exp(x));
    case Activation::kHardSigmoid:
      return std::max(C(0), std::min(C(1), C(p[0]) * x + C(p[1])));
    case Activation::kHardSwish:
      return x * std::max(C(0), std::min(C(1), x / C(6) + C(0.5)));
    case Activation::kSiLU:
      return x * activate(Activation::kSigmoid, p, x);
    case Activation::kTanh:
      return std::tanh(x);
    case Activation::kGelu:
      return C(0.5) * x * (C(1) + std::erf(x * static_cast<C>(0.7071067811865476)));
    case Activation::kGeluTanh:
      return C(0.5) * x *
             (C(1) + std::tanh(static_cast<C>(0.7978845608028654) * (x + C(0.044715) * x * x * x)));
  }
  return x;
}

}  // namespace kiln::ops
