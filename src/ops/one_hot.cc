// OneHot: output[..., d, ...] (d inserted at `axis`, default -1) is values[1] where d equals the
// index (negative indices count from depth) and values[0] elsewhere. depth is input 1.
#include "ops/data_movement.h"

namespace kiln::ops {
namespace {

Expected<int64_t> read_depth(const ir::Node& node, const Tensor& depth) {
  if (depth.numel() != 1) return invalid_argument(node.describe() + ": depth must have one element");
  const int64_t d = depth.as_int64(0);
  if (d < 1) return invalid_argument(node.describe() + ": depth must be >= 1, got " + std::to_string(d));
  return d;
}

Status infer(InferContext& ctx) {
  const DataType dt = ctx.dtype(2);
  if (!ctx.input(0).rank_known) {
    ctx.set_output_unknown_rank(0, dt);
    return Status::ok();
  }
  const Shape& in = ctx.shape(0);
  KILN_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(ctx.node, ctx.node.attr_int("axis", -1),
                                                     static_cast<int64_t>(in.size()) + 1));
  int64_t depth = -1;
  if (ctx.value(1)) {
    KILN_ASSIGN_OR_RETURN(depth, read_depth(ctx.node, *ctx.value(1)));
  }
  Shape out = in;
  out.insert(out.begin() + axis, depth);
  ctx.set_output(0, dt, std::move(out));
  return Status::ok();
}

Status run(RunContext& ctx) {
  const Tensor& indices = ctx.input(0);
  const Tensor& values = ctx.input(2);
  if (values.numel() != 2) return ctx.error("values must hold two elements, [off, on]");
  KILN_ASSIGN_OR_RETURN(Shape out_shape, inferred_shape(ctx, infer));
  const int64_t depth = *read_depth(ctx.node, ctx.input(1));
  const size_t axis =
      static_cast<size_t>(*normalize_axis(ctx.node, ctx.node.attr_int("axis", -1), indices.rank() + 1));
  const int64_t outer = dims_product(indices.shape(), 0, axis);
  const int64_t inner = dims_product(indices.shape(), axis, indices.shape().size());
  Tensor& y = ctx.allocate_output(0, values.dtype(), out_shape);
  visit_elem_size(dtype_size(values.dtype()), [&]<typename U>() {
    const U off = values.data<U>()[0], on = values.data<U>()[1];
    U* out = y.data<U>();
    for (int64_t k = 0; k < y.numel(); ++k) out[k] = off;
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t i = 0; i < inner; ++i) {
        int64_t v = indices.as_int64(o * inner + i);
        if (v < 0) v += depth;
        if (v >= 0 && v < depth) out[(o * depth + v) * inner + i] = on;
      }
    }
  });
  return Status::ok();
}

}  // namespace

KILN_REGISTER_OP({.op_type = "OneHot", .infer = infer, .reference = run, .cost = data_movement_cost});

}  // namespace kiln::ops
