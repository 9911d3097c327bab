#include "cpu/ukernels/elementwise.h"

namespace kiln::cpu {

const EwKernels* ew_kernels(Isa isa) { return by_isa(isa, ew_kernels_avx512, ew_kernels_avx2); }

}  // namespace kiln::cpu
