#include "cpu/kernels/blocked_winograd_impl.h"

namespace kiln::cpu {
const BlockedWinogradKernel* blocked_winograd_kernel_avx512() {
  return detail::blocked_winograd_kernel<simd::Vec512>(Isa::kAvx512);
}
}  // namespace kiln::cpu
