#include "cpu/kernels/depthwise.h"

namespace kiln::cpu {

const DepthwiseKernel* depthwise_kernel(Isa isa) {
  return by_isa(isa, depthwise_kernel_avx512, depthwise_kernel_avx2);
}

int64_t depthwise_plane_floats(const Conv2dShape& s) {
  // The widest ISA's plane (16 lanes) bounds the others'; one spare row for tail vectors.
  const int64_t rows = (s.out_h - 1) * s.sh + (s.kh - 1) * s.dh + 2;
  const int64_t cols = (s.out_w - 1) * s.sw + (s.kw - 1) * s.dw + 1;
  const int64_t ld = s.sw == 2 && s.dw == 1 ? 2 * ((cols + 1) / 2 + 64) : cols + 64 * s.sw;
  return (rows * ld + 15) / 16 * 16;
}

}  // namespace kiln::cpu
