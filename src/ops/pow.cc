// Pow: base ** exponent with broadcasting. The exponent may have another numeric type than the base
// (opset 12); the output has the base's type. Integer ** non-negative integer is exact (wrapping
// on overflow); everything else computes in double and converts, as NumPy's promotion does.
#include "ops/elementwise.h"

namespace kiln::ops {
namespace {

constexpr TypeSet kBaseTypes = TypeSet::kNumeric;
constexpr TypeSet kExponentTypes = TypeSet::kNumeric;

template <typename B>
B int_pow(B base, uint64_t exponent) {
  B result = 1;
  for (; exponent; exponent >>= 1) {
    if (exponent & 1) result = mul(result, base);
    base = mul(base, base);
  }
  return result;
}

template <typename B, typename E>
B power(compute_t<B> base, compute_t<E> exponent) {
  if constexpr (is_int_v<B> && is_int_v<E>) {
    bool negative = false;
    if constexpr (std::is_signed_v<E>) negative = exponent < 0;
    if (!negative) return int_pow(base, static_cast<uint64_t>(exponent));
  }
  return from_double<B>(std::pow(static_cast<double>(base), static_cast<double>(exponent)));
}

Status check_types(const ir::Node& node, DataType base, DataType exponent) {
  KILN_RETURN_IF_ERROR(check_type(node, 0, base, kBaseTypes));
  return check_type(node, 1, exponent, kExponentTypes);
}

Status infer(InferContext& ctx) {
  if (!ctx.has_input(0) || !ctx.has_input(1)) return ctx.error("takes two inputs");
  KILN_RETURN_IF_ERROR(check_types(ctx.node, ctx.dtype(0), ctx.dtype(1)));
  return infer_broadcast(ctx, {0, 1}, ctx.dtype(0));
}

Status run(RunContext& ctx) {
  if (!ctx.has_input(0) || !ctx.has_input(1)) return ctx.error("takes two inputs");
  const Tensor& x = ctx.input(0);
  const Tensor& y = ctx.input(1);
  KILN_RETURN_IF_ERROR(check_types(ctx.node, x.dtype(), y.dtype()));
  KILN_ASSIGN_OR_RETURN(Shape shape, broadcast_shapes(ctx.node, {x.shape(), y.shape()}));
  Tensor& z = ctx.allocate_output(0, x.dtype(), shape);
  const BroadcastIndex ix(x.shape(), shape);
  const BroadcastIndex iy(y.shape(), shape);
  visit_dtype(x.dtype(), [&]<typename B>() {
    if constexpr (type_in_set<B>(kBaseTypes)) {
      visit_dtype(y.dtype(), [&]<typename E>() {
        if constexpr (type_in_set<E>(kExponentTypes)) {
          const B* px = x.data<B>();
          const E* py = y.data<E>();
          B* pz = z.data<B>();
          for (int64_t i = 0; i < z.numel(); ++i) {
            pz[i] = power<B, E>(static_cast<compute_t<B>>(px[ix[i]]), static_cast<compute_t<E>>(py[iy[i]]));
          }
        }
      });
    }
  });
  return Status::ok();
}

Cost cost(const ir::Node&, std::span<const TensorType> inputs, std::span<const TensorType> outputs) {
  return per_element_cost(16, inputs, outputs);  // a log and an exp
}

}  // namespace

KILN_REGISTER_OP({.op_type = "Pow", .infer = infer, .reference = run, .cost = cost});

}  // namespace kiln::ops
