// Weight packing and sizes of the AMX convolution (blocked_amx.h); the kernel is blocked_amx.cc.
#include <algorithm>
#include <cmath>

#include "core/half.h"
#include "cpu/isa.h"
#include "cpu/kernels/blocked_amx.h"

namespace kiln::cpu {
namespace {

constexpr int64_t kBlock = 16;

// The two halves of x's BF16 split (round to nearest even; lo is 0 where x is not finite).
void bf16_split(float x, uint16_t& hi, uint16_t& lo) {
  hi = float_to_bf16_bits(x);
  lo = std::isfinite(x) ? float_to_bf16_bits(x - bf16_bits_to_float(hi)) : 0;
}

}  // namespace

int64_t blocked_amx_packed_floats(const Conv2dShape& s) {
  const BlockedAmxGeom g = blocked_amx_geom(s);
  return g.tile_floats() + g.pairs * 2 * kBlock;
}

void blocked_amx_pack(const Conv2dShape& s, const float* w, const float* bias, float* packed) {
  const BlockedAmxGeom g = blocked_amx_geom(s);
  const int64_t taps = s.kh * s.kw;
  auto* tiles = reinterpret_cast<uint16_t*>(packed);
  for (int64_t j = 0; j < g.pairs; ++j)
    for (int64_t st = 0; st < g.steps; ++st) {
      uint16_t* t = tiles + (j * g.steps + st) * 4 * 512;
      for (int64_t r = 0; r < 16; ++r)    // K pair: k = 32 st + 2 r + e
        for (int64_t c = 0; c < 32; ++c)  // output channel 32 j + c
          for (int64_t e = 0; e < 2; ++e) {
            const int64_t k = 32 * st + 2 * r + e, slice = k / kBlock, lane = k % kBlock;
            const int64_t tap = slice / g.icb, ci = (slice % g.icb) * kBlock + lane, co = 32 * j + c;
            const float v =
                slice < g.k16 && ci < s.in_c && co < s.out_c ? w[(co * s.in_c + ci) * taps + tap] : 0;
            uint16_t hi, lo;
            bf16_split(v, hi, lo);
            const int64_t at = (c / 16) * 512 + r * 32 + (c % 16) * 2 + e;  // tile c / 16, row r
            t[at] = hi;
            t[1024 + at] = lo;
          }
    }
  float* b = packed + g.tile_floats();
  for (int64_t c = 0; c < g.pairs * 2 * kBlock; ++c) b[c] = bias && c < s.out_c ? bias[c] : 0.0f;
}

int64_t blocked_amx_task_blocks(const Conv2dShape& s, int threads) {
  const BlockedAmxGeom g = blocked_amx_geom(s);
  const int64_t blocks = g.blocks, block_bytes = g.rows_floats(1) * 4;
  if (g.tile_floats() * 4 > l2_cache_bytes() / 2) {
    // Weights past L2 are read again by each task's rows: as many rows per task as half of L2
    // holds (the pool's tasks come from splitting the pairs instead).
    return std::clamp<int64_t>(l2_cache_bytes() / 2 / block_bytes, 1, blocks);
  }
  // Weights that stay in L2: rows split over 3 tasks per thread, each within a quarter of L2.
  const int64_t by_cache = std::max<int64_t>(1, l2_cache_bytes() / 4 / block_bytes);
  const int64_t groups_wanted = (3 * std::max(threads, 1) + s.batch - 1) / s.batch;  // per image
  const int64_t by_threads = (blocks + groups_wanted - 1) / groups_wanted;
  return std::clamp<int64_t>(std::min(by_cache, by_threads), 1, blocks);
}

int64_t blocked_amx_scratch_floats(const Conv2dShape& s, int threads) {
  // Each thread's part starts on a cache line (its rows are 64 bytes apart).
  return static_cast<int64_t>(std::max(threads, 1)) *
         blocked_amx_geom(s).thread_floats(blocked_amx_task_blocks(s, threads));
}

}  // namespace kiln::cpu
