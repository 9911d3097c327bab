// Concat: joins inputs of equal rank along `axis`; the other dims must agree.
#include <cstring>

#include "ops/data_movement.h"

namespace kiln::ops {
namespace {

Status infer(InferContext& ctx) {
  if (ctx.num_inputs() == 0) return ctx.error("needs at least one input");
  const DataType dt = ctx.dtype(0);
  if (!ctx.node.has_attr("axis") && ctx.node.opset >= 4) return ctx.error("attribute 'axis' is required");
  const int64_t axis_attr = ctx.node.attr_int("axis", 1);  // opset 1 defaulted to 1
  int64_t rank = -1;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    if (ctx.dtype(i) != dt) {
      return ctx.error(std::string("all inputs must have one type; input ") + std::to_string(i) + " is " +
                       dtype_name(ctx.dtype(i)) + ", input 0 is " + dtype_name(dt));
    }
    if (!ctx.input(i).rank_known) continue;
    const int64_t r = static_cast<int64_t>(ctx.shape(i).size());
    if (rank >= 0 && r != rank) {
      return ctx.error("inputs must have one rank; input " + std::to_string(i) + " has rank " +
                       std::to_string(r) + ", others " + std::to_string(rank));
    }
    rank = r;
  }
  if (rank < 0) {
    ctx.set_output_unknown_rank(0, dt);
    return Status::ok();
  }
  KILN_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(ctx.node, axis_attr, rank));
  Shape out(static_cast<size_t>(rank), -1);
  out[axis] = 0;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    if (!ctx.input(i).rank_known) {
      out[axis] = -1;
      continue;
    }
    const Shape& s = ctx.shape(i);
    for (int64_t d = 0; d < rank; ++d) {
      if (d == axis) {
        out[d] = s[d] < 0 || out[d] < 0 ? -1 : out[d] + s[d];
        continue;
      }
      if (s[d] < 0) continue;
      if (out[d] >= 0 && out[d] != s[d]) {
        return ctx.error("input " + std::to_string(i) + " has dim " + std::to_string(d) + " = " +
                         std::to_string(s[d]) + " where other inputs have " + std::to_string(out[d]));
      }
      out[d] = s[d];
    }
  }
  ctx.set_output(0, dt, std::move(out));
  return Status::ok();
}

Status run(RunContext& ctx) {
  KILN_ASSIGN_OR_RETURN(Shape out_shape, inferred_shape(ctx, infer));
  const DataType dt = ctx.input(0).dtype();
  const size_t axis = static_cast<size_t>(
      *normalize_axis(ctx.node, ctx.node.attr_int("axis", 1), static_cast<int64_t>(out_shape.size())));
  Tensor& y = ctx.allocate_output(0, dt, out_shape);
  const size_t elem = dtype_size(dt);
  const int64_t outer = dims_product(out_shape, 0, axis);
  const size_t out_row = static_cast<size_t>(dims_product(out_shape, axis, out_shape.size())) * elem;
  auto* dst = static_cast<std::byte*>(y.raw());
  size_t col = 0;  // byte offset of the current input within an output row
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    const Tensor& x = ctx.input(i);
    const size_t in_row = static_cast<size_t>(dims_product(x.shape(), axis, x.shape().size())) * elem;
    const auto* src = static_cast<const std::byte*>(x.raw());
    for (int64_t o = 0; o < outer; ++o) std::memcpy(dst + o * out_row + col, src + o * in_row, in_row);
    col += in_row;
  }
  return Status::ok();
}

}  // namespace

KILN_REGISTER_OP({.op_type = "Concat", .infer = infer, .reference = run, .cost = data_movement_cost});

}  // namespace kiln::ops
