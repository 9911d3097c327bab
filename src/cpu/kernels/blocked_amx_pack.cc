// Weight packing and sizes of the AMX convolution (blocked_amx.h); the kernel is blocked_amx.cc.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "cpu/isa.h"
#include "cpu/kernels/blocked_amx.h"

namespace kiln::cpu {
namespace {

constexpr int64_t kBlock = 16;

uint16_t bf16_round(float x) {
  uint32_t u;
  std::memcpy(&u, &x, 4);
  if (std::isnan(x)) return static_cast<uint16_t>((u >> 16) | 0x40);  // stays a (quiet) NaN
  u += 0x7fff + ((u >> 16) & 1);                                      // round to nearest even
  return static_cast<uint16_t>(u >> 16);
}

float bf16_float(uint16_t h) {
  const uint32_t u = static_cast<uint32_t>(h) << 16;
  float x;
  std::memcpy(&x, &u, 4);
  return x;
}

struct AmxGeom {
  int64_t icb, ocb, pairs, k16, steps;
};

AmxGeom amx_geom(const Conv2dShape& s) {
  AmxGeom g;
  g.icb = (s.in_c + kBlock - 1) / kBlock;
  g.ocb = (s.out_c + kBlock - 1) / kBlock;
  g.pairs = (g.ocb + 1) / 2;
  g.k16 = s.kh * s.kw * g.icb;  // 16-channel slices of K: slice t * icb + cb is tap t, block cb
  g.steps = (g.k16 + 1) / 2;
  return g;
}

}  // namespace

void bf16_split(float x, uint16_t& hi, uint16_t& lo) {
  hi = bf16_round(x);
  lo = std::isfinite(x) ? bf16_round(x - bf16_float(hi)) : 0;
}

int64_t blocked_amx_packed_floats(const Conv2dShape& s) {
  const AmxGeom g = amx_geom(s);
  // 4 tiles of 16 x 32 BF16 (256 floats each) per step and pair, then the bias.
  return g.pairs * g.steps * 4 * 256 + g.pairs * 2 * kBlock;
}

void blocked_amx_pack(const Conv2dShape& s, const float* w, const float* bias, float* packed) {
  const AmxGeom g = amx_geom(s);
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
  float* b = packed + g.pairs * g.steps * 4 * 256;
  for (int64_t c = 0; c < g.pairs * 2 * kBlock; ++c) b[c] = bias && c < s.out_c ? bias[c] : 0.0f;
}

int64_t blocked_amx_task_blocks(const Conv2dShape& s, int threads) {
  const AmxGeom g = amx_geom(s);
  const int64_t blocks = (s.out_h * s.out_w + 31) / 32, block_bytes = g.steps * 4096;
  if (g.pairs * block_bytes > l2_cache_bytes() / 2) {
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
  // Per thread: per block and step, hi and lo of 32 rows x 32 BF16 (1024 floats), then 4 FP32
  // tiles: rows 64 bytes apart, each thread's part starting on a cache line.
  return static_cast<int64_t>(std::max(threads, 1)) *
         (blocked_amx_task_blocks(s, threads) * amx_geom(s).steps * 1024 + 1024);
}

}  // namespace kiln::cpu
