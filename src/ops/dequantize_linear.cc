// DequantizeLinear: y = (x - x_zero_point) * x_scale, per tensor, per axis (opset 13) or per block
// (opset 21). The output has x_scale's type (float before opset 19).
#include "ops/quant_util.h"
#include "ops/required_inputs.h"

namespace kiln::ops {
namespace {

bool supported_input(DataType t) { return is_quantized_dtype(t) || t == DataType::kInt32; }

Status infer(InferContext& ctx) {
  if (ctx.num_inputs() < 2) return ctx.error("expects inputs x and x_scale");
  if (!supported_input(ctx.dtype(0))) {
    return ctx.error(std::string("x has type ") + dtype_name(ctx.dtype(0)) +
                     "; int8, uint8, int16, uint16 and int32 are supported");
  }
  const DataType t = ctx.dtype(1);
  if (!dtype_is_float(t)) return ctx.error("x_scale must have a float type");
  if (ctx.input(0).rank_known) {
    ctx.set_output(0, t, ctx.shape(0));
  } else {
    ctx.set_output_unknown_rank(0, t);
  }
  return Status::ok();
}

Status run(RunContext& ctx) {
  KILN_RETURN_IF_ERROR(require_inputs(ctx, 2));
  const Tensor& x = ctx.input(0);
  const Tensor& scale = ctx.input(1);
  if (!supported_input(x.dtype()) || !dtype_is_float(scale.dtype())) {
    return ctx.error("x must be a quantised integer type and x_scale a float type");
  }
  const int64_t axis = ctx.node.attr_int("axis", 1), block = ctx.node.attr_int("block_size", 0);
  KILN_ASSIGN_OR_RETURN(QuantParamLayout q,
                        quant_param_layout(ctx.node, x.shape(), scale.shape(), axis, block));
  const bool has_zp = ctx.has_input(2);
  if (has_zp && ctx.input(2).shape() != scale.shape())
    return ctx.error("x_zero_point must have the shape of x_scale");
  const std::vector<float> s = scale.to_float_vector();
  const std::vector<int32_t> zp = has_zp ? zero_points(ctx, 2) : std::vector<int32_t>(s.size(), 0);
  const Tensor xi = x.cast(DataType::kInt32);
  const int32_t* src = xi.data<int32_t>();
  Tensor& y = ctx.allocate_output(0, scale.dtype(), x.shape());
  return visit_float_dtype(scale.dtype(), "DequantizeLinear", [&]<typename T>() {
    T* dst = y.data<T>();
    int64_t e = 0;
    for (int64_t o = 0; o < q.outer; ++o) {
      for (int64_t a = 0; a < q.axis_dim; ++a) {
        for (int64_t i = 0; i < q.inner; ++i, ++e) {
          const int64_t p = q.index(o, a, i);
          dst[e] = static_cast<T>(static_cast<float>(static_cast<int64_t>(src[e]) - zp[p]) * s[p]);
        }
      }
    }
    return Status::ok();
  });
}

}  // namespace

KILN_REGISTER_OP({.op_type = "DequantizeLinear", .domain = "", .infer = infer, .reference = run});

}  // namespace kiln::ops
