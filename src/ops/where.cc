// Where: picks X where the condition is true and Y elsewhere, all three broadcast together.
#include "ops/elementwise.h"

namespace kiln::ops {
namespace {

Status check_inputs(const ir::Node& node, DataType cond, DataType x, DataType y) {
  if (cond != DataType::kBool) {
    return invalid_argument(node.describe() + ": the condition (input 0) is " + dtype_name(cond) +
                            "; it must be bool");
  }
  return check_same_type(node, 2, x, y);
}

Status infer(InferContext& ctx) {
  if (!ctx.has_input(0) || !ctx.has_input(1) || !ctx.has_input(2)) return ctx.error("takes three inputs");
  KILN_RETURN_IF_ERROR(check_inputs(ctx.node, ctx.dtype(0), ctx.dtype(1), ctx.dtype(2)));
  return infer_broadcast(ctx, {0, 1, 2}, ctx.dtype(1));
}

Status run(RunContext& ctx) {
  if (!ctx.has_input(0) || !ctx.has_input(1) || !ctx.has_input(2)) return ctx.error("takes three inputs");
  const Tensor& cond = ctx.input(0);
  const Tensor& x = ctx.input(1);
  const Tensor& y = ctx.input(2);
  KILN_RETURN_IF_ERROR(check_inputs(ctx.node, cond.dtype(), x.dtype(), y.dtype()));
  KILN_ASSIGN_OR_RETURN(Shape shape, broadcast_shapes(ctx.node, {cond.shape(), x.shape(), y.shape()}));
  Tensor& out = ctx.allocate_output(0, x.dtype(), shape);
  const BroadcastIndex ic(cond.shape(), shape);
  const BroadcastIndex ix(x.shape(), shape);
  const BroadcastIndex iy(y.shape(), shape);
  visit_dtype(x.dtype(), [&]<typename T>() {
    const bool* pc = cond.data<bool>();
    const T* px = x.data<T>();
    const T* py = y.data<T>();
    T* dst = out.data<T>();
    for (int64_t i = 0; i < out.numel(); ++i) dst[i] = pc[ic[i]] ? px[ix[i]] : py[iy[i]];
  });
  return Status::ok();
}

}  // namespace

KILN_REGISTER_OP({.op_type = "Where", .infer = infer, .reference = run, .cost = copy_cost});

}  // namespace kiln::ops
