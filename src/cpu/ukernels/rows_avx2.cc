#include "cpu/ukernels/rows_impl.h"

namespace kiln::cpu {
const RowKernels* row_kernels_avx2() {
  static const RowKernels k{Isa::kAvx2, detail::softmax_rows<simd::Vec256>, detail::mean_rows<simd::Vec256>,
                            detail::layer_norm_rows<simd::Vec256>};
  return &k;
}
}  // namespace kiln::cpu
