#include "cpu/isa.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "runtime/target.h"

namespace kiln::cpu {

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::kGeneric:
      return "generic";
    case Isa::kAvx2:
      return "avx2";
    case Isa::kAvx512:
      return "avx512";
  }
  return "?";
}

Isa isa_from_features(uint64_t f) {
  using namespace runtime;
  const uint64_t avx512 = kAvx512f | kAvx512bw | kAvx512vl | kAvx512dq | kAvx2 | kFma;
  if ((f & avx512) == avx512) return Isa::kAvx512;
  if ((f & (kAvx2 | kFma)) == (kAvx2 | kFma)) return Isa::kAvx2;
  return Isa::kGeneric;
}

Isa host_isa() {
  static const Isa isa = [] {
    Isa best = isa_from_features(runtime::detect_target(1).features);
    // A cap for testing the narrower kernels on a wider machine; never raises the ISA.
    if (const char* env = std::getenv("KILN_ISA")) {
      Isa cap = std::strcmp(env, "generic") == 0 ? Isa::kGeneric
                : std::strcmp(env, "avx2") == 0  ? Isa::kAvx2
                                                 : Isa::kAvx512;
      if (cap < best) best = cap;
    }
    return best;
  }();
  return isa;
}

namespace {
// A cache's size as the C library reports it (sysconf `name`), kept in [lo, hi]; `fallback` where
// it has none.
int64_t cache_bytes(int name, int64_t lo, int64_t hi, int64_t fallback) {
  const long reported = ::sysconf(name);
  return reported > 0 ? std::clamp<int64_t>(reported, lo, hi) : fallback;
}
}  // namespace

int64_t l2_cache_bytes() {
  static const int64_t bytes = cache_bytes(_SC_LEVEL2_CACHE_SIZE, 256 << 10, 4 << 20, 1 << 20);
  return bytes;
}

int64_t l1_cache_bytes() {
  static const int64_t bytes = cache_bytes(_SC_LEVEL1_DCACHE_SIZE, 16 << 10, 128 << 10, 32 << 10);
  return bytes;
}

}  // namespace kiln::cpu
