// The activations a fused layer's epilogue applies (src/ops/fused_layer.h). On its own, without
// other includes, so the SIMD kernels compiled per ISA (src/cpu/ukernels/) switch on the same
// values instead of keeping a copy of the list.
#pragma once

namespace kiln::ops {

enum class Activation {
  kNone,
  kRelu,
  kClip,
  kLeakyRelu,
  kSigmoid,
  kHardSigmoid,
  kHardSwish,
  kSiLU,
  kTanh,
  kGelu,
  kGeluTanh
};

}  // namespace kiln::ops
