// AVX-512 microkernels: 8 rows x 48 columns (24 zmm accumulators, three B vectors and eight A
// broadcasts per k), 6 x 64 (four B vectors, six broadcasts), which wastes less of its last panel
// when the output has 7x7 or 14x14 positions, and 14 x 32 (28 accumulators, two B vectors,
// fourteen broadcasts). On this machine's core (an Intel Xeon, data in L1) the B vector loads are
// what bound a tile: four per k (6 x 64) held it to ~70% of the FMA ceiling, six (4 x 96) to
// ~55%, while three or two reach ~95% in quiet moments. The tuner times all three.
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
