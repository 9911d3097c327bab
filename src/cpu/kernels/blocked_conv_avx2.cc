#include "cpu/kernels/blocked_conv_impl.h"

namespace kiln::cpu {
const BlockedConvKernel* blocked_conv_kernel_avx2() {
  return detail::blocked_conv_kernel<simd::Vec256>(Isa::kAvx2);
}
}  // namespace kiln::cpu
