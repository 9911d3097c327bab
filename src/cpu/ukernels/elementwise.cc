#include "cpu/ukernels/elementwise.h"

namespace kiln::cpu {

const EwKernels* ew_kernels(Isa isa) {
  switch (isa) {
    case Isa::kAvx512:
      return ew_kernels_avx512();
    case Isa::kAvx2:
      return ew_kernels_avx2();
    case Isa::kGeneric:
      break;
  }
  return nullptr;
}

}  // namespace kiln::cpu
