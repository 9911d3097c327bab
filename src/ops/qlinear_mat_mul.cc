// QLinearMatMul: quantised MatMul. acc = matmul(a - a_zp, b - b_zp) in int32, then
// y = saturate(round_half_even(acc * a_scale * b_scale / y_scale) + y_zp). a's scale and zero point
// are per tensor or per row (M), b's per tensor or per column (N), y's per tensor or per row.
#include "ops/matmul_util.h"
#include "ops/quant_util.h"
#include "ops/required_inputs.h"

namespace kiln::ops {
namespace {

bool is_8bit(DataType t) { return t == DataType::kInt8 || t == DataType::kUInt8; }

Status infer(InferContext& ctx) {
  if (ctx.num_inputs() < 8)
    return ctx.error(
        "expects inputs a, a_scale, a_zero_point, b, b_scale, b_zero_point, y_scale, y_zero_point");
  if (!is_8bit(ctx.dtype(0)) || !is_8bit(ctx.dtype(3)) || !is_8bit(ctx.dtype(7))) {
    return ctx.error("a, b and y_zero_point must be int8 or uint8");
  }
  const DataType t = ctx.dtype(7);
  if (!ctx.input(0).rank_known || !ctx.input(3).rank_known) {
    ctx.set_output_unknown_rank(0, t);
    return Status::ok();
  }
  KILN_ASSIGN_OR_RETURN(Shape out, matmul_output_shape(ctx.node, ctx.shape(0), ctx.shape(3)));
  ctx.set_output(0, t, out);
  return Status::ok();
}

Status run(RunContext& ctx) {
  KILN_RETURN_IF_ERROR(require_inputs(ctx, 8));
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(3);
  const DataType out_type = ctx.input(7).dtype();
  if (!is_8bit(a.dtype()) || !is_8bit(b.dtype()) || !is_8bit(out_type)) {
    return ctx.error("a, b and y_zero_point must be int8 or uint8");
  }
  KILN_ASSIGN_OR_RETURN(MatMulPlan plan, plan_matmul(ctx.node, a.shape(), b.shape()));
  const std::vector<float> a_scale = scales(ctx, 1), b_scale = scales(ctx, 4), y_scale = scales(ctx, 6);
  const std::vector<int32_t> y_zp = zero_points(ctx, 7);
  KILN_RETURN_IF_ERROR(check_param_count(ctx, 1, "a_scale", static_cast<int64_t>(a_scale.size()), plan.m));
  KILN_RETURN_IF_ERROR(check_param_count(ctx, 4, "b_scale", static_cast<int64_t>(b_scale.size()), plan.n));
  KILN_RETURN_IF_ERROR(check_param_count(ctx, 6, "y_scale", static_cast<int64_t>(y_scale.size()), plan.m));
  KILN_RETURN_IF_ERROR(check_param_count(ctx, 7, "y_zero_point", static_cast<int64_t>(y_zp.size()), plan.m));
  KILN_ASSIGN_OR_RETURN(Tensor acc,
                        matmul_integer(ctx.node, plan, a, zero_points(ctx, 2), b, zero_points(ctx, 5)));
  Tensor& y = ctx.allocate_output(0, out_type, plan.out_shape);
  auto requantize = [&]<typename Q>() {
    const int32_t* src = acc.data<int32_t>();
    Q* dst = y.data<Q>();
    const int64_t matrices = plan.a_matrix.size();
    for (int64_t mat = 0, e = 0; mat < matrices; ++mat) {
      for (int64_t m = 0; m < plan.m; ++m) {
        const float zp = static_cast<float>(per_channel(y_zp, m));
        for (int64_t n = 0; n < plan.n; ++n, ++e) {
          const float multiplier =
              per_channel(a_scale, m) * per_channel(b_scale, n) / per_channel(y_scale, m);
          const float v = static_cast<float>(src[e]) * multiplier;
          dst[e] = saturate_round<Q>(std::nearbyint(v) + zp);
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

}  // namespace

KILN_REGISTER_OP(
    {.op_type = "QLinearMatMul", .domain = "", .infer = infer, .reference = run, .cost = matmul_cost});

}  // namespace kiln::ops
