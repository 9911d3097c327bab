// Gather: picks slices of `data` along `axis` by `indices` (negative indices count from the end).
// Output shape: data.shape[:axis] + indices.shape + data.shape[axis+1:].
#include <cstring>

#include "ops/data_movement.h"

namespace kiln::ops {
namespace {

Status infer(InferContext& ctx) {
  const DataType dt = ctx.dtype(0);
  if (!ctx.input(0).rank_known || !ctx.input(1).rank_known) {
    ctx.set_output_unknown_rank(0, dt);
    return Status::ok();
  }
  const Shape& data = ctx.shape(0);
  KILN_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(ctx.node, ctx.node.attr_int("axis", 0),
                                                     static_cast<int64_t>(data.size())));
  Shape out(data.begin(), data.begin() + axis);
  out.insert(out.end(), ctx.shape(1).begin(), ctx.shape(1).end());
  out.insert(out.end(), data.begin() + axis + 1, data.end());
  ctx.set_output(0, dt, std::move(out));
  return Status::ok();
}

Status run(RunContext& ctx) {
  const Tensor& data = ctx.input(0);
  const Tensor& indices = ctx.input(1);
  KILN_RETURN_IF_ERROR(check_index_dtype(ctx.node, indices, "indices"));
  KILN_ASSIGN_OR_RETURN(Shape out_shape, inferred_shape(ctx, infer));
  const size_t axis =
      static_cast<size_t>(*normalize_axis(ctx.node, ctx.node.attr_int("axis", 0), data.rank()));
  const int64_t dim = data.shape()[axis];
  std::vector<int64_t> rows(static_cast<size_t>(indices.numel()));
  for (int64_t j = 0; j < indices.numel(); ++j) {
    rows[j] = wrap_index(indices, j, dim);
    if (rows[j] < 0) {
      return ctx.error("index " + std::to_string(indices.as_int64(j)) + " is out of range for axis " +
                       std::to_string(axis) + " of size " + std::to_string(dim));
    }
  }
  Tensor& y = ctx.allocate_output(0, data.dtype(), out_shape);
  const int64_t outer = dims_product(data.shape(), 0, axis);
  const size_t inner = static_cast<size_t>(dims_product(data.shape(), axis + 1, data.shape().size())) *
                       dtype_size(data.dtype());
  const auto* src = static_cast<const std::byte*>(data.raw());
  auto* dst = static_cast<std::byte*>(y.raw());
  const int64_t n = indices.numel();
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t j = 0; j < n; ++j)
      std::memcpy(dst + (o * n + j) * inner, src + (o * dim + rows[j]) * inner, inner);
  }
  return Status::ok();
}

}  // namespace

KILN_REGISTER_OP({.op_type = "Gather", .infer = infer, .reference = run, .cost = data_movement_cost});

}  // namespace kiln::ops
