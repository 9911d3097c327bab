// ConstantOfShape: a tensor of the shape given by input 0 (1-D int64), filled with the single
// element of attribute `value` (float32 0 by default).
#include <cstring>

#include "ops/elementwise.h"

namespace kiln::ops {
namespace {

Expected<Tensor> fill_value(const ir::Node& node) {
  if (!node.has_attr("value")) return Tensor(DataType::kFloat32, {});
  const Tensor* t = node.attr_tensor("value");
  if (!t || t->numel() != 1) {
    return invalid_argument(node.describe() + ": attribute 'value' must be a tensor of one element");
  }
  return *t;
}

Expected<Shape> output_shape(const ir::Node& node, const Tensor& shape) {
  if (shape.dtype() != DataType::kInt64 || shape.rank() != 1) {
    return invalid_argument(node.describe() + ": the shape input must be a 1-D int64 tensor, not " +
                            dtype_name(shape.dtype()) + " of shape " + shape_str(shape.shape()));
  }
  Shape out = shape.to_int64_vector();
  for (int64_t d : out) {
    if (d < 0)
      return invalid_argument(node.describe() + ": the shape " + shape_str(out) +
                              " has a negative dimension");
  }
  return out;
}

Status infer(InferContext& ctx) {
  if (!ctx.has_input(0)) return ctx.error("input 0 (the shape) is missing");
  KILN_ASSIGN_OR_RETURN(Tensor value, fill_value(ctx.node));
  if (const Tensor* shape = ctx.value(0)) {
    KILN_ASSIGN_OR_RETURN(Shape out, output_shape(ctx.node, *shape));
    ctx.set_output(0, value.dtype(), std::move(out));
  } else if (ctx.input(0).rank_known && ctx.shape(0).size() == 1 && ctx.shape(0)[0] >= 0) {
    ctx.set_output(0, value.dtype(), Shape(static_cast<size_t>(ctx.shape(0)[0]), -1));
  } else {
    ctx.set_output_unknown_rank(0, value.dtype());
  }
  return Status::ok();
}

Status run(RunContext& ctx) {
  if (!ctx.has_input(0)) return ctx.error("input 0 (the shape) is missing");
  KILN_ASSIGN_OR_RETURN(Tensor value, fill_value(ctx.node));
  KILN_ASSIGN_OR_RETURN(Shape shape, output_shape(ctx.node, ctx.input(0)));
  Tensor& y = ctx.allocate_output(0, value.dtype(), std::move(shape));
  const size_t size = dtype_size(value.dtype());
  auto* dst = static_cast<std::byte*>(y.raw());
  for (int64_t i = 0; i < y.numel(); ++i) std::memcpy(dst + static_cast<size_t>(i) * size, value.raw(), size);
  return Status::ok();
}

}  // namespace

KILN_REGISTER_OP({.op_type = "ConstantOfShape", .infer = infer, .reference = run, .cost = output_only_cost});

}  // namespace kiln::ops
