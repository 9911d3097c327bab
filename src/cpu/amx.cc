#include "cpu/amx.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "cpu/isa.h"
#include "runtime/target.h"

namespace kiln::cpu {
namespace {

constexpr long kArchReqXcompPerm = 0x1023;  // arch_prctl: ask for an extended state component
constexpr long kXfeatureXtiledata = 18;     // the AMX tile data (8 KiB per thread)

}  // namespace

bool amx_usable() {
  static const bool usable = [] {
    if (const char* env = std::getenv("KILN_AMX"); env && std::strcmp(env, "0") == 0) return false;
    const uint64_t need = runtime::kAmxBf16 | runtime::kAvx512bf16;
    if (host_isa() != Isa::kAvx512 || (runtime::detect_target(1).features & need) != need) return false;
    return syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0;
  }();
  return usable;
}

}  // namespace kiln::cpu
