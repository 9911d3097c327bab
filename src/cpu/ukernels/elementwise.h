// Elementwise programs: a short list of float ops, each on the running value and up to two scalar
// constants, run over a tensor in vector registers in one pass (one read, one write). They serve
// kiln.ElementwiseChain, the unary activations, and binary ops with a scalar or per-channel
// operand; EwOp::kAddT.. combine two tensors of the same shape.
#pragma once

#include <cstdint>

#include "cpu/isa.h"

namespace kiln::cpu {

enum class EwOp : int32_t {
  kAddC,
  kSubC,
  kRSubC,
  kMulC,
  kDivC,
  kRDivC,
  kMaxC,
  kMinC,  // x op a (kRSubC: a - x, kRDivC: a / x)
  kRelu,
  kClip,
  kLeakyRelu,
  kSigmoid,
  kHardSigmoid,
  kHardSwish,
  kTanh,
  kExp,
  kNeg,
  kAbs,
  kSqrt,
  kErf,
  kCount
};

struct EwInstr {
  EwOp op;
  float a = 0, b = 0;
};

/// Binary tensor-tensor ops: y = x op z, elementwise.
enum class EwBinary : int32_t { kAdd, kSub, kMul, kDiv };

struct EwKernels {
  Isa isa;
  /// y[i] = program(x[i]) for i < count (y may be x).
  void (*program)(const EwInstr* prog, int n, const float* x, float* y, int64_t count);
  /// y[i] = x[i] op z[i] (y may be x or z).
  void (*binary)(EwBinary op, const float* x, const float* z, float* y, int64_t count);
};

const EwKernels* ew_kernels(Isa isa);
const EwKernels* ew_kernels_avx512();
const EwKernels* ew_kernels_avx2();

}  // namespace kiln::cpu
