// Expand: broadcasts the input to `shape` (input 1) NumPy-style, in both directions: a dim of 1 in
// `shape` keeps the input's dim, and the output rank is the larger of the two.
#include "ops/data_movement.h"

namespace kiln::ops {
namespace {

Status infer(InferContext& ctx) {
  const DataType dt = ctx.dtype(0);
  std::optional<std::vector<int64_t>> shape = const_ints(ctx, 1);
  if (!ctx.input(0).rank_known) {
    ctx.set_output_unknown_rank(0, dt);
    return Status::ok();
  }
  const Shape& in = ctx.shape(0);
  if (!shape) {
    const TensorType& s = ctx.input(1);
    if (s.rank_known && s.shape.size() == 1 && s.shape[0] >= 0) {
      ctx.set_output(0, dt, Shape(std::max(in.size(), static_cast<size_t>(s.shape[0])), -1));
    } else {
      ctx.set_output_unknown_rank(0, dt);
    }
    return Status::ok();
  }
  for (int64_t d : *shape) {
    if (d < 0) return ctx.error("shape " + shape_str(*shape) + " has a negative dim");
  }
  KILN_ASSIGN_OR_RETURN(Shape out, broadcast_shapes(ctx.node, {in, *shape}));
  ctx.set_output(0, dt, std::move(out));
  return Status::ok();
}

Status run(RunContext& ctx) {
  const Tensor& x = ctx.input(0);
  KILN_ASSIGN_OR_RETURN(Shape out_shape, inferred_shape(ctx, infer));
  const size_t lead = out_shape.size() - x.shape().size();
  const std::vector<int64_t> strides = strides_of(x.shape());
  std::vector<std::vector<int64_t>> offsets(out_shape.size());
  for (size_t d = 0; d < out_shape.size(); ++d) {
    const bool broadcast = d < lead || x.shape()[d - lead] == 1;
    for (int64_t i = 0; i < out_shape[d]; ++i) offsets[d].push_back(broadcast ? 0 : i * strides[d - lead]);
  }
  Tensor& y = ctx.allocate_output(0, x.dtype(), out_shape);
  copy_by_axis_offsets(x.raw(), y.raw(), out_shape, offsets, dtype_size(x.dtype()));
  return Status::ok();
}

}  // namespace

KILN_REGISTER_OP({.op_type = "Expand", .infer = infer, .reference = run, .cost = data_movement_cost});

}  // namespace kiln::ops
