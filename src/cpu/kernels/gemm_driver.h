// Runs a packed GEMM over a thread pool: C[M x N] = A * B, A packed once (weights, at build time),
// B packed panel by panel by the caller's `pack_b(n0, scratch) -> panel` right before the panel is
// used (or a pointer to a panel packed at build time), so
// the panel is hot in cache for every MR-row tile of A it meets. Work is split into (column-panel
// range x row range) tasks; when there are too few panels for the threads, row ranges split too and
// each task packs its own copy of the panels (cheap next to the tiles they feed).
#pragma once

#include <algorithm>
#include <cstddef>

#include "cpu/thread_pool.h"
#include "cpu/ukernels/gemm.h"

namespace kiln::cpu {

/// Floats of per-thread scratch gemm_run needs: one B panel.
inline int64_t gemm_panel_floats(const GemmUkernel& uk, int64_t k) { return round_up(k, 1) * uk.nr + 16; }

/// `scratch` holds pool.threads() panels of gemm_panel_floats(uk, k) floats each (64-byte aligned).
template <typename PackB>
void gemm_run(const GemmUkernel& uk, ThreadPool& pool, int64_t m, int64_t n, int64_t k, const float* a_packed,
              PackB&& pack_b, float* c, int64_t ldc, const Epilogue& ep, float* scratch) {
  const int64_t mr = uk.mr, nr = uk.nr;
  const int64_t m_tiles = ceil_div(m, mr), n_tiles = ceil_div(n, nr);
  const int64_t threads = pool.threads();
  // Aim for at least two tasks per thread (dynamic balance), splitting rows only when needed.
  int64_t n_chunks = std::min(n_tiles, threads == 1 ? 1 : 4 * threads);
  int64_t m_chunks = 1;
  if (threads > 1 && n_chunks < 2 * threads) m_chunks = std::min(m_tiles, ceil_div(2 * threads, n_chunks));
  const int64_t panel_floats = gemm_panel_floats(uk, k);
  pool.parallel_for(n_chunks * m_chunks, [&](int64_t task, int thread) {
    const int64_t nc = task / m_chunks, mc = task % m_chunks;
    const int64_t t0 = n_tiles * nc / n_chunks, t1 = n_tiles * (nc + 1) / n_chunks;
    const int64_t r0 = m_tiles * mc / m_chunks, r1 = m_tiles * (mc + 1) / m_chunks;
    float* panel = scratch ? scratch + panel_floats * thread : nullptr;
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t n0 = t * nr;
      const int n_count = static_cast<int>(std::min(nr, n - n0));
      const float* b = pack_b(n0, panel);
      for (int64_t r = r0; r < r1; ++r) {
        const int64_t m0 = r * mr;
        const int m_count = static_cast<int>(std::min(mr, m - m0));
        uk.tile(k, a_packed + r * mr * k, b, c + m0 * ldc + n0, ldc, m_count, n_count, ep, m0, n0);
      }
    }
  });
}

}  // namespace kiln::cpu
