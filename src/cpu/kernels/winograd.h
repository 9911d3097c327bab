// Winograd convolution F(m x m, 3 x 3), m = 2 or 4, for 3x3 stride-1 undilated ungrouped NCHW
// convolutions: per (alpha x alpha) transform position xi (alpha = m + 2), one GEMM
//   M_xi[Cout x tiles] = U_xi[Cout x Cin] * V_xi[Cin x tiles],
// U = G g G^T (weights, packed at build time), V = B^T d B (input tiles, packed straight into the
// GEMM's B panels), Y = A^T M A (output tiles), then bias / activation / residual. F(4,3) does
// 36 / 144 = 1/4 of the direct method's multiplies in the GEMM, F(2,3) 16 / 36.
#pragma once

#include <algorithm>

#include "cpu/kernels/conv2d.h"
#include "cpu/thread_pool.h"
#include "cpu/ukernels/gemm.h"

namespace kiln::cpu {

struct WinogradKernel {
  Isa isa;
  int m;  // output tile
  void (*run)(const GemmUkernel& uk, ThreadPool& pool, const Conv2dShape& s, const float* x,
              const float* packed_u, float* y, const Epilogue& ep, float* scratch);
};
const WinogradKernel* winograd_kernel(Isa isa, int m);
const WinogradKernel* winograd_kernel_avx512(int m);
const WinogradKernel* winograd_kernel_avx2(int m);

bool winograd_applies(const Conv2dShape& s);

/// Per-thread scratch of the transforms: the input stage's band, row transform, phases and tile
/// transforms, or the output stage's two arrays, whichever is larger.
inline int64_t winograd_band_floats(const Conv2dShape& s, int m) {
  const int64_t a = m + 2, tw = (s.out_w + m - 1) / m;
  const int64_t wp = (tw + 1) * m + 16, row = tw + 16;
  const int64_t in = 2 * a * wp + a * m * row + a * a * row;
  const int64_t out = a * m * row + m * m * row;
  return (std::max(in, out) + 15) / 16 * 16;
}
int64_t winograd_packed_weights_floats(const GemmUkernel& uk, const Conv2dShape& s, int m);
/// Packs w [Cout][Cin][3][3] as (m + 2)^2 A matrices U_xi[Cout][Cin].
void winograd_pack_weights(const GemmUkernel& uk, const Conv2dShape& s, int m, const float* w, float* packed);
int64_t winograd_scratch_floats(const GemmUkernel& uk, const Conv2dShape& s, int m, int threads);

}  // namespace kiln::cpu
