// MatMul: NumPy matmul (batched, broadcast batch dims, 1-D operands promoted then squeezed).
// f16 and bf16 compute in float; integers in their own type.
#include "ops/matmul_util.h"
#include "ops/required_inputs.h"

namespace kiln::ops {
namespace {

bool supported(DataType t) {
  return dtype_is_float(t) || t == DataType::kInt32 || t == DataType::kInt64 || t == DataType::kUInt32 ||
         t == DataType::kUInt64;
}

Status infer(InferContext& ctx) {
  if (ctx.num_inputs() < 2) return ctx.error("expects inputs A and B");
  const DataType t = ctx.dtype(0);
  if (!supported(t)) return ctx.error(std::string("type ") + dtype_name(t) + " is not supported");
  if (ctx.dtype(1) != t) return ctx.error("A and B must have the same type");
  if (!ctx.input(0).rank_known || !ctx.input(1).rank_known) {
    ctx.set_output_unknown_rank(0, t);
    return Status::ok();
  }
  KILN_ASSIGN_OR_RETURN(Shape out, matmul_output_shape(ctx.node, ctx.shape(0), ctx.shape(1)));
  ctx.set_output(0, t, out);
  return Status::ok();
}

Status run(RunContext& ctx) {
  KILN_RETURN_IF_ERROR(require_inputs(ctx, 2));
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  if (a.dtype() != b.dtype() || !supported(a.dtype()))
    return ctx.error("A and B must have the same supported type");
  KILN_ASSIGN_OR_RETURN(MatMulPlan plan, plan_matmul(ctx.node, a.shape(), b.shape()));
  const DataType ct = gemm_compute_dtype(a.dtype());
  const Tensor ac = as_dtype(a, ct), bc = as_dtype(b, ct);
  Tensor y(ct, plan.out_shape);
  auto multiply = [&]<typename T>() { run_matmul<T>(plan, ac.data<T>(), bc.data<T>(), y.data<T>()); };
  switch (ct) {
    case DataType::kFloat32:
      multiply.operator()<float>();
      break;
    case DataType::kFloat64:
      multiply.operator()<double>();
      break;
    case DataType::kInt32:
      multiply.operator()<int32_t>();
      break;
    case DataType::kInt64:
      multiply.operator()<int64_t>();
      break;
    case DataType::kUInt32:
      multiply.operator()<uint32_t>();
      break;
    case DataType::kUInt64:
      multiply.operator()<uint64_t>();
      break;
    default:
      return ctx.error(std::string("type ") + dtype_name(a.dtype()) + " is not supported");
  }
  ctx.set_output(0, as_dtype(y, a.dtype()));
  return Status::ok();
}

}  // namespace

KILN_REGISTER_OP({.op_type = "MatMul", .domain = "", .infer = infer, .reference = run, .cost = matmul_cost});

}  // namespace kiln::ops
