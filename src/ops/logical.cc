// The logical ops on bool tensors: And, Or, Xor (broadcasting) and Not.
#include "ops/elementwise.h"

namespace kiln::ops {
namespace {

struct And {
  static constexpr TypeSet kTypes = TypeSet::kBool;
  bool operator()(bool a, bool b) const { return a && b; }
};

struct Or {
  static constexpr TypeSet kTypes = TypeSet::kBool;
  bool operator()(bool a, bool b) const { return a || b; }
};

struct Xor {
  static constexpr TypeSet kTypes = TypeSet::kBool;
  bool operator()(bool a, bool b) const { return a != b; }
};

struct Not {
  static constexpr TypeSet kTypes = TypeSet::kBool;
  bool operator()(bool x) const { return !x; }
};

}  // namespace

KILN_REGISTER_OP({.op_type = "And", .infer = infer_binary<And>, .reference = run_binary<And>});
KILN_REGISTER_OP({.op_type = "Or", .infer = infer_binary<Or>, .reference = run_binary<Or>});
KILN_REGISTER_OP({.op_type = "Xor", .infer = infer_binary<Xor>, .reference = run_binary<Xor>});
KILN_REGISTER_OP({.op_type = "Not", .infer = infer_unary<Not>, .reference = run_unary<Not>});

}  // namespace kiln::ops
