#include "profile/peak.h"

#include <immintrin.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <thread>
#include <vector>

#include "profile/stats.h"
#include "runtime/target.h"

namespace kiln::profile {
namespace {

using Clock = std::chrono::steady_clock;

enum class Isa { kAvx512, kAvx2, kScalar };

Isa detect_isa() {
  uint64_t f = runtime::detect_target(1).features;
  if (f & runtime::kAvx512f) return Isa::kAvx512;
  if ((f & runtime::kAvx2) && (f & runtime::kFma)) return Isa::kAvx2;
  return Isa::kScalar;
}

// FMA loops: a_k = a_k * x + y on enough independent accumulators to cover the FMA latency on
// every FMA port (2 ports x 4 cycles = 8 in flight; 16 zmm / 12 ymm leave headroom). The values
// converge to y / (1 - x), so nothing overflows or goes denormal. Each returns the FLOPs done.
__attribute__((target("avx512f"))) double fma_loop_avx512(int64_t iters, float* sink) {
  const __m512 x = _mm512_set1_ps(0.999999f), y = _mm512_set1_ps(1e-7f);
  __m512 a[16];
  for (int k = 0; k < 16; ++k) a[k] = _mm512_set1_ps(0.1f * static_cast<float>(k + 1));
  for (int64_t i = 0; i < iters; ++i) {
#pragma GCC unroll 16
    for (int k = 0; k < 16; ++k) a[k] = _mm512_fmadd_ps(a[k], x, y);
  }
  __m512 s = a[0];
  for (int k = 1; k < 16; ++k) s = _mm512_add_ps(s, a[k]);
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, s);
  float t = 0;
  for (float v : lanes) t += v;
  *sink = t;
  return static_cast<double>(iters) * 16 * 16 * 2;
}

__attribute__((target("avx2,fma"))) double fma_loop_avx2(int64_t iters, float* sink) {
  const __m256 x = _mm256_set1_ps(0.999999f), y = _mm256_set1_ps(1e-7f);
  __m256 a[12];
  for (int k = 0; k < 12; ++k) a[k] = _mm256_set1_ps(0.1f * static_cast<float>(k + 1));
  for (int64_t i = 0; i < iters; ++i) {
#pragma GCC unroll 12
    for (int k = 0; k < 12; ++k) a[k] = _mm256_fmadd_ps(a[k], x, y);
  }
  __m256 s = a[0];
  for (int k = 1; k < 12; ++k) s = _mm256_add_ps(s, a[k]);
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, s);
  float t = 0;
  for (float v : lanes) t += v;
  *sink = t;
  return static_cast<double>(iters) * 12 * 8 * 2;
}

double fma_loop_scalar(int64_t iters, float* sink) {
  float a[8];
  for (int k = 0; k < 8; ++k) a[k] = 0.1f * static_cast<float>(k + 1);
  for (int64_t i = 0; i < iters; ++i)
    for (float& v : a) v = v * 0.999999f + 1e-7f;
  float t = 0;
  for (float v : a) t += v;
  *sink = t;
  return static_cast<double>(iters) * 8 * 2;
}

double fma_loop(Isa isa, int64_t iters, float* sink) {
  switch (isa) {
    case Isa::kAvx512:
      return fma_loop_avx512(iters, sink);
    case Isa::kAvx2:
      return fma_loop_avx2(iters, sink);
    case Isa::kScalar:
      return fma_loop_scalar(iters, sink);
  }
  return 0;
}

// dst[i] = s * src[i] over [begin, end) floats; aligned to 64 bytes at begin.
__attribute__((target("avx512f"))) void scale_avx512(const float* src, float* dst, size_t n, float s) {
  const __m512 v = _mm512_set1_ps(s);
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    __m512 a0 = _mm512_load_ps(src + i), a1 = _mm512_load_ps(src + i + 16);
    __m512 a2 = _mm512_load_ps(src + i + 32), a3 = _mm512_load_ps(src + i + 48);
    _mm512_store_ps(dst + i, _mm512_mul_ps(a0, v));
    _mm512_store_ps(dst + i + 16, _mm512_mul_ps(a1, v));
    _mm512_store_ps(dst + i + 32, _mm512_mul_ps(a2, v));
    _mm512_store_ps(dst + i + 48, _mm512_mul_ps(a3, v));
  }
  for (; i < n; ++i) dst[i] = s * src[i];
}

