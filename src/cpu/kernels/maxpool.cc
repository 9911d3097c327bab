#include "cpu/kernels/maxpool.h"

namespace kiln::cpu {

const MaxPoolKernel* maxpool_kernel(Isa isa) {
  return by_isa(isa, maxpool_kernel_avx512, maxpool_kernel_avx2);
}

int64_t maxpool_plane_floats(const Conv2dShape& s) {
  // Rows of the window span, each with two 16-lane vectors of slack per stride, plus a spare row.
  const int64_t rows = (s.out_h - 1) * s.sh + (s.kh - 1) * s.dh + 2;
  const int64_t cols = (s.out_w - 1) * s.sw + (s.kw - 1) * s.dw + 1;
  return (rows * (cols + 32 * s.sw) + 15) / 16 * 16;
}

}  // namespace kiln::cpu
