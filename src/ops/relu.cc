// Relu: y = max(x, 0). The smallest complete op, and the template for the others.
#include "ops/elementwise.h"

namespace kiln::ops {
namespace {

// Floats, and signed integers since opset 14.
constexpr TypeSet kTypes = TypeSet::kSignedNumeric;

Status run(RunContext& ctx) {
  if (!ctx.has_input(0)) return ctx.error("input 0 is missing");
  const Tensor& x = ctx.input(0);
  KILN_RETURN_IF_ERROR(check_type(ctx.node, 0, x.dtype(), kTypes));
  Tensor& y = ctx.allocate_output(0, x.dtype(), x.shape());
  visit_dtype(x.dtype(), [&]<typename T>() {
    if constexpr (type_in_set<T>(kTypes)) {
      const T* src = x.data<T>();
      T* dst = y.data<T>();
      for (int64_t i = 0; i < x.numel(); ++i) dst[i] = static_cast<compute_t<T>>(src[i]) > 0 ? src[i] : T(0);
    }
  });
  return Status::ok();
}

}  // namespace

KILN_REGISTER_OP({.op_type = "Relu", .infer = infer_same_as_input0, .reference = run, .memory = Memory::kInPlace});

}  // namespace kiln::ops
