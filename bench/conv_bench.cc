// Blocked convolution microbenchmark: kiln's direct, quad (pointwise, AVX-512), AMX bf16x3,
// Winograd and depthwise kernels on the blocked layout (NCHW16c / NCHW8c) over the layer shapes
// of ResNet-50 and MobileNetV2, against the machine's measured FMA ceiling.
//
//   kiln_conv_bench [--threads T] [--seconds S] [--filter SUBSTRING] [--cold 1]
//
// --cold 1: every run starts with its weights, input and output out of the caches (64 MB written
// before it, untimed), as a layer deep in a model meets them; without it they stay warm.
//
// For each layer: median milliseconds over runs of at least S seconds, GFLOP/s and the share of
// the FMA ceiling (`kiln peak`'s loop, measured in the same run); where the quad kernel applies,
// its runs alternate with the direct kernel's and its median follows, as does the AMX bf16x3
// kernel's (cpu/kernels/blocked_amx.h) where AMX is usable (its share: of the FP32 FMA ceiling),
// and Winograd F(2x2, 3x3)'s and F(4x4, 3x3)'s on 3x3 stride-1 layers (their share: of the direct
// FLOPs, so above 100% is what the fewer multiplies buy).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "cpu/amx.h"
#include "cpu/isa.h"
#include "cpu/kernels/blocked_amx.h"
#include "cpu/kernels/blocked_conv.h"
#include "cpu/kernels/blocked_winograd.h"
#include "ops/activation.h"
#include "profile/peak.h"

