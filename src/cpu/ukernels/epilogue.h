// What a GEMM-based tactic applies to its output tile before the one store: bias (per row for a
// convolution's output channels, per column for a Gemm), an activation (and a scalar affine after
// it) and a residual added before or after them. The fused layers of src/ops/fused_layer.h map onto it one to
// one.
#pragma once

#include <cstdint>

namespace kiln::cpu {

struct Epilogue {
  const float* bias_row = nullptr;  // bias_row[m]
  const float* bias_col = nullptr;  // bias_col[n]
  const float* residual = nullptr;  // residual[m * ldr + n], same layout as the output
  int64_t ldr = 0;
  bool residual_before = true;  // act(y + R) when true, act(y) + R when false
  int activation = 0;           // ops::Activation
  float alpha = 0, beta = 0;    // activation parameters (Clip min/max, LeakyRelu, HardSigmoid)
  bool affine = false;          // act(...) * scale + shift, before a residual added after
  float scale = 1, shift = 0;
};

}  // namespace kiln::cpu
