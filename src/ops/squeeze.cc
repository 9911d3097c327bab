// Squeeze: removes dims of size 1, those listed in `axes` (attribute before opset 13, optional
// input 1 from then on) or, without axes, every dim of size 1.
#include "ops/data_movement.h"

namespace kiln::ops {
namespace {

Status infer(InferContext& ctx) {
  const DataType dt = ctx.dtype(0);
  std::optional<std::vector<int64_t>> axes;
  if (ctx.node.opset < 13) {
    if (ctx.node.has_attr("axes")) axes = ctx.node.attr_ints("axes");
  } else if (ctx.has_input(1)) {
    axes = const_ints(ctx, 1);
    if (!axes) {  // axes given but not known yet
      ctx.set_output_unknown_rank(0, dt);
      return Status::ok();
    }
  }
  if (!ctx.input(0).rank_known) {
    ctx.set_output_unknown_rank(0, dt);
    return Status::ok();
  }
  const Shape& in = ctx.shape(0);
  const int64_t rank = static_cast<int64_t>(in.size());
  std::vector<bool> drop(in.size(), false);
  if (axes && !axes->empty()) {
    KILN_ASSIGN_OR_RETURN(std::vector<int64_t> norm, normalize_axes(ctx.node, *axes, rank));
    for (int64_t a : norm) {
      if (in[a] != 1 && in[a] != -1) {
        return ctx.error("cannot squeeze axis " + std::to_string(a) + " of size " + std::to_string(in[a]) +
                         "; only dims of size 1 can be squeezed");
      }
      drop[a] = true;
    }
  } else {
    for (size_t i = 0; i < in.size(); ++i) {
      if (in[i] == -1) {  // might be 1: the output rank is not known yet
        ctx.set_output_unknown_rank(0, dt);
        return Status::ok();
      }
      drop[i] = in[i] == 1;
    }
  }
  Shape out;
  for (size_t i = 0; i < in.size(); ++i)
    if (!drop[i]) out.push_back(in[i]);
  ctx.set_output(0, dt, std::move(out));
  return Status::ok();
}

Status run(RunContext& ctx) {
  KILN_ASSIGN_OR_RETURN(Shape out, inferred_shape(ctx, infer));
  ctx.set_output(0, ctx.input(0).reshaped(std::move(out)));
  return Status::ok();
}

}  // namespace

KILN_REGISTER_OP({.op_type = "Squeeze", .infer = infer, .reference = run, .cost = view_cost, .memory = Memory::kView});

}  // namespace kiln::ops
