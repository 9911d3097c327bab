// Runs a packed GEMM over a thread pool: C[M x N] = A * B, A packed once (weights, at build time),
// B packed a slice (a block of K rows of one panel) at a time by the caller's `pack_b` right before
// the slice is used (or a pointer to a slice packed at build time), so the slice is hot in cache
// for every MR-row tile of A it meets. Work is split into (column-panel range x row range) tasks;
// when there are too few panels for the threads, row ranges split too and each task packs its own
// copy of the slices (cheap next to the tiles they feed).
#pragma once

#include <algorithm>
#include <cstddef>

#include "cpu/thread_pool.h"
#include "cpu/ukernels/gemm.h"

namespace kiln::cpu {

/// Cache blocking (Goto's): K runs in blocks of kc whose B slice (kc x NR floats, 32 KB: the
/// whole L1 of a Zen 3, two thirds of a Zen 5's) meets every A panel of a row block from L1; `panels` B
/// slices are packed together (up to the L2, as many as the N columns need) so an A block (m_tiles panels x
/// kc, a quarter of the L2) is read from memory once per `panels` columns, not once per panel. Without that a
/// 1024^3 GEMM streamed all of A from memory once per 48 columns and ran at 43-75% of the FMA ceiling. Each
/// block of K after the first adds to C's partial sums, which the tile prefetches while it computes
/// (gemm_impl.h); with that, 2048^3 on a Zen 5 core (48 KB L1, 1 MB L2) ran at 85-87% with 32 KB slices
/// against 80-84% with 64-96 KB ones (interleaved, kiln_gemm_bench).
struct GemmBlocking {
  int64_t kc, panels, m_tiles;
  /// Floats of one thread's scratch: the B slices of one block (NR columns each), and slack.
  int64_t scratch_floats(int64_t nr) const { return panels * kc * nr + 16; }
};
constexpr int64_t kGemmMaxPanels = 64;

/// The blocking for K blocks of at most `most` (as even as can be): B slices up to the L2, A
/// blocks of a quarter of it.
inline GemmBlocking gemm_blocking_of(const GemmUkernel& uk, int64_t k, int64_t n, int64_t most) {
  const int64_t l2 = l2_cache_bytes(), b_bytes = l2, a_bytes = l2 / 4;
  const int64_t blocks = ceil_div(std::max<int64_t>(k, 1), most);
  const int64_t kc = ceil_div(std::max<int64_t>(k, 1), blocks);
  const int64_t n_tiles = std::max<int64_t>(1, ceil_div(n, uk.nr));
  return {kc, std::clamp<int64_t>(b_bytes / (kc * uk.nr * 4), 1, std::min(kGemmMaxPanels, n_tiles)),
          std::max<int64_t>(1, a_bytes / (kc * uk.mr * 4))};
}

/// B slices of 32 KB, or two thirds of a larger L1: on a Zen 3 core (32 KB L1) 32 KB slices ran
/// 2048^3 at 82-88% of the ceiling against 77-80% with 21 KB ones, and 2048 x 49 x 512 (one block
/// of K) 60-65% against 51-60% (kiln_gemm_bench --kc 512, interleaved, three runs).
inline GemmBlocking gemm_blocking(const GemmUkernel& uk, int64_t k, int64_t n) {
  const int64_t slice_bytes = std::max<int64_t>(l1_cache_bytes() * 2 / 3, 32 << 10);
  return gemm_blocking_of(uk, k, n, std::max<int64_t>(slice_bytes / (uk.nr * 4), 32));
}

/// Floats of per-thread scratch gemm_run needs for a K x N B: the B slices of one block.
inline int64_t gemm_panel_floats(const GemmUkernel& uk, int64_t k, int64_t n) {
  return gemm_blocking(uk, k, n).scratch_floats(uk.nr);
}

/// The tiles of column panels [t0, t1) and row tiles [r0, r1) of C = A * B, on the calling thread
/// (one task of gemm_run); `slices` holds bl.scratch_floats(NR) floats, or is null when pack_b
/// never writes.
template <typename PackB>
void gemm_range(const GemmUkernel& uk, const GemmBlocking& bl, int64_t m, int64_t n, int64_t k,
                const float* a_packed, PackB&& pack_b, float* c, int64_t ldc, const Epilogue& ep,
                float* slices, int64_t t0, int64_t t1, int64_t r0, int64_t r1) {
  const int64_t mr = uk.mr, nr = uk.nr;
  // At least one block: with K = 0 the tiles still write C (the epilogue of zero sums).
  const int64_t k_blocks = std::max<int64_t>(1, ceil_div(k, bl.kc));
  const Epilogue none;
  const float* b[kGemmMaxPanels];
  for (int64_t tb = t0; tb < t1; tb += bl.panels) {
    const int64_t te = std::min(t1, tb + bl.panels);
    for (int64_t kb = 0; kb < k_blocks; ++kb) {
      const int64_t k0 = kb * bl.kc, k1 = std::min(k, k0 + bl.kc);
      const bool first = kb == 0, last = kb + 1 == k_blocks;
      for (int64_t t = tb; t < te; ++t)
        b[t - tb] = pack_b(t * nr, k0, k1, slices ? slices + (t - tb) * bl.kc * nr : nullptr);
      for (int64_t rb = r0; rb < r1; rb += bl.m_tiles) {
        const int64_t re = std::min(r1, rb + bl.m_tiles);
        for (int64_t t = tb; t < te; ++t) {
          const int64_t n0 = t * nr;
          const int n_count = static_cast<int>(std::min(nr, n - n0));
          for (int64_t r = rb; r < re; ++r) {
            const int64_t m0 = r * mr;
            const int m_count = static_cast<int>(std::min(mr, m - m0));
            uk.tile(k1 - k0, a_packed + r * mr * k + k0 * mr, b[t - tb], c + m0 * ldc + n0, ldc, m_count,
                    n_count, last ? ep : none, m0, n0, !first);
          }
        }
      }
    }
  }
}

/// `pack_b(n0, k0, k1, out) -> slice`: rows [k0, k1) of the B panel of columns [n0, n0 + NR),
/// packed into `out` ((k1 - k0) x NR floats) or a pointer to that slice packed at build time.
/// `scratch` holds pool.threads() x gemm_panel_floats(uk, k, n) floats (64-byte aligned), or is null
/// when pack_b never writes.
/// `blocking` (tests) replaces gemm_blocking's; scratch must then hold its scratch_floats(NR) per
/// thread.
template <typename PackB>
void gemm_run(const GemmUkernel& uk, ThreadPool& pool, int64_t m, int64_t n, int64_t k, const float* a_packed,
              PackB&& pack_b, float* c, int64_t ldc, const Epilogue& ep, float* scratch,
              const GemmBlocking* blocking = nullptr) {
  const int64_t mr = uk.mr, nr = uk.nr;
  const int64_t m_tiles = ceil_div(m, mr), n_tiles = ceil_div(n, nr);
  const int64_t threads = pool.threads();
  // Aim for at least two tasks per thread (dynamic balance), splitting rows only when needed.
  int64_t n_chunks = std::min(n_tiles, threads == 1 ? 1 : 4 * threads);
  int64_t m_chunks = 1;
  if (threads > 1 && n_chunks < 2 * threads) m_chunks = std::min(m_tiles, ceil_div(2 * threads, n_chunks));
  const GemmBlocking bl = blocking ? *blocking : gemm_blocking(uk, k, n);
  const int64_t scratch_floats = bl.scratch_floats(nr);
  pool.parallel_for(n_chunks * m_chunks, [&](int64_t task, int thread) {
    const int64_t nc = task / m_chunks, mc = task % m_chunks;
    const int64_t t0 = n_tiles * nc / n_chunks, t1 = n_tiles * (nc + 1) / n_chunks;
    const int64_t r0 = m_tiles * mc / m_chunks, r1 = m_tiles * (mc + 1) / m_chunks;
    gemm_range(uk, bl, m, n, k, a_packed, pack_b, c, ldc, ep,
               scratch ? scratch + scratch_floats * thread : nullptr, t0, t1, r0, r1);
  });
}

}  // namespace kiln::cpu