__attribute__((target("avx2"))) void scale_avx2(const float* src, float* dst, size_t n, float s) {
  const __m256 v = _mm256_set1_ps(s);
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    __m256 a0 = _mm256_load_ps(src + i), a1 = _mm256_load_ps(src + i + 8);
    __m256 a2 = _mm256_load_ps(src + i + 16), a3 = _mm256_load_ps(src + i + 24);
    _mm256_store_ps(dst + i, _mm256_mul_ps(a0, v));
    _mm256_store_ps(dst + i + 8, _mm256_mul_ps(a1, v));
    _mm256_store_ps(dst + i + 16, _mm256_mul_ps(a2, v));
    _mm256_store_ps(dst + i + 24, _mm256_mul_ps(a3, v));
  }
  for (; i < n; ++i) dst[i] = s * src[i];
}

void scale(Isa isa, const float* src, float* dst, size_t n, float s) {
  switch (isa) {
    case Isa::kAvx512:
      return scale_avx512(src, dst, n, s);
    case Isa::kAvx2:
      return scale_avx2(src, dst, n, s);
    case Isa::kScalar:
      for (size_t i = 0; i < n; ++i) dst[i] = s * src[i];
      return;
  }
}

struct Timing {
  double wall = 0;          // from the release until the last thread finished
  std::vector<double> cpu;  // CPU seconds each thread spent in its body
};

/// Runs body(t) on `threads` threads released together (they are created before the clock starts).
Timing run_parallel(int threads, const std::function<void(int)>& body) {
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  Timing timing;
  timing.cpu.resize(static_cast<size_t>(threads));
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      ready.fetch_add(1);
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      double c0 = thread_cpu_seconds();
      body(t);
      timing.cpu[static_cast<size_t>(t)] = thread_cpu_seconds() - c0;
    });
  }
  while (ready.load() < threads) std::this_thread::yield();
  auto start = Clock::now();
  go.store(true, std::memory_order_release);
  for (auto& th : pool) th.join();
  timing.wall = std::chrono::duration<double>(Clock::now() - start).count();
  return timing;
}

/// Work per second of T threads together. On a machine shared with other processes a thread is
/// not always on a core, so while T fits the cores each thread's rate is taken over its own CPU
/// time (what the cores can do), and the rates are summed; beyond that, over the wall time.
Rate aggregate_rate(const std::vector<double>& work, const Timing& timing) {
  Rate detail;
  double total = 0, per_cpu = 0, cpu = 0;
  for (size_t t = 0; t < work.size(); ++t) {
    total += work[t];
    cpu += timing.cpu[t];
    per_cpu += timing.cpu[t] > 0 ? work[t] / timing.cpu[t] : 0;
  }
  detail.wall = timing.wall > 0 ? total / timing.wall : 0;
  detail.cpu_share = timing.wall > 0 ? cpu / (timing.wall * static_cast<double>(work.size())) : 0;
  bool fits = work.size() <= std::max(1u, std::thread::hardware_concurrency());
  detail.per_cpu = fits ? per_cpu : detail.wall;
  return detail;
}

size_t last_level_cache_bytes() {
  long l3 = sysconf(_SC_LEVEL3_CACHE_SIZE);
  if (l3 > 0) return static_cast<size_t>(l3);
  // sysconf may not know (some libcs, some VMs): ask sysfs, "32768K".
  for (const char* p :
       {"/sys/devices/system/cpu/cpu0/cache/index3/size", "/sys/devices/system/cpu/cpu0/cache/index2/size"}) {
    std::ifstream f(p);
    size_t v = 0;
    char unit = 0;
    if (f >> v >> unit) return unit == 'M' ? v << 20 : unit == 'K' ? v << 10 : v;
  }
  return 32u << 20;
}

}  // namespace

std::string fma_isa() {
  switch (detect_isa()) {
    case Isa::kAvx512:
      return "avx512f";
    case Isa::kAvx2:
      return "avx2+fma";
    case Isa::kScalar:
      return "scalar";
  }
  return "scalar";
}

