// Cast: converts every element to the type named by attribute `to`. Float to integer truncates
// toward zero and anything to bool is (x != 0), per Tensor::cast. Strings are not supported.
#include "ops/dtype_attr.h"
#include "ops/elementwise.h"

namespace kiln::ops {
namespace {

Expected<DataType> target_type(const ir::Node& node) {
  if (!node.has_attr("to")) return invalid_argument(node.describe() + ": attribute 'to' is missing");
  return dtype_attr(node, "to", DataType::kUndefined);
}

Status infer(InferContext& ctx) {
  if (!ctx.has_input(0)) return ctx.error("input 0 is missing");
  KILN_ASSIGN_OR_RETURN(DataType to, target_type(ctx.node));
  if (ctx.input(0).rank_known)
    ctx.set_output(0, to, ctx.shape(0));
  else
    ctx.set_output_unknown_rank(0, to);
  return Status::ok();
}

Status run(RunContext& ctx) {
  if (!ctx.has_input(0)) return ctx.error("input 0 is missing");
  KILN_ASSIGN_OR_RETURN(DataType to, target_type(ctx.node));
  const Tensor& x = ctx.input(0);
  // A cast to the same type changes nothing: share the bytes, as Identity does.
  ctx.set_output(0, x.dtype() == to ? x : x.cast(to));
  return Status::ok();
}

}  // namespace

KILN_REGISTER_OP({.op_type = "Cast", .infer = infer, .reference = run, .cost = copy_cost});

}  // namespace kiln::ops
