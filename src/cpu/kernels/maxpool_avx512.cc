#include "cpu/kernels/maxpool_impl.h"

namespace kiln::cpu {
const MaxPoolKernel* maxpool_kernel_avx512() {
  static const MaxPoolKernel k{Isa::kAvx512, detail::maxpool<simd::Vec512>};
  return &k;
}
}  // namespace kiln::cpu