namespace {

using Clock = std::chrono::steady_clock;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

struct Layer {
  const char* name;
  int64_t in_c, hw, out_c, k, stride, group;
  bool planar = false;  // a network's first layer: the NCHW image in, blocked out
  // The fused activation: ReLU, or the network's own where its constants change the tiles' code
  // (SiLU's sigmoid spilled the 1x1 tiles' sums once, unseen behind ReLU: YOLOX-S 20-30% slower).
  kiln::ops::Activation act = kiln::ops::Activation::kRelu;
};

// 64-byte aligned floats, uniform in [-1, 1].
struct Buffer {
  float* p = nullptr;
  explicit Buffer(int64_t n, std::mt19937& rng) {
    p = static_cast<float*>(std::aligned_alloc(64, ((std::max<int64_t>(n, 1) * 4 + 63) / 64) * 64));
    std::uniform_real_distribution<float> dist(-1, 1);
    for (int64_t i = 0; i < n; ++i) p[i] = dist(rng);
  }
  ~Buffer() { std::free(p); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
};

}  // namespace

int main(int argc, char** argv) {
  using namespace kiln;
  int threads = 1;
  double seconds = 0.3;
  std::string filter;
  bool cold = false;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--cold") == 0) cold = std::atoi(argv[i + 1]) != 0;
    if (std::strcmp(argv[i], "--threads") == 0) threads = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--seconds") == 0) seconds = std::atof(argv[i + 1]);
    if (std::strcmp(argv[i], "--filter") == 0) filter = argv[i + 1];
  }
  std::vector<char> flush(cold ? 64 << 20 : 0, 0);  // written before each run with --cold
  const cpu::BlockedConvKernel* k = cpu::blocked_conv_kernel(cpu::host_isa());
  if (!k) {
    std::fprintf(stderr, "kiln_conv_bench: this CPU has neither AVX-512 nor AVX2+FMA\n");
    return 1;
  }
  cpu::ThreadPool pool(threads);
  const double ceiling = profile::measure_fma_gflops(threads, 0.5).per_cpu;
  std::printf("isa %s  block %d  threads %d  FMA ceiling %.1f GFLOP/s\n", cpu::isa_name(k->isa), k->block,
              threads, ceiling);
  std::printf("%-22s %-26s %10s %10s %8s %10s %8s %10s %8s %10s %8s %10s %8s\n", "layer", "in -> out, kernel",
              "median ms", "GFLOP/s", "ceiling", "quad ms", "ceiling", "amx ms", "ceiling", "wino2 ms",
              "ceiling", "wino4 ms", "ceiling");
  const std::vector<Layer> layers = {
      {"r50 l1 1x1 256>64", 256, 56, 64, 1, 1, 1},
      {"r50 l1 1x1 64>256", 64, 56, 256, 1, 1, 1},
      {"r50 l1 1x1 64>64", 64, 56, 64, 1, 1, 1},
      {"r50 l2 1x1 512>128", 512, 28, 128, 1, 1, 1},
      {"r50 l2 1x1 128>512", 128, 28, 512, 1, 1, 1},
      {"r50 l3 1x1 1024>256", 1024, 14, 256, 1, 1, 1},
      {"r50 l3 1x1 256>1024", 256, 14, 1024, 1, 1, 1},
      {"r50 l4 1x1 2048>512", 2048, 7, 512, 1, 1, 1},
      {"r50 l4 1x1 512>2048", 512, 7, 2048, 1, 1, 1},
      {"r50 l2 down s2", 256, 56, 512, 1, 2, 1},
      {"r50 l4 down s2", 1024, 14, 2048, 1, 2, 1},
      {"r50 l2 3x3 s2", 128, 56, 128, 3, 2, 1},
      {"r50 l4 3x3 s2", 256, 14, 256, 3, 2, 1},
      {"r50 l1 3x3 @56", 64, 56, 64, 3, 1, 1},
      {"r50 l2 3x3 @28", 128, 28, 128, 3, 1, 1},
      {"r50 l3 3x3 @14", 256, 14, 256, 3, 1, 1},
      {"r50 l4 3x3 @7", 512, 7, 512, 3, 1, 1},
      {"mv2 1x1 16>96 @112", 16, 112, 96, 1, 1, 1},
      {"mv2 1x1 24>144 @56", 24, 56, 144, 1, 1, 1},
      {"mv2 1x1 144>24 @56", 144, 56, 24, 1, 1, 1},
      {"mv2 1x1 32>192 @28", 32, 28, 192, 1, 1, 1},
      {"mv2 1x1 192>32 @28", 192, 28, 32, 1, 1, 1},
      {"mv2 1x1 96>576 @14", 96, 14, 576, 1, 1, 1},
      {"mv2 1x1 576>96 @14", 576, 14, 96, 1, 1, 1},
      {"mv2 1x1 160>960 @7", 160, 7, 960, 1, 1, 1},
      {"mv2 1x1 960>160 @7", 960, 7, 160, 1, 1, 1},
      {"mv2 dw 3x3 96 @112 s2", 96, 112, 96, 3, 2, 96},
      {"mv2 dw 3x3 144 @56", 144, 56, 144, 3, 1, 144},
      {"mv2 dw 3x3 576 @14", 576, 14, 576, 3, 1, 576},
      {"mv2 dw 3x3 192 @28", 192, 28, 192, 3, 1, 192},
      {"mv2 dw 3x3 960 @7", 960, 7, 960, 3, 1, 960},
      {"mv2 dw 3x3 576 @14 s2", 576, 14, 576, 3, 2, 576},
      {"r50 stem 7x7 s2", 3, 224, 64, 7, 2, 1, true},
      {"mv2 stem 3x3 s2", 3, 224, 32, 3, 2, 1, true},
      {"yolox stem 12>32", 12, 320, 32, 3, 1, 1, false, ops::Activation::kSiLU},
      {"yolox stem 12>32 planar", 12, 320, 32, 3, 1, 1, true, ops::Activation::kSiLU},
      {"yolox 1x1 64>64 @80 silu", 64, 80, 64, 1, 1, 1, false, ops::Activation::kSiLU},
      {"yolox 1x1 128>128 @80 silu", 128, 80, 128, 1, 1, 1, false, ops::Activation::kSiLU},
      {"yolox 3x3 64>64 @80 silu", 64, 80, 64, 3, 1, 1, false, ops::Activation::kSiLU},
      {"yolox 3x3 s2 64>128 @160 silu", 64, 160, 128, 3, 2, 1, false, ops::Activation::kSiLU},
  };
  std::mt19937 rng(1);
  const int64_t b = k->block;
  for (const Layer& l : layers) {
    if (!filter.empty() && std::string(l.name).find(filter) == std::string::npos) continue;
    cpu::Conv2dShape s;
    s.in_c = l.in_c, s.in_h = s.in_w = l.hw, s.out_c = l.out_c, s.group = l.group;
    s.kh = s.kw = l.k, s.sh = s.sw = l.stride;
    s.pad_top = s.pad_left = l.k / 2;
    s.out_h = s.out_w = (l.hw + 2 * (l.k / 2) - l.k) / l.stride + 1;
    const bool dw = s.depthwise();
    const int64_t icb = (s.in_c + b - 1) / b, ocb = (s.out_c + b - 1) / b;
    Buffer x((l.planar ? s.in_c : icb * b) * l.hw * l.hw, rng), y(ocb * b * s.out_h * s.out_w, rng);
    Buffer w(s.out_c * (s.in_c / s.group) * l.k * l.k, rng), bias(s.out_c, rng);
    Buffer packed(
        dw ? cpu::blocked_depthwise_packed_floats(*k, s) : cpu::blocked_direct_packed_floats(*k, s, l.planar),
        rng);
    Buffer scratch(dw ? 0 : k->direct_scratch_floats(s, l.planar), rng);
    const bool quad = k->direct_quad && !dw && !l.planar && s.pointwise();
    Buffer quad_packed(quad ? cpu::blocked_direct_packed_floats(*k, s, false) : 0, rng);
    if (dw)
      cpu::blocked_depthwise_pack(*k, s, w.p, bias.p, packed.p);
    else
      cpu::blocked_direct_pack(*k, s, l.planar, w.p, bias.p, packed.p);
    if (quad) cpu::blocked_quad_pack(*k, s, w.p, bias.p, quad_packed.p);
    const bool amx = !dw && !l.planar && k->block == 16 && cpu::amx_usable();
    Buffer amx_packed(amx ? cpu::blocked_amx_packed_floats(s) : 0, rng);
    Buffer amx_scratch(amx ? cpu::blocked_amx_scratch_floats(s, threads) : 0, rng);
    if (amx) cpu::blocked_amx_pack(s, w.p, bias.p, amx_packed.p);
    cpu::Epilogue ep;
    ep.activation = static_cast<int>(l.act);
    const bool wino = !dw && !l.planar && cpu::blocked_winograd_supports(s);
    Buffer wino_packed[2] = {Buffer(wino ? cpu::blocked_winograd_packed_floats(*k, s, 2) : 0, rng),
                             Buffer(wino ? cpu::blocked_winograd_packed_floats(*k, s, 4) : 0, rng)};
    Buffer wino_scratch(wino ? std::max(cpu::blocked_winograd_scratch_floats(*k, s, 2),
                                        cpu::blocked_winograd_scratch_floats(*k, s, 4))
                             : 0,
                        rng);
    if (wino)
      for (int i = 0; i < 2; ++i) cpu::blocked_winograd_pack(*k, s, 2 + 2 * i, w.p, bias.p, wino_packed[i].p);
    const cpu::BlockedWinogradKernel* wk = cpu::blocked_winograd_kernel(k->isa);
    enum Kernel { kDirect, kQuad, kAmx, kWino2, kWino4, kKernels };
    auto run = [&](int kernel) {
      if (dw)
        k->depthwise(pool, s, x.p, packed.p, y.p, ep);
      else if (kernel == kQuad)
        k->direct_quad(pool, s, false, x.p, quad_packed.p, y.p, ep, nullptr);
      else if (kernel == kWino2 || kernel == kWino4)
        wk->run(pool, kernel == kWino2 ? 2 : 4, s, x.p, wino_packed[kernel - kWino2].p, y.p, ep,
                wino_scratch.p);
      else if (kernel == kAmx)
        cpu::blocked_amx_conv(pool, s, x.p, amx_packed.p, y.p, ep, amx_scratch.p);
      else
        k->direct(pool, s, l.planar, x.p, packed.p, y.p, ep, scratch.p);
    };
    const bool runs[kKernels] = {true, quad, amx, wino, wino};
    std::vector<double> times[kKernels];
    for (int kernel = 0; kernel < kKernels; ++kernel)
      if (runs[kernel]) run(kernel);
    const auto start = Clock::now();
    while (times[0].size() < 5 || std::chrono::duration<double>(Clock::now() - start).count() < seconds) {
      for (int kernel = 0; kernel < kKernels; ++kernel) {
        if (!runs[kernel]) continue;
        if (cold) std::fill(flush.begin(), flush.end(), static_cast<char>(flush[0] + 1));
        const auto t0 = Clock::now();
        run(kernel);
        times[kernel].push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      }
    }
    const double med = median(times[kDirect]);
    const double flop = 2.0 * s.out_c * s.out_h * s.out_w * (s.in_c / s.group) * l.k * l.k;
    const double gflops = flop / (med * 1e6);
    char shape[64];
    std::snprintf(shape, sizeof shape, "%lld>%lld %lldx%lld s%lld @%lld", static_cast<long long>(l.in_c),
                  static_cast<long long>(l.out_c), static_cast<long long>(l.k), static_cast<long long>(l.k),
                  static_cast<long long>(l.stride), static_cast<long long>(l.hw));
    std::printf("%-22s %-26s %10.3f %10.1f %7.1f%%", l.name, shape, med, gflops, 100 * gflops / ceiling);
    for (int kernel : {kQuad, kAmx, kWino2, kWino4}) {
      if (runs[kernel]) {
        const double m = median(times[kernel]);
        std::printf(" %10.3f %7.1f%%", m, 100 * flop / (m * 1e6) / ceiling);
      } else {
        std::printf(" %10s %8s", "-", "-");
      }
    }
    std::printf("\n");
  }
  return 0;
}
