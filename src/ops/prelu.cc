// PRelu: y = x < 0 ? slope * x : x, with slope broadcast to x's shape (unidirectionally: the output
// has x's shape). Models before opset 7 often give a per-channel slope of shape [C]; there it
// applies along axis 1, as those opsets' implementations did.
#include "ops/elementwise.h"

namespace kiln::ops {
namespace {

// Floats and signed integers; unsigned integers (opset 16) are never negative, so pass through.
constexpr TypeSet kTypes = TypeSet::kNumeric;

template <typename C>
bool is_negative(C v) {
  if constexpr (std::is_unsigned_v<C>)
    return false;
  else
    return v < 0;
}

// The slope's shape as it broadcasts against x: [C] becomes [C, 1, ..., 1] for old per-channel models.
Expected<Shape> slope_shape(const ir::Node& node, const Shape& x, const Shape& slope) {
  if (node.opset < 7 && slope.size() == 1 && x.size() >= 2 && slope[0] == x[1]) {
    Shape s(x.size() - 1, 1);
    s[0] = slope[0];
    return s;
  }
  KILN_ASSIGN_OR_RETURN(Shape b, broadcast_shapes(node, {x, slope}));
  bool same = b.size() == x.size();
  for (size_t i = 0; same && i < b.size(); ++i) same = b[i] == x[i] || x[i] < 0;
  if (!same) {
    return invalid_argument(node.describe() + ": the slope's shape " + shape_str(slope) +
                            " does not broadcast to the input's shape " + shape_str(x));
  }
  return slope;
}

Status infer(InferContext& ctx) {
  if (!ctx.has_input(0) || !ctx.has_input(1)) return ctx.error("takes two inputs (X and slope)");
  KILN_RETURN_IF_ERROR(check_type(ctx.node, 0, ctx.dtype(0), kTypes));
  KILN_RETURN_IF_ERROR(check_same_type(ctx.node, 1, ctx.dtype(0), ctx.dtype(1)));
  if (ctx.input(0).rank_known && ctx.input(1).rank_known) {
    KILN_RETURN_IF_ERROR(slope_shape(ctx.node, ctx.shape(0), ctx.shape(1)).status());
  }
  return infer_same_as_input0(ctx);
}

Status run(RunContext& ctx) {
  if (!ctx.has_input(0) || !ctx.has_input(1)) return ctx.error("takes two inputs (X and slope)");
  const Tensor& x = ctx.input(0);
  const Tensor& slope = ctx.input(1);
  KILN_RETURN_IF_ERROR(check_type(ctx.node, 0, x.dtype(), kTypes));
  KILN_RETURN_IF_ERROR(check_same_type(ctx.node, 1, x.dtype(), slope.dtype()));
  KILN_ASSIGN_OR_RETURN(Shape sshape, slope_shape(ctx.node, x.shape(), slope.shape()));
  Tensor& y = ctx.allocate_output(0, x.dtype(), x.shape());
  const BroadcastIndex is(sshape, x.shape());
  visit_dtype(x.dtype(), [&]<typename T>() {
    if constexpr (type_in_set<T>(kTypes)) {
      using C = compute_t<T>;
      const T* px = x.data<T>();
      const T* ps = slope.data<T>();
      T* dst = y.data<T>();
      for (int64_t i = 0; i < x.numel(); ++i) {
        const C v = static_cast<C>(px[i]);
        dst[i] = is_negative(v) ? static_cast<T>(mul(static_cast<C>(ps[is[i]]), v)) : px[i];
      }
    }
  });
  return Status::ok();
}

Cost cost(const ir::Node&, std::span<const TensorType> inputs, std::span<const TensorType> outputs) {
  return per_element_cost(2, inputs, outputs);
}

}  // namespace

KILN_REGISTER_OP({.op_type = "PRelu", .infer = infer, .reference = run, .cost = cost, .memory = Memory::kInPlace});

}  // namespace kiln::ops
