#include "cpu/kernels/blocked_conv_impl.h"

namespace kiln::cpu {
const BlockedConvKernel* blocked_conv_kernel_avx512() {
  return detail::blocked_conv_kernel<simd::Vec512>(Isa::kAvx512);
}
}  // namespace kiln::cpu
