#include "cpu/kernels/depthwise_impl.h"

namespace kiln::cpu {
const DepthwiseKernel* depthwise_kernel_avx2() {
  static const DepthwiseKernel k{Isa::kAvx2, detail::depthwise<simd::Vec256>};
  return &k;
}
}  // namespace kiln::cpu
