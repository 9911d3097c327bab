// Equal, Greater, Less, GreaterOrEqual, LessOrEqual: broadcasting comparisons with a bool output.
// A NaN compares unequal and unordered to everything, as in IEEE arithmetic.
#include "ops/elementwise.h"

namespace kiln::ops {
namespace {

struct Equal {
  static constexpr TypeSet kTypes = TypeSet::kAll;
  static constexpr bool kBoolOutput = true;
  template <typename C>
  bool operator()(C a, C b) const {
    return a == b;
  }
};

struct Greater {
  static constexpr TypeSet kTypes = TypeSet::kNumeric;
  static constexpr bool kBoolOutput = true;
  template <typename C>
  bool operator()(C a, C b) const {
    return a > b;
  }
};

struct Less {
  static constexpr TypeSet kTypes = TypeSet::kNumeric;
  static constexpr bool kBoolOutput = true;
  template <typename C>
  bool operator()(C a, C b) const {
    return a < b;
  }
};

struct GreaterOrEqual {
  static constexpr TypeSet kTypes = TypeSet::kNumeric;
  static constexpr bool kBoolOutput = true;
  template <typename C>
  bool operator()(C a, C b) const {
    return a >= b;
  }
};

struct LessOrEqual {
  static constexpr TypeSet kTypes = TypeSet::kNumeric;
  static constexpr bool kBoolOutput = true;
  template <typename C>
  bool operator()(C a, C b) const {
    return a <= b;
  }
};

}  // namespace

KILN_REGISTER_OP({.op_type = "Equal", .infer = infer_binary<Equal>, .reference = run_binary<Equal>});
KILN_REGISTER_OP({.op_type = "Greater", .infer = infer_binary<Greater>, .reference = run_binary<Greater>});
KILN_REGISTER_OP({.op_type = "Less", .infer = infer_binary<Less>, .reference = run_binary<Less>});
KILN_REGISTER_OP({.op_type = "GreaterOrEqual",
                  .infer = infer_binary<GreaterOrEqual>,
                  .reference = run_binary<GreaterOrEqual>});
KILN_REGISTER_OP({.op_type = "LessOrEqual",
                  .infer = infer_binary<LessOrEqual>,
                  .reference = run_binary<LessOrEqual>});

}  // namespace kiln::ops
