// Winograd F(4x4, 3x3) on the blocked layout: 3x3 stride-1 convolutions with 4x fewer multiplies.
// Per band of tile rows (sized so its transformed input and products stay in L2):
//   1. V = B^T d B for every 6x6 input tile, b channels per vector, stored as 36 blocked
//      "images" of one row of tiles ([36][C_in/b][tiles][b]);
//   2. 36 products M_xi = V_xi x U_xi, each a 1x1 convolution over that row by the direct kernel
//      (U = G g G^T packed at build time as 36 sets of 1x1 weights);
//   3. Y = A^T M A per tile, plus bias, residual and activation, stored into the blocked output.
// One instance per ISA (blocked_winograd_avx512.cc, blocked_winograd_avx2.cc).
#pragma once

#include "cpu/kernels/blocked_conv.h"

namespace kiln::cpu {

struct BlockedWinogradKernel {
  Isa isa;
  /// packed: blocked_winograd_pack's; ep.residual is blocked like y.
  void (*run)(ThreadPool& pool, const Conv2dShape& s, const float* x, const float* packed, float* y,
              const Epilogue& ep, float* scratch);
};
const BlockedWinogradKernel* blocked_winograd_kernel(Isa isa);
const BlockedWinogradKernel* blocked_winograd_kernel_avx512();
const BlockedWinogradKernel* blocked_winograd_kernel_avx2();

/// 3x3, stride 1, dilation 1, group 1.
bool blocked_winograd_supports(const Conv2dShape& s);
/// The 36 transformed filters, each packed as the direct kernel's 1x1 weights, then the bias.
int64_t blocked_winograd_packed_floats(const BlockedConvKernel& k, const Conv2dShape& s);
void blocked_winograd_pack(const BlockedConvKernel& k, const Conv2dShape& s, const float* w,
                           const float* bias, float* packed);
int64_t blocked_winograd_scratch_floats(const BlockedConvKernel& k, const Conv2dShape& s);

namespace winograd_detail {
/// The 1x1 convolution each of the 36 products is.
Conv2dShape product_shape(const Conv2dShape& s, int64_t tiles);
/// Tile rows per band.
int64_t band_rows(const BlockedConvKernel& k, const Conv2dShape& s);
}  // namespace winograd_detail

}  // namespace kiln::cpu
