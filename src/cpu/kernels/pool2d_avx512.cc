#include "cpu/kernels/pool2d_impl.h"

namespace kiln::cpu {
const Pool2dKernel* pool2d_kernel_avx512() {
  static const Pool2dKernel k{Isa::kAvx512, detail::pool2d<simd::Vec512>};
  return &k;
}
}  // namespace kiln::cpu
