// Tile: repeats the input repeats[d] times along each dim d (repeats is input 1, one per dim).
#include "ops/data_movement.h"

namespace kiln::ops {
namespace {

Status infer(InferContext& ctx) {
  const DataType dt = ctx.dtype(0);
  if (ctx.node.opset < 6) return unsupported(ctx.node.describe() + ": Tile before opset 6 is not supported");
  if (!ctx.input(0).rank_known) {
    ctx.set_output_unknown_rank(0, dt);
    return Status::ok();
  }
  const Shape& in = ctx.shape(0);
  std::optional<std::vector<int64_t>> repeats = const_ints(ctx, 1);
  if (!repeats) {
    ctx.set_output(0, dt, Shape(in.size(), -1));
    return Status::ok();
  }
  if (repeats->size() != in.size()) {
    return ctx.error("repeats has " + std::to_string(repeats->size()) + " values but the input has rank " +
                     std::to_string(in.size()));
  }
  Shape out(in.size());
  for (size_t d = 0; d < in.size(); ++d) {
    const int64_t r = (*repeats)[d];
    if (r < 0) return ctx.error("repeats must be >= 0, got " + std::to_string(r));
    out[d] = in[d] < 0 ? -1 : in[d] * r;
  }
  ctx.set_output(0, dt, std::move(out));
  return Status::ok();
}

Status run(RunContext& ctx) {
  const Tensor& x = ctx.input(0);
  KILN_ASSIGN_OR_RETURN(Shape out_shape, inferred_shape(ctx, infer));
  const std::vector<int64_t> strides = strides_of(x.shape());
  std::vector<std::vector<int64_t>> offsets(out_shape.size());
  for (size_t d = 0; d < out_shape.size(); ++d) {
    for (int64_t i = 0; i < out_shape[d]; ++i) offsets[d].push_back(i % x.shape()[d] * strides[d]);
  }
  Tensor& y = ctx.allocate_output(0, x.dtype(), out_shape);
  copy_by_axis_offsets(x.raw(), y.raw(), out_shape, offsets, dtype_size(x.dtype()));
  return Status::ok();
}

}  // namespace

KILN_REGISTER_OP({.op_type = "Tile", .infer = infer, .reference = run, .cost = data_movement_cost});

}  // namespace kiln::ops
