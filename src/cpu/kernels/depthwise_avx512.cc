#include "cpu/kernels/depthwise_impl.h"

namespace kiln::cpu {
const DepthwiseKernel* depthwise_kernel_avx512() {
  static const DepthwiseKernel k{Isa::kAvx512, detail::depthwise<simd::Vec512>};
  return &k;
}
}  // namespace kiln::cpu
