// Flatten: a 2-D view (prod(dims[:axis]), prod(dims[axis:])); axis in [-rank, rank], default 1.
#include "ops/data_movement.h"

namespace kiln::ops {
namespace {

Status infer(InferContext& ctx) {
  const DataType dt = ctx.dtype(0);
  if (!ctx.input(0).rank_known) {
    ctx.set_output(0, dt, {-1, -1});
    return Status::ok();
  }
  const Shape& in = ctx.shape(0);
  const int64_t rank = static_cast<int64_t>(in.size());
  int64_t axis = ctx.node.attr_int("axis", 1);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis > rank) {
    return ctx.error("axis " + std::to_string(ctx.node.attr_int("axis", 1)) + " is out of range for rank " +
                     std::to_string(rank));
  }
  auto product = [&](size_t b, size_t e) -> int64_t {
    for (size_t i = b; i < e; ++i)
      if (in[i] < 0) return -1;
    return dims_product(in, b, e);
  };
  ctx.set_output(0, dt,
                 {product(0, static_cast<size_t>(axis)), product(static_cast<size_t>(axis), in.size())});
  return Status::ok();
}

Status run(RunContext& ctx) {
  KILN_ASSIGN_OR_RETURN(Shape out, inferred_shape(ctx, infer));
  ctx.set_output(0, ctx.input(0).reshaped(std::move(out)));
  return Status::ok();
}

}  // namespace

KILN_REGISTER_OP({.op_type = "Flatten", .infer = infer, .reference = run, .cost = view_cost, .memory = Memory::kView});

}  // namespace kiln::ops
