#include "cpu/ukernels/rows_impl.h"

namespace kiln::cpu {
const RowKernels* row_kernels_avx512() {
  static const RowKernels k{Isa::kAvx512, detail::softmax_rows<simd::Vec512>, detail::mean_rows<simd::Vec512>,
                            detail::layer_norm_rows<simd::Vec512>};
  return &k;
}
}  // namespace kiln::cpu
