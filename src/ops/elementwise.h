// The machinery shared by kiln's elementwise ops: the element types an op accepts (as data), the
// type each element type computes in, wrapping integer arithmetic, and generic unary and
// broadcasting binary kernels with their infer and cost.
//
// An elementwise op is a small struct `Op`:
//   static constexpr TypeSet kTypes;         the input element types it accepts
//   static constexpr bool kBoolOutput;       optional: the output is bool (else the input's type)
//   static constexpr double kFlops;          optional: nominal operations per output element (1)
//   Op(const ir::Node&);                     optional: reads the node's attributes
//   Status check(const ir::Node&) const;     optional: validates them
//   template <typename C> C operator()(C x) const;        unary, or (C a, C b) for binary,
// where C = compute_t<T> of the element type T.
#pragma once

#include <cmath>
#include <limits>
#include <span>
#include <type_traits>

#include "ops/util.h"

namespace kiln::ops {

enum class TypeSet : uint8_t {
  kFloat,          // f16, bf16, f32, f64
  kSignedNumeric,  // floats and signed ints
  kNumeric,        // floats and all ints
  kInteger,        // signed and unsigned ints
  kUnsigned,       // unsigned ints
  kBool,
  kAll,  // numeric and bool
};

bool in_type_set(DataType t, TypeSet s);
/// Fails naming the node and input `input` when `t` is not in `s`.
Status check_type(const ir::Node& node, size_t input, DataType t, TypeSet s);
/// Fails naming the node when input `i` and input 0 have different element types.
Status check_same_type(const ir::Node& node, size_t i, DataType t0, DataType ti);

template <typename T>
inline constexpr bool is_half_v = std::is_same_v<T, float16> || std::is_same_v<T, bfloat16>;
template <typename T>
inline constexpr bool is_float_v = is_half_v<T> || std::is_floating_point_v<T>;
template <typename T>
inline constexpr bool is_int_v = std::is_integral_v<T> && !std::is_same_v<T, bool>;

template <typename T>
constexpr bool type_in_set(TypeSet s) {
  switch (s) {
    case TypeSet::kFloat:
      return is_float_v<T>;
    case TypeSet::kSignedNumeric:
      return is_float_v<T> || (is_int_v<T> && std::is_signed_v<T>);
    case TypeSet::kNumeric:
      return is_float_v<T> || is_int_v<T>;
    case TypeSet::kInteger:
      return is_int_v<T>;
    case TypeSet::kUnsigned:
      return is_int_v<T> && std::is_unsigned_v<T>;
    case TypeSet::kBool:
      return std::is_same_v<T, bool>;
    case TypeSet::kAll:
      return true;
  }
  return false;
}

/// The type elementwise maths is done in: float for f16 and bf16 (rounded back on store, as ONNX's
/// reference does), T otherwise.
template <typename T>
using compute_t = std::conditional_t<is_half_v<T>, float, T>;

// Integer arithmetic wraps (two's complement), which C++ leaves undefined for signed overflow.
// Types narrower than unsigned are widened to unsigned so that promotion to int cannot overflow.
template <typename T>
using wrap_t = std::conditional_t<(sizeof(T) < sizeof(unsigned)), unsigned, std::make_unsigned_t<T>>;
template <typename T>
T add(T a, T b) {
  if constexpr (is_int_v<T>)
    return static_cast<T>(static_cast<wrap_t<T>>(a) + static_cast<wrap_t<T>>(b));
  else
    return a + b;
}
template <typename T>
T sub(T a, T b) {
  if constexpr (is_int_v<T>)
    return static_cast<T>(static_cast<wrap_t<T>>(a) - static_cast<wrap_t<T>>(b));
  else
    return a - b;
}
template <typename T>
T mul(T a, T b) {
  if constexpr (is_int_v<T>)
    return static_cast<T>(static_cast<wrap_t<T>>(a) * static_cast<wrap_t<T>>(b));
  else
    return a * b;
}
template <typename T>
T neg(T a) {
  return sub(T(0), a);
}

/// A double converted to T without undefined behaviour: NaN gives 0 and out-of-range values
/// saturate for integer T.
template <typename T>
T from_double(double v) {
  if constexpr (is_int_v<T>) {
    if (std::isnan(v)) return 0;
    if (v <= static_cast<double>(std::numeric_limits<T>::lowest())) return std::numeric_limits<T>::lowest();
    if (v >= static_cast<double>(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
    return static_cast<T>(v);
  } else if constexpr (std::is_same_v<T, bool>) {
    return v != 0;
  } else {
    return static_cast<T>(static_cast<compute_t<T>>(v));
  }
}

/// For each output element, the element of an input broadcast to the output's shape. When the
/// input already has the output's shape the index is the identity and no table is built.
class BroadcastIndex {
 public:
  BroadcastIndex(const Shape& in, const Shape& out) {
    if (in != out) offsets_ = broadcast_offsets(in, out);
  }
  int64_t operator[](int64_t i) const { return offsets_.empty() ? i : offsets_[static_cast<size_t>(i)]; }

 private:
  std::vector<int64_t> offsets_;
};

/// Sets output 0 to the broadcast of the present inputs among `inputs`, with element type `out`.
Status infer_broadcast(InferContext& ctx, const std::vector<size_t>& inputs, DataType out);

/// Default elementwise cost with `flops_per_element` operations per output element.
Cost per_element_cost(double flops_per_element, std::span<const TensorType> inputs,
                      std::span<const TensorType> outputs);
/// Cost of an op that computes nothing and writes only its outputs (Shape, Constant, EyeLike...).
Cost output_only_cost(const ir::Node& node, std::span<const TensorType> inputs,
                      std::span<const TensorType> outputs);
/// Cost of an op that hands its input on without touching the bytes (Identity).
Cost zero_cost(const ir::Node& node, std::span<const TensorType> inputs, std::span<const TensorType> outputs);
/// Cost of an op that copies its input (Identity, Cast, Dropout at inference).
Cost copy_cost(const ir::Node& node, std::span<const TensorType> inputs, std::span<const TensorType> outputs);

// ---- Generic kernels over an `Op` as described at the top of this file. ----

template <typename Op>
constexpr bool bool_output() {
  if constexpr (requires { Op::kBoolOutput; })
    return Op::kBoolOutput;
  else
    return false;
}

template <typename Op>
Cost elementwise_cost(const ir::Node&, std::span<const TensorType> inputs,
                      std::span<const TensorType> outputs) {
  if constexpr (requires { Op::kFlops; })
    return per_element_cost(Op::kFlops, inputs, outputs);
  else
    return per_element_cost(1, inputs, outputs);
}

/// Builds the op from the node's attributes and validates them.
template <typename Op>
Expected<Op> make_op(const ir::Node& node) {
  if constexpr (std::is_constructible_v<Op, const ir::Node&>) {
    Op op(node);
    if constexpr (requires { op.check(node); }) KILN_RETURN_IF_ERROR(op.check(node));
    return op;
  } else {
    return Op{};
  }
}

template <typename Op>
DataType output_dtype(DataType in) {
  return bool_output<Op>() ? DataType::kBool : in;
}

template <typename Op>
Status infer_unary(InferContext& ctx) {
  if (!ctx.has_input(0)) return ctx.error("input 0 is missing");
  KILN_RETURN_IF_ERROR(check_type(ctx.node, 0, ctx.dtype(0), Op::kTypes));
  KILN_RETURN_IF_ERROR(make_op<Op>(ctx.node).status());
  const TensorType& x = ctx.input(0);
  if (x.rank_known)
    ctx.set_output(0, output_dtype<Op>(x.dtype), x.shape);
  else
    ctx.set_output_unknown_rank(0, output_dtype<Op>(x.dtype));
  return Status::ok();
}

template <typename Op>
Status run_unary(RunContext& ctx) {
  if (!ctx.has_input(0)) return ctx.error("input 0 is missing");
  const Tensor& x = ctx.input(0);
  KILN_RETURN_IF_ERROR(check_type(ctx.node, 0, x.dtype(), Op::kTypes));
  KILN_ASSIGN_OR_RETURN(const Op op, make_op<Op>(ctx.node));
  Tensor& y = ctx.allocate_output(0, output_dtype<Op>(x.dtype()), x.shape());
  visit_dtype(x.dtype(), [&]<typename T>() {
    if constexpr (type_in_set<T>(Op::kTypes)) {
      using C = compute_t<T>;
      using Out = std::conditional_t<bool_output<Op>(), bool, T>;
      const T* src = x.data<T>();
      Out* dst = y.data<Out>();
      for (int64_t i = 0; i < x.numel(); ++i) dst[i] = static_cast<Out>(op(static_cast<C>(src[i])));
    }
  });
  return Status::ok();
}

template <typename Op>
Status infer_binary(InferContext& ctx) {
  if (!ctx.has_input(0) || !ctx.has_input(1)) return ctx.error("takes two inputs");
  KILN_RETURN_IF_ERROR(check_type(ctx.node, 0, ctx.dtype(0), Op::kTypes));
  KILN_RETURN_IF_ERROR(check_same_type(ctx.node, 1, ctx.dtype(0), ctx.dtype(1)));
  KILN_RETURN_IF_ERROR(make_op<Op>(ctx.node).status());
  return infer_broadcast(ctx, {0, 1}, output_dtype<Op>(ctx.dtype(0)));
}

template <typename Op>
Status run_binary(RunContext& ctx) {
  if (!ctx.has_input(0) || !ctx.has_input(1)) return ctx.error("takes two inputs");
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  KILN_RETURN_IF_ERROR(check_type(ctx.node, 0, a.dtype(), Op::kTypes));
  KILN_RETURN_IF_ERROR(check_same_type(ctx.node, 1, a.dtype(), b.dtype()));
  KILN_ASSIGN_OR_RETURN(const Op op, make_op<Op>(ctx.node));
  KILN_ASSIGN_OR_RETURN(Shape shape, broadcast_shapes(ctx.node, {a.shape(), b.shape()}));
  Tensor& y = ctx.allocate_output(0, output_dtype<Op>(a.dtype()), shape);
  const BroadcastIndex ia(a.shape(), shape);
  const BroadcastIndex ib(b.shape(), shape);
  visit_dtype(a.dtype(), [&]<typename T>() {
    if constexpr (type_in_set<T>(Op::kTypes)) {
      using C = compute_t<T>;
      using Out = std::conditional_t<bool_output<Op>(), bool, T>;
      const T* pa = a.data<T>();
      const T* pb = b.data<T>();
      Out* dst = y.data<Out>();
      for (int64_t i = 0; i < y.numel(); ++i) {
        dst[i] = static_cast<Out>(op(static_cast<C>(pa[ia[i]]), static_cast<C>(pb[ib[i]])));
      }
    }
  });
  return Status::ok();
}

}  // namespace kiln::ops
