// ScatterElements: output = data, then for each element of `indices`, output[i0..in with i_axis
// replaced by the index] is set to (or, with `reduction`, combined with) the matching element of
// `updates`. Also registered as Scatter, its deprecated name (opsets 9-10), which has no reduction.
#include "ops/data_movement.h"

namespace kiln::ops {
namespace {

Status infer(InferContext& ctx) {
  if (ctx.input(1).rank_known && ctx.input(2).rank_known && ctx.shape(1).size() == ctx.shape(2).size()) {
    for (size_t d = 0; d < ctx.shape(1).size(); ++d) {
      const int64_t a = ctx.shape(1)[d], b = ctx.shape(2)[d];
      if (a >= 0 && b >= 0 && a != b) {
        return ctx.error("updates " + shape_str(ctx.shape(2)) + " must have the shape of indices " +
                         shape_str(ctx.shape(1)));
      }
    }
  }
  return infer_same_as_input0(ctx);
}

Status run(RunContext& ctx) {
  const Tensor& data = ctx.input(0);
  const Tensor& indices = ctx.input(1);
  const Tensor& updates = ctx.input(2);
  KILN_ASSIGN_OR_RETURN(ScatterReduction reduction, scatter_reduction(ctx.node));
  if (updates.shape() != indices.shape()) {
    return ctx.error("updates " + shape_str(updates.shape()) + " must have the shape of indices " +
                     shape_str(indices.shape()));
  }
  KILN_ASSIGN_OR_RETURN(std::vector<int64_t> offsets, element_offsets(ctx.node, data.shape(), indices));
  Tensor y = data.clone();
  KILN_RETURN_IF_ERROR(scatter_blocks(ctx.node, y, updates, offsets, 1, reduction));
  ctx.set_output(0, std::move(y));
  return Status::ok();
}

}  // namespace

KILN_REGISTER_OP(
    {.op_type = "ScatterElements", .infer = infer, .reference = run, .cost = data_movement_cost});
KILN_REGISTER_OP({.op_type = "Scatter", .infer = infer, .reference = run, .cost = data_movement_cost});

}  // namespace kiln::ops
