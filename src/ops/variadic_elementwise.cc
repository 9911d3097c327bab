// Min, Max, Sum and Mean over one or more inputs, all broadcast together. The result accumulates
// input by input in the element type (as NumPy folds np.maximum / np.add), so float16 rounds at
// each step just as the ONNX reference does. Min and Max propagate NaN like np.minimum/maximum.
#include "ops/elementwise.h"

namespace kiln::ops {
namespace {

struct Max {
  static constexpr TypeSet kTypes = TypeSet::kNumeric;
  template <typename C>
  C operator()(C a, C b) const {
    if constexpr (is_float_v<C>) {
      if (std::isnan(b)) return b;
    }
    return b > a ? b : a;
  }
};

struct Min {
  static constexpr TypeSet kTypes = TypeSet::kNumeric;
  template <typename C>
  C operator()(C a, C b) const {
    if constexpr (is_float_v<C>) {
      if (std::isnan(b)) return b;
    }
    return b < a ? b : a;
  }
};

struct Sum {
  static constexpr TypeSet kTypes = TypeSet::kFloat;
  template <typename C>
  C operator()(C a, C b) const {
    return a + b;
  }
};

struct Mean : Sum {
  static constexpr bool kDivideByCount = true;
};

template <typename Op>
Status check_inputs(const ir::Node& node, size_t n, auto&& has, auto&& dtype) {
  if (n == 0) return invalid_argument(node.describe() + ": takes at least one input");
  for (size_t i = 0; i < n; ++i) {
    if (!has(i)) return invalid_argument(node.describe() + ": input " + std::to_string(i) + " is missing");
    KILN_RETURN_IF_ERROR(check_same_type(node, i, dtype(0), dtype(i)));
  }
  return check_type(node, 0, dtype(0), Op::kTypes);
}

template <typename Op>
Status infer(InferContext& ctx) {
  const size_t n = ctx.num_inputs();
  KILN_RETURN_IF_ERROR(check_inputs<Op>(
      ctx.node, n, [&](size_t i) { return ctx.has_input(i); }, [&](size_t i) { return ctx.dtype(i); }));
  std::vector<size_t> all(n);
  for (size_t i = 0; i < n; ++i) all[i] = i;
  return infer_broadcast(ctx, all, ctx.dtype(0));
}

template <typename Op>
Status run(RunContext& ctx) {
  const size_t n = ctx.num_inputs();
  KILN_RETURN_IF_ERROR(check_inputs<Op>(
      ctx.node, n, [&](size_t i) { return ctx.has_input(i); },
      [&](size_t i) { return ctx.input(i).dtype(); }));
  std::vector<Shape> shapes;
  for (size_t i = 0; i < n; ++i) shapes.push_back(ctx.input(i).shape());
  KILN_ASSIGN_OR_RETURN(Shape shape, broadcast_shapes(ctx.node, shapes));
  Tensor& y = ctx.allocate_output(0, ctx.input(0).dtype(), shape);
  const Op op{};
  visit_dtype(y.dtype(), [&]<typename T>() {
    if constexpr (type_in_set<T>(Op::kTypes)) {
      using C = compute_t<T>;
      T* dst = y.data<T>();
      for (size_t k = 0; k < n; ++k) {
        const Tensor& x = ctx.input(k);
        const BroadcastIndex ix(x.shape(), shape);
        const T* src = x.data<T>();
        for (int64_t i = 0; i < y.numel(); ++i) {
          dst[i] =
              k == 0 ? src[ix[i]] : static_cast<T>(op(static_cast<C>(dst[i]), static_cast<C>(src[ix[i]])));
        }
      }
      if constexpr (requires { Op::kDivideByCount; }) {
        for (int64_t i = 0; i < y.numel(); ++i)
          dst[i] = static_cast<T>(static_cast<C>(dst[i]) / static_cast<C>(n));
      }
    }
  });
  return Status::ok();
}

// One operation per output element for each input after the first (and Mean's division).
template <typename Op>
Cost cost(const ir::Node&, std::span<const TensorType> inputs, std::span<const TensorType> outputs) {
  double flops = static_cast<double>(inputs.size()) - 1;
  if constexpr (requires { Op::kDivideByCount; }) flops += 1;
  return per_element_cost(flops, inputs, outputs);
}

}  // namespace

KILN_REGISTER_OP({.op_type = "Max", .infer = infer<Max>, .reference = run<Max>, .cost = cost<Max>});
KILN_REGISTER_OP({.op_type = "Min", .infer = infer<Min>, .reference = run<Min>, .cost = cost<Min>});
KILN_REGISTER_OP({.op_type = "Sum", .infer = infer<Sum>, .reference = run<Sum>, .cost = cost<Sum>});
KILN_REGISTER_OP({.op_type = "Mean", .infer = infer<Mean>, .reference = run<Mean>, .cost = cost<Mean>});

}  // namespace kiln::ops
