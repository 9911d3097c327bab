#include "cpu/ukernels/elementwise_impl.h"

namespace kiln::cpu {
const EwKernels* ew_kernels_avx2() {
  static const EwKernels k{Isa::kAvx2, detail::ew_program<simd::Vec256>, detail::ew_binary<simd::Vec256>};
  return &k;
}
}  // namespace kiln::cpu
