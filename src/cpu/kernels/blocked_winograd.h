// Winograd F(2x2, 3x3) and F(4x4, 3x3) on the blocked layout: 3x3 stride-1 convolutions with 2.25x
// or 4x fewer multiplies, for 1.8x or 4x the filter bytes (a deep layer streams its filters from
// memory: the tuner times both with them cold). F(m x m) takes tiles of a x a inputs, a = m + 2, and
// per band of tile rows (sized so its transformed input and products stay in L2):
//   1. V = B^T d B for every a x a input tile, b channels per vector, stored as a*a blocked
//      "images" of one row of tiles ([a*a][C_in/b][tiles][b]);
//   2. a*a products M_xi = V_xi x U_xi, each a 1x1 convolution over that row by the direct kernel
//      (U = G g G^T packed at build time as a*a sets of 1x1 weights);
//   3. Y = A^T M A per tile, plus bias, residual and activation, stored into the blocked output.
// One instance per ISA (blocked_winograd_avx512.cc, blocked_winograd_avx2.cc).
#pragma once

#include "cpu/kernels/blocked_conv.h"

namespace kiln::cpu {

struct BlockedWinogradKernel {
  Isa isa;
  /// m: the output tile, 2 or 4; packed: blocked_winograd_pack's for that m; ep.residual is
  /// blocked like y (and may be y: each element is read before it is written).
  void (*run)(ThreadPool& pool, int m, const Conv2dShape& s, const float* x, const float* packed, float* y,
              const Epilogue& ep, float* scratch);
};
const BlockedWinogradKernel* blocked_winograd_kernel(Isa isa);
const BlockedWinogradKernel* blocked_winograd_kernel_avx512();
const BlockedWinogradKernel* blocked_winograd_kernel_avx2();

/// 3x3, stride 1, dilation 1, group 1.
bool blocked_winograd_supports(const Conv2dShape& s);
/// The (m+2)^2 transformed filters, each packed as the direct kernel's 1x1 weights, then the bias.
int64_t blocked_winograd_packed_floats(const BlockedConvKernel& k, const Conv2dShape& s, int m);
void blocked_winograd_pack(const BlockedConvKernel& k, const Conv2dShape& s, int m, const float* w,
                           const float* bias, float* packed);
int64_t blocked_winograd_scratch_floats(const BlockedConvKernel& k, const Conv2dShape& s, int m);

namespace winograd_detail {
/// The 1x1 convolution each of the products is.
Conv2dShape product_shape(const Conv2dShape& s, int64_t tiles);
/// Tile rows per band.
int64_t band_rows(const BlockedConvKernel& k, const Conv2dShape& s, int m);
}  // namespace winograd_detail

}  // namespace kiln::cpu
