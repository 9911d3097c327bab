#include "cpu/ukernels/rows.h"

namespace kiln::cpu {

const RowKernels* row_kernels(Isa isa) {
  switch (isa) {
    case Isa::kAvx512:
      return row_kernels_avx512();
    case Isa::kAvx2:
      return row_kernels_avx2();
    case Isa::kGeneric:
      break;
  }
  return nullptr;
}

}  // namespace kiln::cpu
