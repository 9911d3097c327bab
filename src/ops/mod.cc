// Mod, broadcasting. With fmod=0 (the default) the result takes the divisor's sign, like Python's
// %; with fmod=1 it takes the dividend's, like C's fmod and %. An integer divisor of 0 gives 0
// (as NumPy does) instead of trapping.
#include "ops/elementwise.h"

namespace kiln::ops {
namespace {

struct Mod {
  static constexpr TypeSet kTypes = TypeSet::kNumeric;
  int64_t fmod;
  explicit Mod(const ir::Node& n) : fmod(n.attr_int("fmod", 0)) {}
  Status check(const ir::Node& n) const {
    if (fmod == 0 || fmod == 1) return Status::ok();
    return invalid_argument(n.describe() + ": fmod is " + std::to_string(fmod) + "; it must be 0 or 1");
  }
  template <typename C>
  C operator()(C a, C b) const {
    C r;
    if constexpr (is_float_v<C>) {
      r = std::fmod(a, b);
    } else {
      if (b == 0) return 0;
      if constexpr (std::is_signed_v<C>) {
        if (b == -1) return 0;  // the lowest value % -1 overflows in C++
      }
      r = static_cast<C>(a % b);
    }
    if constexpr (std::is_signed_v<C>) {
      if (fmod == 0 && r != 0 && ((r < 0) != (b < 0))) r = static_cast<C>(r + b);
    }
    return r;
  }
};

}  // namespace

KILN_REGISTER_OP({.op_type = "Mod", .infer = infer_binary<Mod>, .reference = run_binary<Mod>});

}  // namespace kiln::ops
