#include "cpu/ukernels/rows.h"

namespace kiln::cpu {

const RowKernels* row_kernels(Isa isa) { return by_isa(isa, row_kernels_avx512, row_kernels_avx2); }

}  // namespace kiln::cpu
