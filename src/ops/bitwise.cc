// The bitwise ops on integer tensors (opset 18): BitwiseAnd, BitwiseOr, BitwiseXor (broadcasting)
// and BitwiseNot.
#include "ops/elementwise.h"

namespace kiln::ops {
namespace {

struct BitwiseAnd {
  static constexpr TypeSet kTypes = TypeSet::kInteger;
  template <typename C>
  C operator()(C a, C b) const {
    return static_cast<C>(a & b);
  }
};

struct BitwiseOr {
  static constexpr TypeSet kTypes = TypeSet::kInteger;
  template <typename C>
  C operator()(C a, C b) const {
    return static_cast<C>(a | b);
  }
};

struct BitwiseXor {
  static constexpr TypeSet kTypes = TypeSet::kInteger;
  template <typename C>
  C operator()(C a, C b) const {
    return static_cast<C>(a ^ b);
  }
};

struct BitwiseNot {
  static constexpr TypeSet kTypes = TypeSet::kInteger;
  template <typename C>
  C operator()(C x) const {
    return static_cast<C>(~x);
  }
};

}  // namespace

KILN_REGISTER_OP({.op_type = "BitwiseAnd",
                  .infer = infer_binary<BitwiseAnd>,
                  .reference = run_binary<BitwiseAnd>});
KILN_REGISTER_OP({.op_type = "BitwiseOr",
                  .infer = infer_binary<BitwiseOr>,
                  .reference = run_binary<BitwiseOr>});
KILN_REGISTER_OP({.op_type = "BitwiseXor",
                  .infer = infer_binary<BitwiseXor>,
                  .reference = run_binary<BitwiseXor>});
KILN_REGISTER_OP({.op_type = "BitwiseNot",
                  .infer = infer_unary<BitwiseNot>,
                  .reference = run_unary<BitwiseNot>});

}  // namespace kiln::ops
