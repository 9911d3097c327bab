// GlobalAveragePool, GlobalMaxPool and GlobalLpPool: one reduction over all spatial dims of each
// (n, c) plane; the output is [N, C, 1, ...]. One table-driven mechanism for the three ops.
#include <algorithm>
#include <cmath>
#include <limits>

#include "ops/pool_kernel.h"
#include "ops/required_inputs.h"

namespace kiln::ops {
namespace {

enum class GlobalKind { kAverage, kMax, kLp };

Status infer(InferContext& ctx) {
  const TensorType& x = ctx.input(0);
  if (!dtype_is_float(x.dtype))
    return ctx.error(std::string("X has type ") + dtype_name(x.dtype) + ", expected a float type");
  if (!x.rank_known) {
    ctx.set_output_unknown_rank(0, x.dtype);
    return Status::ok();
  }
  if (x.shape.size() < 3) return ctx.error("X must have rank 3 or more ([N, C, spatial...])");
  Shape out(x.shape.size(), 1);
  out[0] = x.shape[0];
  out[1] = x.shape[1];
  ctx.set_output(0, x.dtype, out);
  return Status::ok();
}

template <GlobalKind kKind>
Status run(RunContext& ctx) {
  KILN_RETURN_IF_ERROR(require_inputs(ctx, 1));
  const Tensor& x = ctx.input(0);
  if (x.rank() < 3) return ctx.error("X must have rank 3 or more ([N, C, spatial...])");
  Shape out(x.shape().size(), 1);
  out[0] = x.dim(0);
  out[1] = x.dim(1);
  const int64_t planes = x.dim(0) * x.dim(1), plane = planes == 0 ? 0 : x.numel() / planes;
  const int64_t p_norm = ctx.node.attr_int("p", 2);
  if (kKind == GlobalKind::kLp && p_norm < 1) return ctx.error("p must be at least 1");
  Tensor& y = ctx.allocate_output(0, x.dtype(), out);
  return visit_float_dtype(x.dtype(), ctx.node.op_type.c_str(), [&]<typename T>() {
    using Acc = pool_acc_t<T>;
    for (int64_t p = 0; p < planes; ++p) {
      const T* src = x.data<T>() + p * plane;
      Acc r = kKind == GlobalKind::kMax ? std::numeric_limits<Acc>::lowest() : Acc(0);
      for (int64_t i = 0; i < plane; ++i) {
        const Acc v = static_cast<Acc>(src[i]);
        switch (kKind) {
          case GlobalKind::kAverage:
            r += v;
            break;
          case GlobalKind::kMax:
            r = std::max(r, v);
            break;
          case GlobalKind::kLp:
            r += std::pow(std::abs(v), static_cast<Acc>(p_norm));
            break;
        }
      }
      switch (kKind) {
        case GlobalKind::kAverage:
          r /= static_cast<Acc>(plane);
          break;
        case GlobalKind::kMax:
          break;
        case GlobalKind::kLp:
          r = std::pow(r, Acc(1) / static_cast<Acc>(p_norm));
          break;
      }
      y.data<T>()[p] = static_cast<T>(r);
    }
    return Status::ok();
  });
}

}  // namespace

KILN_REGISTER_OP(
    {.op_type = "GlobalAveragePool", .domain = "", .infer = infer, .reference = run<GlobalKind::kAverage>});
KILN_REGISTER_OP(
    {.op_type = "GlobalMaxPool", .domain = "", .infer = infer, .reference = run<GlobalKind::kMax>});
KILN_REGISTER_OP(
    {.op_type = "GlobalLpPool", .domain = "", .infer = infer, .reference = run<GlobalKind::kLp>});

}  // namespace kiln::ops
