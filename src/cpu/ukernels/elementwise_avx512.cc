#include "cpu/ukernels/elementwise_impl.h"

namespace kiln::cpu {
const EwKernels* ew_kernels_avx512() {
  static const EwKernels k{Isa::kAvx512, detail::ew_program<simd::Vec512>, detail::ew_binary<simd::Vec512>};
  return &k;
}
}  // namespace kiln::cpu
