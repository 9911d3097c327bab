// QuantizeLinear: y = saturate(round_half_even(x / y_scale) + y_zero_point), per tensor, per axis
// (opset 13) or per block (opset 21). The output type is y_zero_point's, else output_dtype's
// (opset 21), else uint8.
#include "ops/dtype_attr.h"
#include "ops/quant_util.h"
#include "ops/required_inputs.h"

namespace kiln::ops {
namespace {

Expected<DataType> output_dtype(const ir::Node& node, bool has_zero_point, DataType zero_point_type) {
  DataType t = DataType::kUInt8;
  if (has_zero_point) {
    t = zero_point_type;
  } else if (node.has_attr("output_dtype") && node.attr_int("output_dtype", 0) != 0) {
    KILN_ASSIGN_OR_RETURN(t, dtype_attr(node, "output_dtype", DataType::kUInt8));
  }
  if (!is_quantized_dtype(t)) {
    return unsupported(node.describe() + ": quantising to " + dtype_name(t) +
                       " is not supported (int8, uint8, int16 and uint16 are)");
  }
  return t;
}

Status infer(InferContext& ctx) {
  if (ctx.num_inputs() < 2) return ctx.error("expects inputs x and y_scale");
  const DataType x = ctx.dtype(0);
  if (!dtype_is_float(x) && x != DataType::kInt32) return ctx.error("x must be a float type or int32");
  KILN_ASSIGN_OR_RETURN(DataType t, output_dtype(ctx.node, ctx.has_input(2),
                                                 ctx.has_input(2) ? ctx.dtype(2) : DataType::kUndefined));
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
  const bool has_zp = ctx.has_input(2);
  KILN_ASSIGN_OR_RETURN(DataType t,
                        output_dtype(ctx.node, has_zp, has_zp ? ctx.input(2).dtype() : DataType::kUndefined));
  const int64_t axis = ctx.node.attr_int("axis", 1), block = ctx.node.attr_int("block_size", 0);
  KILN_ASSIGN_OR_RETURN(QuantParamLayout q,
                        quant_param_layout(ctx.node, x.shape(), scale.shape(), axis, block));
  if (has_zp && ctx.input(2).shape() != scale.shape())
    return ctx.error("y_zero_point must have the shape of y_scale");
  const std::vector<float> s = scale.to_float_vector();
  const std::vector<int32_t> zp = has_zp ? zero_points(ctx, 2) : std::vector<int32_t>(s.size(), 0);
  const Tensor xf = x.cast(DataType::kFloat32);
  const float* values = xf.data<float>();
  Tensor& y = ctx.allocate_output(0, t, x.shape());
  auto quantize = [&]<typename Q>() {
    Q* dst = y.data<Q>();
    int64_t e = 0;
    for (int64_t o = 0; o < q.outer; ++o) {
      for (int64_t a = 0; a < q.axis_dim; ++a) {
        for (int64_t i = 0; i < q.inner; ++i, ++e) {
          const int64_t p = q.index(o, a, i);
          dst[e] = saturate_round<Q>(std::nearbyint(values[e] / s[p]) + static_cast<float>(zp[p]));
        }
      }
    }
  };
  switch (t) {
    case DataType::kInt8:
      quantize.operator()<int8_t>();
      break;
    case DataType::kUInt8:
      quantize.operator()<uint8_t>();
      break;
    case DataType::kInt16:
      quantize.operator()<int16_t>();
      break;
    case DataType::kUInt16:
      quantize.operator()<uint16_t>();
      break;
    default:
      return ctx.error(std::string("quantising to ") + dtype_name(t) + " is not supported");
  }
  return Status::ok();
}

}  // namespace

KILN_REGISTER_OP({.op_type = "QuantizeLinear", .domain = "", .infer = infer, .reference = run});

}  // namespace kiln::ops
