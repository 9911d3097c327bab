// CastLike: Cast to the element type of input 1 (whose values are not read).
#include "ops/elementwise.h"

namespace kiln::ops {
namespace {

Status infer(InferContext& ctx) {
  if (!ctx.has_input(0) || !ctx.has_input(1)) return ctx.error("takes two inputs (input and target_type)");
  const DataType to = ctx.dtype(1);
  if (ctx.input(0).rank_known)
    ctx.set_output(0, to, ctx.shape(0));
  else
    ctx.set_output_unknown_rank(0, to);
  return Status::ok();
}

Status run(RunContext& ctx) {
  if (!ctx.has_input(0) || !ctx.has_input(1)) return ctx.error("takes two inputs (input and target_type)");
  const Tensor& x = ctx.input(0);
  const DataType to = ctx.input(1).dtype();
  ctx.set_output(0, x.dtype() == to ? x : x.cast(to));
  return Status::ok();
}

// Reads input 0 and writes the output; input 1 only lends its type.
Cost cost(const ir::Node&, std::span<const TensorType> inputs, std::span<const TensorType> outputs) {
  return per_element_cost(0, inputs.first(std::min<size_t>(1, inputs.size())), outputs);
}

}  // namespace

KILN_REGISTER_OP({.op_type = "CastLike", .infer = infer, .reference = run, .cost = cost});

}  // namespace kiln::ops
