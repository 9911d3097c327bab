// MatMulInteger: the int32 matmul (NumPy semantics) of 8-bit A and B after subtracting their zero
// points: A's per tensor or per row, B's per tensor or per column.
#include "ops/matmul_util.h"
#include "ops/quant_util.h"
#include "ops/required_inputs.h"

namespace kiln::ops {
namespace {

bool is_8bit(DataType t) { return t == DataType::kInt8 || t == DataType::kUInt8; }

Status infer(InferContext& ctx) {
  if (ctx.num_inputs() < 2) return ctx.error("expects inputs A and B");
  if (!is_8bit(ctx.dtype(0)) || !is_8bit(ctx.dtype(1))) return ctx.error("A and B must be int8 or uint8");
  if (!ctx.input(0).rank_known || !ctx.input(1).rank_known) {
    ctx.set_output_unknown_rank(0, DataType::kInt32);
    return Status::ok();
  }
  KILN_ASSIGN_OR_RETURN(Shape out, matmul_output_shape(ctx.node, ctx.shape(0), ctx.shape(1)));
  ctx.set_output(0, DataType::kInt32, out);
  return Status::ok();
}

Status run(RunContext& ctx) {
  KILN_RETURN_IF_ERROR(require_inputs(ctx, 2));
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  if (!is_8bit(a.dtype()) || !is_8bit(b.dtype())) return ctx.error("A and B must be int8 or uint8");
  KILN_ASSIGN_OR_RETURN(MatMulPlan plan, plan_matmul(ctx.node, a.shape(), b.shape()));
  const std::vector<int32_t> a_zp = ctx.has_input(2) ? zero_points(ctx, 2) : std::vector<int32_t>{};
  const std::vector<int32_t> b_zp = ctx.has_input(3) ? zero_points(ctx, 3) : std::vector<int32_t>{};
  KILN_ASSIGN_OR_RETURN(Tensor y, matmul_integer(ctx.node, plan, a, a_zp, b, b_zp));
  ctx.set_output(0, y);
  return Status::ok();
}

}  // namespace

KILN_REGISTER_OP(
    {.op_type = "MatMulInteger", .domain = "", .infer = infer, .reference = run, .cost = matmul_cost});

}  // namespace kiln::ops
