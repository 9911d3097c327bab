// Packing for the GEMM microkernels (formats in ukernels/gemm.h). Plain C++: the copies are
// contiguous runs the compiler vectorizes, and the same code serves every ISA's MR and NR.
#include <algorithm>
#include <cstring>

#include "cpu/ukernels/gemm.h"

namespace kiln::cpu {

const GemmUkernel* gemm_ukernel(Isa isa, int variant) {
  return by_isa(isa, gemm_ukernel_avx512, gemm_ukernel_avx2, variant);
}

void pack_a(const float* a, int64_t lda, int64_t m, int64_t k, int mr, float* out) {
  for (int64_t m0 = 0; m0 < m; m0 += mr) {
    int rows = static_cast<int>(std::min<int64_t>(mr, m - m0));
    for (int64_t p = 0; p < k; ++p) {
      for (int i = 0; i < rows; ++i) out[p * mr + i] = a[(m0 + i) * lda + p];
      for (int i = rows; i < mr; ++i) out[p * mr + i] = 0;
    }
    out += k * mr;
  }
}

void pack_a_transposed(const float* a, int64_t lda, int64_t m, int64_t k, int mr, float* out) {
  for (int64_t m0 = 0; m0 < m; m0 += mr) {
    int rows = static_cast<int>(std::min<int64_t>(mr, m - m0));
    for (int64_t p = 0; p < k; ++p) {
      std::memcpy(out + p * mr, a + p * lda + m0, rows * sizeof(float));
      for (int i = rows; i < mr; ++i) out[p * mr + i] = 0;
    }
    out += k * mr;
  }
}

void pack_b_panel(const float* b, int64_t ldb, int64_t k, int64_t n, int64_t n0, int nr, float* out) {
  int cols = static_cast<int>(std::min<int64_t>(nr, n - n0));
  if (cols == nr) {
    for (int64_t p = 0; p < k; ++p) std::memcpy(out + p * nr, b + p * ldb + n0, nr * sizeof(float));
    return;
  }
  for (int64_t p = 0; p < k; ++p) {
    std::memcpy(out + p * nr, b + p * ldb + n0, cols * sizeof(float));
    std::memset(out + p * nr + cols, 0, (nr - cols) * sizeof(float));
  }
}

void pack_b_panel_transposed(const float* b, int64_t ldb, int64_t k, int64_t n, int64_t n0, int nr,
                             float* out) {
  int cols = static_cast<int>(std::min<int64_t>(nr, n - n0));
  for (int64_t p = 0; p < k; ++p) {
    for (int j = 0; j < cols; ++j) out[p * nr + j] = b[(n0 + j) * ldb + p];
    for (int j = cols; j < nr; ++j) out[p * nr + j] = 0;
  }
}

}  // namespace kiln::cpu
