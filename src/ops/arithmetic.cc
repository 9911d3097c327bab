// Add, Sub, Mul, Div with NumPy broadcasting. Integers wrap on overflow; integer Div truncates
// toward zero like C, and division by zero gives 0 (as NumPy does) instead of trapping.
#include "ops/elementwise.h"

namespace kiln::ops {
namespace {

struct Add {
  static constexpr TypeSet kTypes = TypeSet::kNumeric;
  template <typename C>
  C operator()(C a, C b) const {
    return add(a, b);
  }
};

struct Sub {
  static constexpr TypeSet kTypes = TypeSet::kNumeric;
  template <typename C>
  C operator()(C a, C b) const {
    return sub(a, b);
  }
};

struct Mul {
  static constexpr TypeSet kTypes = TypeSet::kNumeric;
  template <typename C>
  C operator()(C a, C b) const {
    return mul(a, b);
  }
};

struct Div {
  static constexpr TypeSet kTypes = TypeSet::kNumeric;
  template <typename C>
  C operator()(C a, C b) const {
    if constexpr (is_int_v<C>) {
      if (b == 0) return 0;
      if constexpr (std::is_signed_v<C>) {
        if (b == -1) return neg(a);  // the lowest value divided by -1 overflows
      }
    }
    return a / b;
  }
};

}  // namespace

KILN_REGISTER_OP({.op_type = "Add", .infer = infer_binary<Add>, .reference = run_binary<Add>, .memory = Memory::kInPlace});
KILN_REGISTER_OP({.op_type = "Sub", .infer = infer_binary<Sub>, .reference = run_binary<Sub>, .memory = Memory::kInPlace});
KILN_REGISTER_OP({.op_type = "Mul", .infer = infer_binary<Mul>, .reference = run_binary<Mul>, .memory = Memory::kInPlace});
KILN_REGISTER_OP({.op_type = "Div", .infer = infer_binary<Div>, .reference = run_binary<Div>, .memory = Memory::kInPlace});

}  // namespace kiln::ops
