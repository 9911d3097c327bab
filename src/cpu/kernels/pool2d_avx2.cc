#include "cpu/kernels/pool2d_impl.h"

namespace kiln::cpu {
const Pool2dKernel* pool2d_kernel_avx2() {
  static const Pool2dKernel k{Isa::kAvx2, detail::pool2d<simd::Vec256>};
  return &k;
}
}  // namespace kiln::cpu
