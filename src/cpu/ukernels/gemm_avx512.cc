// AVX-512 microkernels: 8 rows x 48 columns (24 zmm accumulators, three B vectors and eight A
// broadcasts per k) and 6 x 64 (four B vectors, six broadcasts), which wastes less of its last
// panel when the output has 7x7 or 14x14 positions. Fewer broadcasts per FMA is what makes a
// Zen 4 core go fast here: 8 x 32 (two broadcasts per two FMAs) ran at about 40% of the ceiling.
#include "cpu/ukernels/gemm_impl.h"

namespace kiln::cpu {

const GemmUkernel* gemm_ukernel_avx512(int variant) {
  using V = simd::Vec512;
  static const GemmUkernel k8x48{
      Isa::kAvx512, 8, 48, detail::tile<V, 8, 3>, detail::apply_epilogue<V>, detail::row_panel<V, 3>};
  static const GemmUkernel k6x64{
      Isa::kAvx512, 6, 64, detail::tile<V, 6, 4>, detail::apply_epilogue<V>, detail::row_panel<V, 4>};
  return variant == 0 ? &k8x48 : variant == 1 ? &k6x64 : nullptr;
}

}  // namespace kiln::cpu
