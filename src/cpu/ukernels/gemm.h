// The GEMM microkernel and its packing formats, one set per ISA.
//
//   C[M x N] = A[M x K] * B[K x N], then the epilogue, written once.
//
// Packed A: panels of MR rows, each [K][MR] (rows past M are zero). Packed B: panels of NR
// columns, each [K][NR] (columns past N are zero). The microkernel computes one MR x NR tile over
// the whole K from one A panel and one B panel, in registers, and stores the valid m_count x
// n_count part of it after the epilogue.
#pragma once

#include <cstdint>

#include "cpu/isa.h"
#include "cpu/ukernels/epilogue.h"

namespace kiln::cpu {

struct GemmUkernel {
  Isa isa;
  int mr, nr;
  /// c points at C[m0][n0]; the epilogue's bias and residual are indexed from (m0, n0). With
  /// `accumulate` the tile adds its products to what C holds (one block of K after another: the
  /// caller passes the epilogue with the last block only).
  void (*tile)(int64_t k, const float* a_panel, const float* b_panel, float* c, int64_t ldc, int m_count,
               int n_count, const Epilogue& ep, int64_t m0, int64_t n0, bool accumulate);
  /// Applies the epilogue to rows [0, m) x columns [0, n) of y (ld ldy) in place: the tactics that
  /// do not end in a GEMM tile (depthwise, pooling ...) use it.
  void (*apply_epilogue)(float* y, int64_t ldy, int64_t m, int64_t n, const Epilogue& ep, int64_t m0,
                         int64_t n0);
  /// One row of A times one packed B panel: c[0, n_count) = a[0, k) x panel, then the epilogue
  /// (row 0, columns from n0). A matrix-vector product streams B once instead of running a tile
  /// whose other MR - 1 rows idle.
  void (*row_panel)(int64_t k, const float* a, const float* b_panel, float* c, int n_count,
                    const Epilogue& ep, int64_t n0);
};

/// Microkernel `variant` (0: the default tile; AVX-512 also has 1: 6 x 64) for `isa`, or nullptr
/// (Isa::kGeneric, or no such variant).
const GemmUkernel* gemm_ukernel(Isa isa, int variant = 0);
const GemmUkernel* gemm_ukernel_avx512(int variant);
const GemmUkernel* gemm_ukernel_avx2(int variant);

/// Packs rows [0, m) of row-major A (lda) into MR-row panels: ceil(m / mr) * k * mr floats.
void pack_a(const float* a, int64_t lda, int64_t m, int64_t k, int mr, float* out);
/// Packs A given transposed (a[k][m], ld lda) the same way.
void pack_a_transposed(const float* a, int64_t lda, int64_t m, int64_t k, int mr, float* out);
/// Packs columns [n0, n0 + nr) of row-major B (ldb, k rows, n columns in all) into one panel.
void pack_b_panel(const float* b, int64_t ldb, int64_t k, int64_t n, int64_t n0, int nr, float* out);
/// Packs B given transposed (b[n][k], ld ldb) the same way.
void pack_b_panel_transposed(const float* b, int64_t ldb, int64_t k, int64_t n, int64_t n0, int nr,
                             float* out);

inline int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }
inline int64_t ceil_div(int64_t x, int64_t m) { return (x + m - 1) / m; }

}  // namespace kiln::cpu
