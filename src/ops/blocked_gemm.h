// The matrix product behind the reference Conv, ConvTranspose, Gemm and MatMul: plain loops, cache
// blocked and register tiled so that a ResNet-50 runs in seconds on one core, yet short enough to
// check by eye. Each type accumulates in its own precision (f32 in float, f64 in double).
#pragma once

#include <cstdint>

#include "kiln/tensor.h"

namespace kiln::ops {

/// A row-major matrix operand: element (r, c) is at data[r * ld + c], or at data[c * ld + r] when
/// `transposed` (the operand is stored as its transpose).
template <typename T>
struct MatrixView {
  const T* data = nullptr;
  int64_t ld = 0;
  bool transposed = false;
  T at(int64_t r, int64_t c) const { return transposed ? data[c * ld + r] : data[r * ld + c]; }
};

/// C[M x N] (row-major, leading dimension ldc) += A[M x K] * B[K x N].
/// Instantiated for float, double, int32_t, int64_t, uint32_t and uint64_t.
template <typename T>
void gemm_accumulate(int64_t m, int64_t n, int64_t k, MatrixView<T> a, MatrixView<T> b, T* c, int64_t ldc);

/// The type a GEMM-based reference computes in: float for f16 and bf16 (which convert through
/// float, as ONNX's reference does), the type itself otherwise.
inline DataType gemm_compute_dtype(DataType t) {
  return t == DataType::kFloat16 || t == DataType::kBFloat16 ? DataType::kFloat32 : t;
}

/// `t` converted to `to`, sharing its bytes when it already has that type.
inline Tensor as_dtype(const Tensor& t, DataType to) { return t.dtype() == to ? t : t.cast(to); }

}  // namespace kiln::ops
