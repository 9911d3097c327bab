// AVX2 + FMA microkernel: 6 rows x 16 columns (12 ymm accumulators, two B vectors per k).
#include "cpu/ukernels/gemm_impl.h"

namespace kiln::cpu {

const GemmUkernel* gemm_ukernel_avx2(int variant) {
  using V = simd::Vec256;
  static const GemmUkernel k{
      Isa::kAvx2, 6, 16, detail::tile<V, 6, 2>, detail::apply_epilogue<V>, detail::row_panel<V, 2>};
  return variant == 0 ? &k : nullptr;
}

}  // namespace kiln::cpu
