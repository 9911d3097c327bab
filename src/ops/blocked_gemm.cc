#include "ops/blocked_gemm.h"

#include <algorithm>
#include <vector>

namespace kiln::ops {
namespace {

// Register tile (kMr x kNr accumulators: 8 SSE registers at f32, the best of the shapes tried) and cache
// blocks. B is packed kKc x kNc at a time (fits L2), A kMc x kKc (fits L1/L2); packing makes the
// micro-kernel's loads contiguous whatever the layout.
constexpr int64_t kMr = 4;
constexpr int64_t kNr = 8;
constexpr int64_t kKc = 256;
constexpr int64_t kMc = 64;
constexpr int64_t kNc = 1024;

// Packs rows [i0, i0+mc) x cols [p0, p0+kc) of A into panels of kMr rows: panel[p][r], zero padded.
template <typename T>
void pack_a(MatrixView<T> a, int64_t i0, int64_t mc, int64_t p0, int64_t kc, T* out) {
  for (int64_t ip = 0; ip < mc; ip += kMr) {
    const int64_t rows = std::min(kMr, mc - ip);
    for (int64_t p = 0; p < kc; ++p) {
      for (int64_t r = 0; r < kMr; ++r) *out++ = r < rows ? a.at(i0 + ip + r, p0 + p) : T(0);
    }
  }
}

// Packs rows [p0, p0+kc) x cols [j0, j0+nc) of B into panels of kNr columns: panel[p][c], zero padded.
template <typename T>
void pack_b(MatrixView<T> b, int64_t p0, int64_t kc, int64_t j0, int64_t nc, T* out) {
  for (int64_t jp = 0; jp < nc; jp += kNr) {
    const int64_t cols = std::min(kNr, nc - jp);
    for (int64_t p = 0; p < kc; ++p) {
      if (!b.transposed && cols == kNr) {
        const T* src = b.data + (p0 + p) * b.ld + j0 + jp;
        for (int64_t c = 0; c < kNr; ++c) out[c] = src[c];
      } else {
        for (int64_t c = 0; c < kNr; ++c) out[c] = c < cols ? b.at(p0 + p, j0 + jp + c) : T(0);
      }
      out += kNr;
    }
  }
}

// C[rows x cols] += Apanel (kc x kMr) ^T * Bpanel (kc x kNr); the accumulators stay in registers.
template <typename T>
void micro_kernel(int64_t kc, const T* __restrict ap, const T* __restrict bp, T* c, int64_t ldc, int64_t rows,
                  int64_t cols) {
  T acc[kMr][kNr] = {};
  for (int64_t p = 0; p < kc; ++p) {
    for (int64_t r = 0; r < kMr; ++r) {
      const T av = ap[r];
      for (int64_t j = 0; j < kNr; ++j) acc[r][j] += av * bp[j];
    }
    ap += kMr;
    bp += kNr;
  }
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t j = 0; j < cols; ++j) c[r * ldc + j] += acc[r][j];
  }
}

}  // namespace

template <typename T>
void gemm_accumulate(int64_t m, int64_t n, int64_t k, MatrixView<T> a, MatrixView<T> b, T* c, int64_t ldc) {
  if (m <= 0 || n <= 0 || k <= 0) return;
  auto round_up = [](int64_t x, int64_t r) { return (x + r - 1) / r * r; };
  std::vector<T> bpack(static_cast<size_t>(std::min(kKc, k) * round_up(std::min(kNc, n), kNr)));
  std::vector<T> apack(static_cast<size_t>(std::min(kKc, k) * round_up(std::min(kMc, m), kMr)));
  for (int64_t j0 = 0; j0 < n; j0 += kNc) {
    const int64_t nc = std::min(kNc, n - j0);
    for (int64_t p0 = 0; p0 < k; p0 += kKc) {
      const int64_t kc = std::min(kKc, k - p0);
      pack_b(b, p0, kc, j0, nc, bpack.data());
      for (int64_t i0 = 0; i0 < m; i0 += kMc) {
        const int64_t mc = std::min(kMc, m - i0);
        pack_a(a, i0, mc, p0, kc, apack.data());
        for (int64_t jp = 0; jp < nc; jp += kNr) {
          const T* bp = bpack.data() + (jp / kNr) * kc * kNr;
          for (int64_t ip = 0; ip < mc; ip += kMr) {
            const T* ap = apack.data() + (ip / kMr) * kc * kMr;
            micro_kernel(kc, ap, bp, c + (i0 + ip) * ldc + j0 + jp, ldc, std::min(kMr, mc - ip),
                         std::min(kNr, nc - jp));
          }
        }
      }
    }
  }
}

#define KILN_INSTANTIATE_GEMM(T) \
  template void gemm_accumulate<T>(int64_t, int64_t, int64_t, MatrixView<T>, MatrixView<T>, T*, int64_t);
KILN_INSTANTIATE_GEMM(float)
KILN_INSTANTIATE_GEMM(double)
KILN_INSTANTIATE_GEMM(int32_t)
KILN_INSTANTIATE_GEMM(int64_t)
KILN_INSTANTIATE_GEMM(uint32_t)
KILN_INSTANTIATE_GEMM(uint64_t)
#undef KILN_INSTANTIATE_GEMM

}  // namespace kiln::ops
