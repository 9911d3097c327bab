// GEMM microbenchmark: kiln's packed AVX-512 / AVX2 GEMM (the microkernel every conv and gemm
// tactic ends in) against the machine's measured FMA ceiling, single core and all threads.
//
//   kiln_gemm_bench [--threads T] [--seconds S]
//
// For each shape: median GFLOP/s over runs of at least S seconds in all, and the share of the FMA
// ceiling (`kiln peak`'s loop, measured here in the same run).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "cpu/kernels/gemm_driver.h"
#include "profile/peak.h"

namespace {

using Clock = std::chrono::steady_clock;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  using namespace kiln;
  int threads = 1;
  double seconds = 1.0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--threads") == 0) threads = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--seconds") == 0) seconds = std::atof(argv[i + 1]);
  }
  const cpu::GemmUkernel* uk = cpu::gemm_ukernel(cpu::host_isa());
  if (!uk) {
    std::fprintf(stderr, "kiln_gemm_bench: this CPU has neither AVX-512 nor AVX2+FMA\n");
    return 1;
  }
  cpu::ThreadPool pool(threads);
  const double ceiling = profile::measure_fma_gflops(threads, seconds).per_cpu;
  std::printf("isa %s  microkernel %dx%d  threads %d  FMA ceiling %.1f GFLOP/s\n", cpu::isa_name(uk->isa),
              uk->mr, uk->nr, threads, ceiling);
  std::printf("%-28s %10s %10s %8s\n", "shape (M x N x K)", "median ms", "GFLOP/s", "ceiling");
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
    std::vector<float> a(s.m * s.k), b(s.k * s.n), c(s.m * s.n);
    for (float& x : a) x = dist(rng);
    for (float& x : b) x = dist(rng);
    std::vector<float> a_packed(cpu::round_up(s.m, uk->mr) * s.k);
    cpu::pack_a(a.data(), s.k, s.m, s.k, uk->mr, a_packed.data());
    // B packed as a conv tactic packs its input: per panel, right before use.
    std::vector<float> scratch(cpu::gemm_panel_floats(*uk, s.k) * threads + 16);
    const cpu::Epilogue ep;
    auto run = [&] {
      cpu::gemm_run(
          *uk, pool, s.m, s.n, s.k, a_packed.data(),
          [&](int64_t n0, float* panel) -> const float* {
            cpu::pack_b_panel(b.data(), s.n, s.k, s.n, n0, uk->nr, panel);
            return panel;
          },
          c.data(), s.n, ep, scratch.data());
    };
    run();
    std::vector<double> ms;
    auto start = Clock::now();
    while (ms.size() < 5 || std::chrono::duration<double>(Clock::now() - start).count() < seconds) {
      auto t0 = Clock::now();
      run();
      ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    }
    const double med = median(ms);
    const double gflops = 2.0 * s.m * s.n * s.k / (med * 1e6);
    char shape[64];
    std::snprintf(shape, sizeof shape, "%lldx%lldx%lld", static_cast<long long>(s.m),
                  static_cast<long long>(s.n), static_cast<long long>(s.k));
    std::printf("%-28s %10.3f %10.1f %7.1f%%   %s\n", shape, med, gflops, 100 * gflops / ceiling, s.what);
  }
  return 0;
}
