// GEMM microbenchmark: kiln's packed AVX-512 / AVX2 GEMM (the microkernel every conv and gemm
// tactic ends in) against the machine's measured FMA ceiling, single core and all threads.
//
//   kiln_gemm_bench [--threads T] [--seconds S] [--kc K]
//
// --kc K: each microkernel also runs with K blocks of at most K (gemm_blocking_of), interleaved
// with its default blocking (gemm_blocking: B slices of 32 KB, or two thirds of a larger L1).
//
// For each shape and each microkernel of this ISA (their runs interleaved, S seconds each): median
// GFLOP/s and the share of the FMA ceiling (`kiln peak`'s loop, measured here in the same run).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <random>
#include <string>
#include <vector>

#include "cpu/kernels/gemm_driver.h"
#include "profile/peak.h"

namespace {

using Clock = std::chrono::steady_clock;

// A float vector whose data is 64-byte aligned, as the runtime's arena and plan weights are (rows of
// C that straddle cache lines cost a 2048^3 GEMM ~10% of the ceiling).
template <class T>
struct Aligned64 {
  using value_type = T;
  Aligned64() = default;
  template <class U>
  Aligned64(const Aligned64<U>&) {}
  T* allocate(size_t n) { return static_cast<T*>(::operator new[](n * sizeof(T), std::align_val_t(64))); }
  void deallocate(T* p, size_t) { ::operator delete[](p, std::align_val_t(64)); }
  bool operator==(const Aligned64&) const { return true; }
};
using Floats = std::vector<float, Aligned64<float>>;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  using namespace kiln;
  int threads = 1;
  double seconds = 1.0;
  int64_t kc = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--kc") == 0) kc = std::atoll(argv[i + 1]);
    if (std::strcmp(argv[i], "--threads") == 0) threads = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--seconds") == 0) seconds = std::atof(argv[i + 1]);
  }
  std::vector<const cpu::GemmUkernel*> kernels;
  for (int v = 0; const cpu::GemmUkernel* uk = cpu::gemm_ukernel(cpu::host_isa(), v); ++v)
    kernels.push_back(uk);
  if (kernels.empty()) {
    std::fprintf(stderr, "kiln_gemm_bench: this CPU has neither AVX-512 nor AVX2+FMA\n");
    return 1;
  }
  cpu::ThreadPool pool(threads);
  const double ceiling = profile::measure_fma_gflops(threads, seconds).per_cpu;
  std::printf("isa %s  threads %d  FMA ceiling %.1f GFLOP/s (measured now)\n", cpu::isa_name(kernels[0]->isa),
              threads, ceiling);
  std::printf(
      "each microkernel's runs interleaved with the others'; median GFLOP/s and share of the ceiling\n");
  std::printf("%-16s", "M x N x K");
  for (const cpu::GemmUkernel* uk : kernels) {
    std::printf("   %5dx%-2d      ", uk->mr, uk->nr);
    if (kc > 0) std::printf("   kc<=%-5lld     ", static_cast<long long>(kc));
  }
  std::printf("  shape\n");
  struct Shape {
    int64_t m, n, k;
    const char* what;
  };
  const std::vector<Shape> shapes = {
      {1024, 1024, 1024, "square"},          {2048, 2048, 2048, "square, large"},
      {256, 3136, 576, "ResNet-50 3x3 @56"}, {512, 784, 1152, "ResNet-50 3x3 @28"},
      {1024, 196, 256, "ResNet-50 1x1 @14"}, {2048, 49, 512, "ResNet-50 1x1 @7"},
  };
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> dist(-1, 1);
  for (const Shape& s : shapes) {
    Floats a(s.m * s.k), b(s.k * s.n), c(s.m * s.n);
    for (float& x : a) x = dist(rng);
    for (float& x : b) x = dist(rng);
    struct Run {
      const cpu::GemmUkernel* uk;
      Floats a_packed;
      std::vector<double> ms;
      cpu::GemmBlocking blocking;
    };
    std::vector<Run> runs;
    int64_t panel_floats = 0;
    for (const cpu::GemmUkernel* uk : kernels) {
      std::vector<cpu::GemmBlocking> blockings = {cpu::gemm_blocking(*uk, s.k, s.n)};
      if (kc > 0) blockings.push_back(cpu::gemm_blocking_of(*uk, s.k, s.n, kc));
      for (const cpu::GemmBlocking& bl : blockings) {
        runs.push_back({uk, Floats(cpu::round_up(s.m, uk->mr) * s.k), {}, bl});
        cpu::pack_a(a.data(), s.k, s.m, s.k, uk->mr, runs.back().a_packed.data());
        panel_floats = std::max(panel_floats, bl.scratch_floats(uk->nr));
      }
    }
    // B packed as a conv tactic packs its input: per panel, right before use, into the 64-byte
    // aligned workspace (a B panel whose vectors straddle cache lines halves the microkernel's load
    // bandwidth).
    Floats scratch_store(panel_floats * threads);
    float* scratch = scratch_store.data();
    const cpu::Epilogue ep;
    auto run = [&](Run& r) {
      const cpu::GemmUkernel& uk = *r.uk;
      cpu::gemm_run(
          uk, pool, s.m, s.n, s.k, r.a_packed.data(),
          [&](int64_t n0, int64_t k0, int64_t k1, float* panel) -> const float* {
            cpu::pack_b_panel(b.data() + k0 * s.n, s.n, k1 - k0, s.n, n0, uk.nr, panel);
            return panel;
          },
          c.data(), s.n, ep, scratch, &r.blocking);
    };
    for (Run& r : runs) run(r);
    const auto start = Clock::now();
    while (runs[0].ms.size() < 5 ||
           std::chrono::duration<double>(Clock::now() - start).count() < seconds * runs.size()) {
      for (Run& r : runs) {
        const auto t0 = Clock::now();
        run(r);
        r.ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      }
    }
    char shape[64];
    std::snprintf(shape, sizeof shape, "%lldx%lldx%lld", static_cast<long long>(s.m),
                  static_cast<long long>(s.n), static_cast<long long>(s.k));
    std::printf("%-16s", shape);
    for (Run& r : runs) {
      const double gflops = 2.0 * s.m * s.n * s.k / (median(r.ms) * 1e6);
      std::printf("   %6.1f %5.1f%%", gflops, 100 * gflops / ceiling);
    }
    std::printf("   %s\n", s.what);
  }
  return 0;
}
