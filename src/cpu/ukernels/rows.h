// Row kernels: softmax over contiguous rows, the mean of each plane (global average pooling) and
// layer normalization of contiguous rows, one instance per ISA.
#pragma once

#include <cstdint>

#include "cpu/isa.h"

namespace kiln::cpu {

struct RowKernels {
  Isa isa;
  /// y[r][i] = softmax(x[r][:])[i] for `rows` contiguous rows of n floats.
  void (*softmax)(const float* x, float* y, int64_t rows, int64_t n);
  /// y[r] = mean(x[r][0..n)) for `rows` contiguous rows.
  void (*mean)(const float* x, float* y, int64_t rows, int64_t n);
  /// y[r][i] = (x[r][i] - mean) / sqrt(var + eps) * scale[i] (+ bias[i]) over each row's n floats
  /// (mean, then the variance of the deviations: two passes, as the reference); bias may be null.
  void (*layer_norm)(const float* x, float* y, int64_t rows, int64_t n, const float* scale, const float* bias,
                     float eps);
};
const RowKernels* row_kernels(Isa isa);
const RowKernels* row_kernels_avx512();
const RowKernels* row_kernels_avx2();

}  // namespace kiln::cpu
