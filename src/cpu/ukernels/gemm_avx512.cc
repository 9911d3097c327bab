// AVX-512 microkernels: 8 rows x 48 columns (24 zmm accumulators, three B vectors and eight A
// broadcasts per k), 6 x 64 (four B vectors, six broadcasts), which wastes less of its last panel
// when the output has 7x7 or 14x14 positions, and 14 x 32 (28 accumulators, two B vectors,
// fourteen broadcasts). On the Intel Xeon core of the first sessions the B vector loads bound a
// tile with its data in L1 (four per k held 6 x 64 to ~70% of the FMA ceiling, two or three reached
// ~95%); on a Zen 5 core all three reach 93-99% with A and B in cache. The tuner times all three.
#include "cpu/ukernels/gemm_impl.h"

namespace kiln::cpu {

const GemmUkernel* gemm_ukernel_avx512(int variant) {
  using V = simd::Vec512;
  static const GemmUkernel k8x48{
      Isa::kAvx512, 8, 48, detail::tile<V, 8, 3>, detail::apply_epilogue<V>, detail::row_panel<V, 3>};
  static const GemmUkernel k6x64{
      Isa::kAvx512, 6, 64, detail::tile<V, 6, 4>, detail::apply_epilogue<V>, detail::row_panel<V, 4>};
  static const GemmUkernel k14x32{
      Isa::kAvx512, 14, 32, detail::tile<V, 14, 2>, detail::apply_epilogue<V>, detail::row_panel<V, 2>};
  return variant == 0 ? &k8x48 : variant == 1 ? &k6x64 : variant == 2 ? &k14x32 : nullptr;
}

}  // namespace kiln::cpu
