#include "runtime/target.h"

#include <cpuid.h>

#include <cstring>

namespace kiln::runtime {

namespace {
struct Named {
  uint64_t bit;
  const char* name;
};
constexpr Named kNames[] = {{kSse42, "sse4.2"},
                            {kAvx, "avx"},
                            {kAvx2, "avx2"},
                            {kFma, "fma"},
                            {kF16c, "f16c"},
                            {kAvx512f, "avx512f"},
                            {kAvx512bw, "avx512bw"},
                            {kAvx512vl, "avx512vl"},
                            {kAvx512dq, "avx512dq"},
                            {kAvx512vnni, "avx512vnni"},
                            {kAvx512bf16, "avx512bf16"},
                            {kAvxVnni, "avxvnni"},
                            {kAmxBf16, "amx-bf16"}};

uint64_t xgetbv0() {
  uint32_t eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<uint64_t>(edx) << 32) | eax;
}
}  // namespace

Target detect_target(int threads) {
  Target t;
  t.arch = "x86_64";
  t.threads = threads;
  unsigned a, b, c, d;
  if (__get_cpuid(1, &a, &b, &c, &d)) {
    if (c & bit_SSE4_2) t.features |= kSse42;
    if (c & bit_F16C) t.features |= kF16c;
    bool osxsave = (c & bit_OSXSAVE) != 0;
    uint64_t xcr0 = osxsave ? xgetbv0() : 0;
    bool ymm = (xcr0 & 0x6) == 0x6, zmm = (xcr0 & 0xe6) == 0xe6;
    if ((c & bit_AVX) && ymm) t.features |= kAvx;
    if ((c & bit_FMA) && ymm) t.features |= kFma;
    if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
      if ((b & bit_AVX2) && ymm) t.features |= kAvx2;
      if (zmm) {
        if (b & bit_AVX512F) t.features |= kAvx512f;
        if (b & bit_AVX512BW) t.features |= kAvx512bw;
        if (b & bit_AVX512VL) t.features |= kAvx512vl;
        if (b & bit_AVX512DQ) t.features |= kAvx512dq;
        if (c & bit_AVX512VNNI) t.features |= kAvx512vnni;
      }
      const bool tiles = (xcr0 & (3u << 17)) == (3u << 17);  // XTILECFG and XTILEDATA
      if (tiles && (d & (1u << 24)) && (d & (1u << 22))) t.features |= kAmxBf16;
    }
    if (__get_cpuid_count(7, 1, &a, &b, &c, &d)) {
      if ((a & (1u << 5)) && zmm) t.features |= kAvx512bf16;
      if ((a & (1u << 4)) && ymm) t.features |= kAvxVnni;
    }
  }
  char brand[49] = {};
  unsigned* w = reinterpret_cast<unsigned*>(brand);
  if (__get_cpuid(0x80000000, &a, &b, &c, &d) && a >= 0x80000004) {
    for (unsigned leaf = 0; leaf < 3; ++leaf)
      __get_cpuid(0x80000002 + leaf, &w[leaf * 4], &w[leaf * 4 + 1], &w[leaf * 4 + 2], &w[leaf * 4 + 3]);
  }
  t.cpu_name = brand;
  while (!t.cpu_name.empty() && t.cpu_name.back() == ' ') t.cpu_name.pop_back();
  return t;
}

std::string feature_names(uint64_t features) {
  std::string s;
  for (const auto& n : kNames)
    if (features & n.bit) (s.empty() ? s : s.append(" ")).append(n.name);
  return s.empty() ? "none" : s;
}

std::string target_mismatch(const Target& built, const Target& here) {
  if (built.arch != here.arch) return "the plan is for " + built.arch + ", this machine is " + here.arch;
  if (built.features != here.features) {
    uint64_t missing = built.features & ~here.features;
    uint64_t extra = here.features & ~built.features;
    std::string m = "the plan was built for CPU features [" + feature_names(built.features) + "] (" +
                    built.cpu_name + ") but this CPU has [" + feature_names(here.features) + "]";
    if (missing) m += "; missing here: " + feature_names(missing);
    if (extra) m += "; not used by the plan: " + feature_names(extra);
    return m + ". Rebuild the plan on this machine with `kiln build`.";
  }
  return {};
}

}  // namespace kiln::runtime
