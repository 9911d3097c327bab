// AVX-512 microkernel: 8 rows x 32 columns (16 zmm accumulators, two B vectors per k, A broadcast).
#include "cpu/ukernels/gemm_impl.h"

namespace kiln::cpu {

const GemmUkernel* gemm_ukernel_avx512() {
  using V = simd::Vec512;
  static const GemmUkernel k{Isa::kAvx512, 8, 32, detail::tile<V, 8, 2>, detail::apply_epilogue<V>};
  return &k;
}

}  // namespace kiln::cpu
