// QLinearConv: quantised Conv. acc = conv(x - x_zp, w - w_zp) + B in int32, then
// y = saturate(round_half_even(acc * x_scale * w_scale[m] / y_scale) + y_zp), with w's scale and
// zero point per tensor or per output channel. Attributes as Conv.
#include "ops/conv_kernel.h"
#include "ops/quant_util.h"
#include "ops/required_inputs.h"

namespace kiln::ops {
namespace {

bool is_8bit(DataType t) { return t == DataType::kInt8 || t == DataType::kUInt8; }

Status infer(InferContext& ctx) {
  if (ctx.num_inputs() < 8)
    return ctx.error(
        "expects inputs x, x_scale, x_zero_point, w, w_scale, w_zero_point, y_scale, y_zero_point");
  if (!is_8bit(ctx.dtype(0)) || !is_8bit(ctx.dtype(3)) || !is_8bit(ctx.dtype(7))) {
    return ctx.error("x, w and y_zero_point must be int8 or uint8");
  }
  KILN_ASSIGN_OR_RETURN(ctx.outputs[0], conv_output_type(ctx.node, ctx.input(0), ctx.input(3), ctx.dtype(7)));
  return Status::ok();
}

Status run(RunContext& ctx) {
  KILN_RETURN_IF_ERROR(require_inputs(ctx, 8));
  const Tensor& x = ctx.input(0);
  const Tensor& w = ctx.input(3);
  const DataType out_type = ctx.input(7).dtype();
  if (!is_8bit(x.dtype()) || !is_8bit(w.dtype()) || !is_8bit(out_type)) {
    return ctx.error("x, w and y_zero_point must be int8 or uint8");
  }
  KILN_ASSIGN_OR_RETURN(const ConvSetup c, conv_setup(ctx.node, x.shape(), w.shape()));
  const int64_t m = c.s.out_channels;
  const std::vector<int32_t> x_zp = zero_points(ctx, 2), y_zp = zero_points(ctx, 7);
  const std::vector<float> x_scale = scales(ctx, 1), w_scale = scales(ctx, 4), y_scale = scales(ctx, 6);
  if (x_zp.size() != 1 || x_scale.size() != 1 || y_zp.size() != 1 || y_scale.size() != 1) {
    return ctx.error("x and y scales and zero points must be scalars (per-tensor)");
  }
  KILN_RETURN_IF_ERROR(check_param_count(ctx, 4, "w_scale", static_cast<int64_t>(w_scale.size()), m));
  KILN_ASSIGN_OR_RETURN(Tensor acc, conv_integer(ctx.node, c, x, x_zp[0], w, zero_points(ctx, 5)));
  std::vector<int32_t> bias(static_cast<size_t>(m), 0);
  if (ctx.has_input(8)) {
    if (ctx.input(8).numel() != m) return ctx.error("B must have one value per output channel");
    for (int64_t i = 0; i < m; ++i) bias[i] = static_cast<int32_t>(ctx.input(8).as_int64(i));
  }
  Tensor& y = ctx.allocate_output(0, out_type, c.out_shape);
  const int64_t plane = c.g.col_size();
  auto requantize = [&]<typename Q>() {
    const int32_t* src = acc.data<int32_t>();
    Q* dst = y.data<Q>();
    for (int64_t b = 0; b < c.s.batch; ++b) {
      for (int64_t ch = 0; ch < m; ++ch) {
        const float multiplier = x_scale[0] * per_channel(w_scale, ch) / y_scale[0];
        const int64_t base = (b * m + ch) * plane;
        for (int64_t i = 0; i < plane; ++i) {
          const float v = std::nearbyint(static_cast<float>(src[base + i] + bias[ch]) * multiplier);
          dst[base + i] = saturate_round<Q>(v + static_cast<float>(y_zp[0]));
        }
      }
    }
  };
  if (out_type == DataType::kInt8) {
    requantize.operator()<int8_t>();
  } else {
    requantize.operator()<uint8_t>();
  }
  return Status::ok();
}

Cost cost(const ir::Node& node, std::span<const TensorType> in, std::span<const TensorType> out) {
  return conv_cost(in, out, /*w_input=*/3, /*bias_input=*/8);
}

}  // namespace

KILN_REGISTER_OP({.op_type = "QLinearConv", .domain = "", .infer = infer, .reference = run, .cost = cost});

}  // namespace kiln::ops
