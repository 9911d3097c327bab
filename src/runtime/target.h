// The machine a plan is built for: CPU architecture and ISA features (and the thread count it was
// tuned for). A plan refuses to load where the features differ.
#pragma once

#include <cstdint>
#include <string>

namespace kiln::runtime {

enum CpuFeature : uint64_t {
  kSse42 = 1u << 0,
  kAvx = 1u << 1,
  kAvx2 = 1u << 2,
  kFma = 1u << 3,
  kF16c = 1u << 4,
  kAvx512f = 1u << 5,
  kAvx512bw = 1u << 6,
  kAvx512vl = 1u << 7,
  kAvx512dq = 1u << 8,
  kAvx512vnni = 1u << 9,
  kAvx512bf16 = 1u << 10,
  kAvxVnni = 1u << 11,
  kAmxBf16 = 1u << 12,  // AMX-TILE + AMX-BF16 with the tile state enabled by the OS
};

struct Target {
  std::string arch;       // "x86_64"
  uint64_t features = 0;  // CpuFeature bits
  std::string cpu_name;   // brand string, informational
  int threads = 1;        // the thread count the plan was tuned for
};

/// The machine we are running on (threads as given).
Target detect_target(int threads);
/// Names of the set feature bits, e.g. "avx2 fma avx512f".
std::string feature_names(uint64_t features);
/// Empty when a plan built for `built` can run on `here`; otherwise says what differs.
std::string target_mismatch(const Target& built, const Target& here);

}  // namespace kiln::runtime
