// Compress: keeps the slices along `axis` whose entry in the 1-D `condition` is true (like
// numpy.compress); without axis the input is flattened first. A condition shorter than the axis
// drops the slices past its end.
#include <cstring>

#include "ops/data_movement.h"

namespace kiln::ops {
namespace {

// Indices i < dim with condition[i] true; fails when a true entry lies past dim.
Expected<std::vector<int64_t>> selected(const ir::Node& node, const Tensor& condition, int64_t dim) {
  if (condition.rank() != 1) return invalid_argument(node.describe() + ": condition must be 1-D");
  std::vector<int64_t> keep;
  for (int64_t i = 0; i < condition.numel(); ++i) {
    if (condition.as_double(i) == 0) continue;
    if (i >= dim) {
      return invalid_argument(node.describe() + ": condition selects index " + std::to_string(i) +
                              " but the axis has " + std::to_string(dim) + " entries");
    }
    keep.push_back(i);
  }
  return keep;
}

Status infer(InferContext& ctx) {
  const DataType dt = ctx.dtype(0);
  const bool has_axis = ctx.node.has_attr("axis");
  if (!ctx.input(0).rank_known) {
    if (has_axis) {
      ctx.set_output_unknown_rank(0, dt);
    } else {
      ctx.set_output(0, dt, {-1});
    }
    return Status::ok();
  }
  const Shape& in = ctx.shape(0);
  Shape out = {-1};
  int64_t dim = ctx.input(0).shape_known() ? shape_numel(in) : -1;
  int64_t axis = 0;
  if (has_axis) {
    KILN_ASSIGN_OR_RETURN(
        axis, normalize_axis(ctx.node, ctx.node.attr_int("axis", 0), static_cast<int64_t>(in.size())));
    out = in;
    dim = in[axis];
  }
  if (ctx.value(1) && dim >= 0) {
    KILN_ASSIGN_OR_RETURN(std::vector<int64_t> keep, selected(ctx.node, *ctx.value(1), dim));
    out[axis] = static_cast<int64_t>(keep.size());
  } else {
    out[axis] = -1;
  }
  ctx.set_output(0, dt, std::move(out));
  return Status::ok();
}

Status run(RunContext& ctx) {
  KILN_ASSIGN_OR_RETURN(Shape out_shape, inferred_shape(ctx, infer));
  Tensor x = ctx.input(0);
  size_t axis = 0;
  if (ctx.node.has_attr("axis")) {
    axis = static_cast<size_t>(*normalize_axis(ctx.node, ctx.node.attr_int("axis", 0), x.rank()));
  } else {
    x = x.reshaped({x.numel()});
  }
  const int64_t dim = x.shape()[axis];
  KILN_ASSIGN_OR_RETURN(std::vector<int64_t> keep, selected(ctx.node, ctx.input(1), dim));
  const int64_t outer = dims_product(x.shape(), 0, axis);
  const size_t inner =
      static_cast<size_t>(dims_product(x.shape(), axis + 1, x.shape().size())) * dtype_size(x.dtype());
  Tensor& y = ctx.allocate_output(0, x.dtype(), out_shape);
  const auto* src = static_cast<const std::byte*>(x.raw());
  auto* dst = static_cast<std::byte*>(y.raw());
  const int64_t n = static_cast<int64_t>(keep.size());
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t j = 0; j < n; ++j)
      std::memcpy(dst + (o * n + j) * inner, src + (o * dim + keep[j]) * inner, inner);
  }
  return Status::ok();
}

}  // namespace

KILN_REGISTER_OP({.op_type = "Compress", .infer = infer, .reference = run, .cost = data_movement_cost});

}  // namespace kiln::ops