Rate measure_fma_gflops(int threads, double seconds) {
  threads = std::max(threads, 1);
  const Isa isa = detect_isa();
  float sink = 0;
  // Calibrate on one thread: grow the count until a run takes >= 10 ms of CPU time.
  int64_t iters = 1 << 14;
  for (;;) {
    double c0 = thread_cpu_seconds();
    fma_loop(isa, iters, &sink);
    double dt = thread_cpu_seconds() - c0;
    if (dt >= 0.01 || iters > (int64_t{1} << 40)) {
      // Aim each repeat at a fifth of the budget.
      iters = std::max<int64_t>(1, static_cast<int64_t>(static_cast<double>(iters) * (seconds / 5) / dt));
      break;
    }
    iters *= 4;
  }
  std::vector<float> sinks(static_cast<size_t>(threads));
  std::vector<double> flops(static_cast<size_t>(threads));
  Rate best;
  auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
  for (int rep = 0; rep < 5 && (rep < 2 || Clock::now() < deadline); ++rep) {
    Timing timing = run_parallel(threads, [&](int t) { flops[t] = fma_loop(isa, iters, &sinks[t]); });
    Rate r = aggregate_rate(flops, timing);
    if (r.per_cpu > best.per_cpu) best = r;
  }
  best.per_cpu *= 1e-9;
  best.wall *= 1e-9;
  return best;
}

size_t default_stream_bytes() {
  return std::clamp<size_t>(4 * last_level_cache_bytes(), size_t{64} << 20, size_t{1} << 30);
}

Expected<Rate> measure_stream_gbps(int threads, size_t bytes, double seconds) {
  threads = std::max(threads, 1);
  const Isa isa = detect_isa();
  // Slices of whole cache lines (16 floats), one per thread.
  size_t n = bytes / sizeof(float) / 16 * 16;
  if (n < static_cast<size_t>(threads) * 16)
    return invalid_argument("stream buffer of " + std::to_string(bytes) + " bytes is too small");
  auto alloc = [&]() { return static_cast<float*>(std::aligned_alloc(64, n * sizeof(float))); };
  std::unique_ptr<float, decltype(&std::free)> a(alloc(), &std::free), b(alloc(), &std::free);
  if (!a || !b) {
    return Status(StatusCode::kIo, "cannot allocate 2 x " + std::to_string(n * sizeof(float) >> 20) +
                                       " MiB for the bandwidth test; pass a smaller buffer size");
  }
  size_t chunk = (n / static_cast<size_t>(threads)) / 16 * 16;
  auto slice = [&](int t, size_t& begin, size_t& count) {
    begin = static_cast<size_t>(t) * chunk;
    count = t + 1 == threads ? n - begin : chunk;
  };
  // First touch by the thread that will stream the slice (page placement on NUMA machines).
  run_parallel(threads, [&](int t) {
    size_t begin, count;
    slice(t, begin, count);
    for (size_t i = begin; i < begin + count; ++i) a.get()[i] = 1.0f;
    std::memset(b.get() + begin, 0, count * sizeof(float));
  });
  Rate best;
  const std::vector<double> bytes_moved = [&] {
    std::vector<double> v(static_cast<size_t>(threads));
    for (int t = 0; t < threads; ++t) {
      size_t begin, count;
      slice(t, begin, count);
      v[static_cast<size_t>(t)] = 2.0 * static_cast<double>(count * sizeof(float));  // one read, one write
    }
    return v;
  }();
  auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
  float s = 1.0000001f;
  for (int pass = 0; pass < 20 && (pass < 3 || Clock::now() < deadline); ++pass) {
    // Alternate direction so both buffers are read and written, and the data keeps changing.
    const float* src = pass % 2 ? b.get() : a.get();
    float* dst = pass % 2 ? a.get() : b.get();
    Timing timing = run_parallel(threads, [&](int t) {
      size_t begin, count;
      slice(t, begin, count);
      scale(isa, src + begin, dst + begin, count, s);
    });
    Rate r = aggregate_rate(bytes_moved, timing);
    if (r.per_cpu > best.per_cpu) best = r;
  }
  best.per_cpu *= 1e-9;
  best.wall *= 1e-9;
  return best;
}

Expected<PeakResult> measure_peaks(int threads, double seconds, size_t stream_bytes) {
  PeakResult r;
  r.threads = std::max(threads, 1);
  r.isa = fma_isa();
  r.stream_bytes = stream_bytes ? stream_bytes : default_stream_bytes();
  r.fma = measure_fma_gflops(r.threads, seconds);
  KILN_ASSIGN_OR_RETURN(r.stream, measure_stream_gbps(r.threads, r.stream_bytes, seconds));
  r.gflops = r.fma.per_cpu;
  r.gbps = r.stream.per_cpu;
  return r;
}

}  // namespace kiln::profile
