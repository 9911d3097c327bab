// Which SIMD instruction set the CPU kernels use. Chosen once from cpuid (or from the plan's target):
// tactics are compiled per ISA in their own files with that ISA's flags and only run where cpuid
// says the instructions exist.
#pragma once

#include <cstdint>

namespace kiln::cpu {

enum class Isa : uint8_t {
  kGeneric,  // portable C++ (no fast tactics)
  kAvx2,     // AVX2 + FMA
  kAvx512,   // AVX-512 F/BW/VL/DQ
};

const char* isa_name(Isa isa);
/// The best ISA the given runtime::CpuFeature bits allow.
Isa isa_from_features(uint64_t features);
/// The best ISA of this machine (cpuid), unless KILN_ISA=generic|avx2|avx512 caps it.
Isa host_isa();
/// This machine's per-core L2 cache in bytes (the C library's report, kept in [256 KiB, 4 MiB];
/// 1 MiB where it has none): cache blocks are sized from it.
int64_t l2_cache_bytes();
/// This machine's per-core L1 data cache in bytes (kept in [16 KiB, 128 KiB]; 32 KiB where the C
/// library has no report).
int64_t l1_cache_bytes();

/// A kernel family's dispatch: calls the AVX-512 or the AVX2 getter (each defined in a file
/// compiled for its ISA) with `args`; nullptr for Isa::kGeneric.
template <typename Getter, typename... Args>
auto by_isa(Isa isa, Getter avx512, Getter avx2, Args... args) -> decltype(avx512(args...)) {
  switch (isa) {
    case Isa::kAvx512:
      return avx512(args...);
    case Isa::kAvx2:
      return avx2(args...);
    case Isa::kGeneric:
      break;
  }
  return nullptr;
}

}  // namespace kiln::cpu
