#include "cpu/kernels/maxpool_impl.h"

namespace kiln::cpu {
const MaxPoolKernel* maxpool_kernel_avx2() {
  static const MaxPoolKernel k{Isa::kAvx2, detail::maxpool<simd::Vec256>};
  return &k;
}
}  // namespace kiln::cpu
