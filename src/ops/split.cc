// Split: cuts the input along `axis` into the node's outputs. Sizes come from `split` (attribute
// before opset 13, optional input 1 from then on); without it the dim is cut into equal parts
// (from opset 18 `num_outputs` parts of ceil(dim / n), the last one smaller).
#include <cstring>

#include "ops/data_movement.h"

namespace kiln::ops {
namespace {

Status infer(InferContext& ctx) {
  const DataType dt = ctx.dtype(0);
  const size_t n = ctx.num_outputs();
  if (n == 0) return ctx.error("needs at least one output");
  bool split_given = false;
  std::optional<std::vector<int64_t>> split;
  if (ctx.node.opset >= 13 || (ctx.node.opset < 2 && ctx.has_input(1))) {
    if (ctx.has_input(1)) {
      split_given = true;
      split = const_ints(ctx, 1);
    }
  } else if (ctx.node.has_attr("split")) {
    split_given = true;
    split = ctx.node.attr_ints("split");
  }
  if (!split_given && ctx.node.opset >= 18) {
    if (!ctx.node.has_attr("num_outputs")) return ctx.error("needs input 'split' or attribute 'num_outputs'");
    if (ctx.node.attr_int("num_outputs", 0) != static_cast<int64_t>(n)) {
      return ctx.error("num_outputs is " + std::to_string(ctx.node.attr_int("num_outputs", 0)) +
                       " but the node has " + std::to_string(n) + " outputs");
    }
  }
  if (!ctx.input(0).rank_known) {
    for (size_t i = 0; i < n; ++i) ctx.set_output_unknown_rank(i, dt);
    return Status::ok();
  }
  const Shape& in = ctx.shape(0);
  KILN_ASSIGN_OR_RETURN(
      int64_t axis, normalize_axis(ctx.node, ctx.node.attr_int("axis", 0), static_cast<int64_t>(in.size())));
  const int64_t dim = in[axis];
  std::vector<int64_t> sizes(n, -1);
  if (split) {
    if (split->size() != n) {
      return ctx.error("split has " + std::to_string(split->size()) + " sizes but the node has " +
                       std::to_string(n) + " outputs");
    }
    int64_t sum = 0;
    for (int64_t s : *split) {
      if (s < 0) return ctx.error("split sizes must be >= 0, got " + std::to_string(s));
      sum += s;
    }
    if (dim >= 0 && sum != dim) {
      return ctx.error("split sizes add up to " + std::to_string(sum) + " but axis " + std::to_string(axis) +
                       " has " + std::to_string(dim));
    }
    sizes = *split;
  } else if (!split_given && dim >= 0) {
    const int64_t chunk = (dim + static_cast<int64_t>(n) - 1) / static_cast<int64_t>(n);
    for (size_t i = 0; i < n; ++i) {
      sizes[i] = std::max<int64_t>(0, std::min(chunk, dim - static_cast<int64_t>(i) * chunk));
    }
  }
  for (size_t i = 0; i < n; ++i) {
    Shape out = in;
    out[axis] = sizes[i];
    ctx.set_output(i, dt, std::move(out));
  }
  return Status::ok();
}

Status run(RunContext& ctx) {
  KILN_ASSIGN_OR_RETURN(std::vector<Shape> shapes, inferred_shapes(ctx, infer));
  const Tensor& x = ctx.input(0);
  const size_t axis = static_cast<size_t>(*normalize_axis(ctx.node, ctx.node.attr_int("axis", 0), x.rank()));
  const size_t elem = dtype_size(x.dtype());
  const int64_t outer = dims_product(x.shape(), 0, axis);
  const size_t in_row = static_cast<size_t>(dims_product(x.shape(), axis, x.shape().size())) * elem;
  const auto* src = static_cast<const std::byte*>(x.raw());
  size_t col = 0;  // byte offset of the current output within an input row
  for (size_t i = 0; i < shapes.size(); ++i) {
    Tensor& y = ctx.allocate_output(i, x.dtype(), shapes[i]);
    const size_t out_row = static_cast<size_t>(dims_product(shapes[i], axis, shapes[i].size())) * elem;
    auto* dst = static_cast<std::byte*>(y.raw());
    for (int64_t o = 0; o < outer; ++o) std::memcpy(dst + o * out_row, src + o * in_row + col, out_row);
    col += out_row;
  }
  return Status::ok();
}

}  // namespace

KILN_REGISTER_OP({.op_type = "Split", .infer = infer, .reference = run, .cost = data_movement_cost});

}  // namespace kiln::ops
