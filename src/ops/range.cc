// Range: start, start + delta, ... while before limit; max(ceil((limit - start) / delta), 0)
// elements of start's type. start, limit and delta are scalar inputs.
#include <cmath>

#include "ops/data_movement.h"

namespace kiln::ops {
namespace {

// Element count, or an error for delta 0 or a count that is not finite.
Expected<int64_t> range_count(const ir::Node& node, const Tensor& start, const Tensor& limit,
                              const Tensor& delta) {
  if (start.numel() != 1 || limit.numel() != 1 || delta.numel() != 1) {
    return invalid_argument(node.describe() + ": start, limit and delta must be scalars");
  }
  const double s = start.as_double(0), l = limit.as_double(0), d = delta.as_double(0);
  if (d == 0) return invalid_argument(node.describe() + ": delta must not be 0");
  const double n = std::ceil((l - s) / d);
  if (std::isnan(n) || n > 1e12) {
    return invalid_argument(node.describe() + ": Range(" + std::to_string(s) + ", " + std::to_string(l) +
                            ", " + std::to_string(d) + ") has no finite element count");
  }
  return n < 0 ? int64_t{0} : static_cast<int64_t>(n);
}

Status infer(InferContext& ctx) {
  const DataType dt = ctx.dtype(0);
  if (dt == DataType::kBool) return ctx.error("Range needs a numeric type, not bool");
  for (size_t i = 1; i < 3; ++i) {
    if (ctx.dtype(i) != dt) return ctx.error("start, limit and delta must have one type");
  }
  if (ctx.value(0) && ctx.value(1) && ctx.value(2)) {
    KILN_ASSIGN_OR_RETURN(int64_t n, range_count(ctx.node, *ctx.value(0), *ctx.value(1), *ctx.value(2)));
    ctx.set_output(0, dt, {n});
  } else {
    ctx.set_output(0, dt, {-1});
  }
  return Status::ok();
}

Status run(RunContext& ctx) {
  KILN_ASSIGN_OR_RETURN(Shape out_shape, inferred_shape(ctx, infer));
  const Tensor& start = ctx.input(0);
  Tensor& y = ctx.allocate_output(0, start.dtype(), out_shape);
  visit_dtype(start.dtype(), [&]<typename T>() {
    T* out = y.data<T>();
    if constexpr (std::is_integral_v<T>) {
      const T s = start.data<T>()[0], d = ctx.input(2).data<T>()[0];
      for (int64_t i = 0; i < out_shape[0]; ++i) out[i] = static_cast<T>(s + static_cast<T>(i) * d);
    } else {
      const double s = start.as_double(0), d = ctx.input(2).as_double(0);
      for (int64_t i = 0; i < out_shape[0]; ++i) out[i] = static_cast<T>(s + static_cast<double>(i) * d);
    }
  });
  return Status::ok();
}

}  // namespace

KILN_REGISTER_OP({.op_type = "Range", .infer = infer, .reference = run});

}  // namespace kiln::ops
