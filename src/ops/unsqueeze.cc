// Unsqueeze: inserts dims of size 1 at `axes` (attribute before opset 13, input 1 from then on),
// which index the output's dims.
#include "ops/data_movement.h"

namespace kiln::ops {
namespace {

Status infer(InferContext& ctx) {
  const DataType dt = ctx.dtype(0);
  std::optional<std::vector<int64_t>> axes;
  if (ctx.node.opset < 13) {
    if (!ctx.node.has_attr("axes")) return ctx.error("attribute 'axes' is required before opset 13");
    axes = ctx.node.attr_ints("axes");
  } else {
    if (!ctx.has_input(1)) return ctx.error("input 'axes' is required from opset 13");
    axes = const_ints(ctx, 1);
  }
  if (!ctx.input(0).rank_known) {
    ctx.set_output_unknown_rank(0, dt);
    return Status::ok();
  }
  const Shape& in = ctx.shape(0);
  if (!axes) {  // the output rank is known when the number of axes is
    const TensorType& a = ctx.input(1);
    if (a.rank_known && a.shape.size() <= 1 && (a.shape.empty() || a.shape[0] >= 0)) {
      const int64_t n = a.shape.empty() ? 1 : a.shape[0];
      ctx.set_output(0, dt, Shape(in.size() + static_cast<size_t>(n), -1));
    } else {
      ctx.set_output_unknown_rank(0, dt);
    }
    return Status::ok();
  }
  const int64_t out_rank = static_cast<int64_t>(in.size() + axes->size());
  KILN_ASSIGN_OR_RETURN(std::vector<int64_t> norm, normalize_axes(ctx.node, *axes, out_rank));
  std::vector<bool> inserted(static_cast<size_t>(out_rank), false);
  for (int64_t a : norm) inserted[a] = true;
  Shape out;
  size_t next = 0;
  for (int64_t i = 0; i < out_rank; ++i) out.push_back(inserted[i] ? 1 : in[next++]);
  ctx.set_output(0, dt, std::move(out));
  return Status::ok();
}

Status run(RunContext& ctx) {
  KILN_ASSIGN_OR_RETURN(Shape out, inferred_shape(ctx, infer));
  ctx.set_output(0, ctx.input(0).reshaped(std::move(out)));
  return Status::ok();
}

}  // namespace

KILN_REGISTER_OP({.op_type = "Unsqueeze", .infer = infer, .reference = run, .cost = view_cost, .memory = Memory::kView});

}  // namespace kiln::ops
