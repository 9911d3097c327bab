// Clip: y = min(max(x, min), max). Before opset 11 the bounds are float attributes; since then they
// are optional scalar inputs of x's type (integers since opset 12). Absent bounds do not clip.
// When min > max every element becomes max, as NumPy's clip does. NaN stays NaN.
#include <limits>

#include "ops/elementwise.h"

namespace kiln::ops {
namespace {

constexpr TypeSet kTypes = TypeSet::kNumeric;

bool bounds_are_attributes(const ir::Node& node) { return node.opset < 11; }

Status check_input(const ir::Node& node, DataType x) {
  KILN_RETURN_IF_ERROR(check_type(node, 0, x, kTypes));
  if (bounds_are_attributes(node) && !dtype_is_float(x)) {
    return unsupported(node.describe() + ": before opset 11 Clip takes float types only, not " +
                       dtype_name(x));
  }
  return Status::ok();
}

Status check_bound(const ir::Node& node, size_t i, const Tensor& bound, DataType x) {
  KILN_RETURN_IF_ERROR(check_same_type(node, i, x, bound.dtype()));
  if (bound.numel() != 1) {
    return invalid_argument(node.describe() + ": input " + std::to_string(i) + " has shape " +
                            shape_str(bound.shape()) + "; a bound must be a scalar");
  }
  return Status::ok();
}

Status infer(InferContext& ctx) {
  if (!ctx.has_input(0)) return ctx.error("input 0 is missing");
  KILN_RETURN_IF_ERROR(check_input(ctx.node, ctx.dtype(0)));
  for (size_t i = 1; i <= 2; ++i) {
    if (ctx.has_input(i)) KILN_RETURN_IF_ERROR(check_same_type(ctx.node, i, ctx.dtype(0), ctx.dtype(i)));
  }
  return infer_same_as_input0(ctx);
}

Status run(RunContext& ctx) {
  if (!ctx.has_input(0)) return ctx.error("input 0 is missing");
  const Tensor& x = ctx.input(0);
  KILN_RETURN_IF_ERROR(check_input(ctx.node, x.dtype()));
  for (size_t i = 1; i <= 2; ++i) {
    if (ctx.has_input(i)) KILN_RETURN_IF_ERROR(check_bound(ctx.node, i, ctx.input(i), x.dtype()));
  }
  Tensor& y = ctx.allocate_output(0, x.dtype(), x.shape());
  visit_dtype(x.dtype(), [&]<typename T>() {
    if constexpr (type_in_set<T>(kTypes)) {
      using C = compute_t<T>;
      C lo = std::numeric_limits<C>::lowest();
      C hi = std::numeric_limits<C>::max();
      if (bounds_are_attributes(ctx.node)) {
        lo = static_cast<C>(ctx.node.attr_float("min", std::numeric_limits<float>::lowest()));
        hi = static_cast<C>(ctx.node.attr_float("max", std::numeric_limits<float>::max()));
      } else {
        if (ctx.has_input(1)) lo = static_cast<C>(ctx.input(1).data<T>()[0]);
        if (ctx.has_input(2)) hi = static_cast<C>(ctx.input(2).data<T>()[0]);
      }
      const T* src = x.data<T>();
      T* dst = y.data<T>();
      for (int64_t i = 0; i < x.numel(); ++i) {
        C v = static_cast<C>(src[i]);
        v = v < lo ? lo : v;
        dst[i] = static_cast<T>(v > hi ? hi : v);
      }
    }
  });
  return Status::ok();
}

Cost cost(const ir::Node&, std::span<const TensorType> inputs, std::span<const TensorType> outputs) {
  return per_element_cost(2, inputs, outputs);
}

}  // namespace

KILN_REGISTER_OP({.op_type = "Clip", .infer = infer, .reference = run, .cost = cost, .memory = Memory::kInPlace});

}  // namespace kiln::ops
