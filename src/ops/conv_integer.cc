// ConvInteger: the int32 convolution of 8-bit x and w after subtracting their zero points (x's per
// tensor, w's per tensor or per output channel). Attributes as Conv; pads hold x's zero point.
#include "ops/conv_kernel.h"
#include "ops/quant_util.h"
#include "ops/required_inputs.h"

namespace kiln::ops {
namespace {

bool is_8bit(DataType t) { return t == DataType::kInt8 || t == DataType::kUInt8; }

Status infer(InferContext& ctx) {
  if (ctx.num_inputs() < 2) return ctx.error("expects inputs x and w");
  if (!is_8bit(ctx.dtype(0)) || !is_8bit(ctx.dtype(1))) return ctx.error("x and w must be int8 or uint8");
  KILN_ASSIGN_OR_RETURN(ctx.outputs[0],
                        conv_output_type(ctx.node, ctx.input(0), ctx.input(1), DataType::kInt32));
  return Status::ok();
}

Status run(RunContext& ctx) {
  KILN_RETURN_IF_ERROR(require_inputs(ctx, 2));
  const Tensor& x = ctx.input(0);
  const Tensor& w = ctx.input(1);
  if (!is_8bit(x.dtype()) || !is_8bit(w.dtype())) return ctx.error("x and w must be int8 or uint8");
  KILN_ASSIGN_OR_RETURN(const ConvSetup c, conv_setup(ctx.node, x.shape(), w.shape()));
  const std::vector<int32_t> x_zp = zero_points(ctx, 2);
  if (x_zp.size() != 1) return ctx.error("x_zero_point must be a scalar (per-tensor)");
  KILN_ASSIGN_OR_RETURN(Tensor y, conv_integer(ctx.node, c, x, x_zp[0], w, zero_points(ctx, 3)));
  ctx.set_output(0, y);
  return Status::ok();
}

Cost cost(const ir::Node& node, std::span<const TensorType> in, std::span<const TensorType> out) {
  return conv_cost(in, out, /*w_input=*/1, /*bias_input=*/99);
}

}  // namespace

KILN_REGISTER_OP({.op_type = "ConvInteger", .domain = "", .infer = infer, .reference = run, .cost = cost});

}  // namespace kiln::ops
