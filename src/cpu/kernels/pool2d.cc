#include "cpu/kernels/pool2d.h"

namespace kiln::cpu {

const Pool2dKernel* pool2d_kernel(Isa isa) { return by_isa(isa, pool2d_kernel_avx512, pool2d_kernel_avx2); }

int64_t pool2d_scratch_floats(const Conv2dShape& s) {
  // Rows of the window span, each with two 16-lane vectors of slack per stride, plus a spare row;
  // then an average's tap count per output column.
  const int64_t rows = (s.out_h - 1) * s.sh + (s.kh - 1) * s.dh + 2;
  const int64_t cols = (s.out_w - 1) * s.sw + (s.kw - 1) * s.dw + 1;
  return (rows * (cols + 32 * s.sw) + 15) / 16 * 16 + pool2d_count_floats(s);
}

}  // namespace kiln::cpu
