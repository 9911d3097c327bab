// Small pieces shared by the reference kernels of the softmax, reduction, resampling, loss,
// recurrent and signal ops: the type they accumulate in and the sizes their costs are made of.
#pragma once

#include <cstdint>
#include <type_traits>

#include "ops/op.h"

namespace kiln::ops {

/// Floats accumulate in float (f16/bf16/f32) or double (f64), as the ONNX reference does.
template <typename T>
using float_acc_t = std::conditional_t<std::is_same_v<T, double>, double, float>;

/// Elements of a tensor type (0 while a dim or the rank is unknown).
inline double type_numel(const TensorType& t) {
  if (!t.rank_known) return 0;
  double n = 1;
  for (int64_t d : t.shape) {
    if (d < 0) return 0;
    n *= static_cast<double>(d);
  }
  return n;
}

/// Bytes of a tensor type (0 while a dim or the rank is unknown).
inline double type_bytes(const TensorType& t) {
  return t.dtype == DataType::kUndefined ? 0 : type_numel(t) * static_cast<double>(dtype_size(t.dtype));
}

/// Bytes of all inputs and outputs, each once.
inline double io_bytes(std::span<const TensorType> inputs, std::span<const TensorType> outputs) {
  double b = 0;
  for (const TensorType& t : inputs) b += type_bytes(t);
  for (const TensorType& t : outputs) b += type_bytes(t);
  return b;
}

}  // namespace kiln::ops
