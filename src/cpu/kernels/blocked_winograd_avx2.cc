#include "cpu/kernels/blocked_winograd_impl.h"

namespace kiln::cpu {
const BlockedWinogradKernel* blocked_winograd_kernel_avx2() {
  return detail::blocked_winograd_kernel<simd::Vec256>(Isa::kAvx2);
}
}  // namespace kiln::cpu
