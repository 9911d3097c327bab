#include "cpu/kernels/winograd_impl.h"

namespace kiln::cpu {
const WinogradKernel* winograd_kernel_avx512(int m) {
  static const WinogradKernel k2{Isa::kAvx512, 2, detail::winograd<2>};
  static const WinogradKernel k4{Isa::kAvx512, 4, detail::winograd<4>};
  return m == 2 ? &k2 : m == 4 ? &k4 : nullptr;
}
}  // namespace kiln::cpu
