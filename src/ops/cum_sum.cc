// CumSum: running sums along `axis` (input 1, a scalar); `exclusive` leaves out the element itself
// and `reverse` sums from the end.
#include "ops/data_movement.h"

namespace kiln::ops {
namespace {

Status infer(InferContext& ctx) {
  if (ctx.input(0).rank_known && ctx.value(1)) {
    if (ctx.value(1)->numel() != 1) return ctx.error("axis must be a scalar");
    KILN_RETURN_IF_ERROR(
        normalize_axis(ctx.node, ctx.value(1)->as_int64(0), static_cast<int64_t>(ctx.shape(0).size()))
            .status());
  }
  return infer_same_as_input0(ctx);
}

Status run(RunContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (x.dtype() == DataType::kBool) return ctx.error("CumSum needs a numeric type, not bool");
  KILN_RETURN_IF_ERROR(inferred_shape(ctx, infer).status());
  const size_t axis = static_cast<size_t>(*normalize_axis(ctx.node, ctx.input(1).as_int64(0), x.rank()));
  const bool exclusive = ctx.node.attr_int("exclusive", 0) != 0;
  const bool reverse = ctx.node.attr_int("reverse", 0) != 0;
  const int64_t n = x.shape()[axis];
  const int64_t outer = dims_product(x.shape(), 0, axis);
  const int64_t inner = dims_product(x.shape(), axis + 1, x.shape().size());
  Tensor& y = ctx.allocate_output(0, x.dtype(), x.shape());
  visit_dtype(x.dtype(), [&]<typename T>() {
    using Acc = std::conditional_t<std::is_same_v<T, float16> || std::is_same_v<T, bfloat16>, float, T>;
    const T* src = x.data<T>();
    T* dst = y.data<T>();
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t i = 0; i < inner; ++i) {
        Acc acc{};
        for (int64_t step = 0; step < n; ++step) {
          const int64_t j = reverse ? n - 1 - step : step;
          const int64_t at = (o * n + j) * inner + i;
          const Acc v = static_cast<Acc>(src[at]);
          if (exclusive) {
            dst[at] = static_cast<T>(acc);
            acc = static_cast<Acc>(acc + v);
          } else {
            acc = static_cast<Acc>(acc + v);
            dst[at] = static_cast<T>(acc);
          }
        }
      }
    }
  });
  return Status::ok();
}

}  // namespace

KILN_REGISTER_OP({.op_type = "CumSum", .infer = infer, .reference = run});

}  // namespace kiln::ops
