// The Reduce* family, one table: each op folds the elements of the reduced axes into one value.
// Axes come from the `axes` attribute, or from input 1 from the opset in the table (13 for
// ReduceSum, 18 for the others). Empty axes reduce everything unless noop_with_empty_axes is set.
#include <cmath>
#include <limits>
#include <optional>

#include "ops/kernel_util.h"
#include "ops/util.h"

namespace kiln::ops {
namespace {

enum class Reduce { kSum, kMean, kMax, kMin, kProd, kL1, kL2, kLogSum, kLogSumExp, kSumSquare };

struct ReduceDef {
  const char* op_type;
  Reduce kind;
  int axes_input_opset;  // from this opset, axes are input 1 rather than an attribute
};

constexpr ReduceDef kReduceDefs[] = {
    {"ReduceSum", Reduce::kSum, 13},
    {"ReduceMean", Reduce::kMean, 18},
    {"ReduceMax", Reduce::kMax, 18},
    {"ReduceMin", Reduce::kMin, 18},
    {"ReduceProd", Reduce::kProd, 18},
    {"ReduceL1", Reduce::kL1, 18},
    {"ReduceL2", Reduce::kL2, 18},
    {"ReduceLogSum", Reduce::kLogSum, 18},
    {"ReduceLogSumExp", Reduce::kLogSumExp, 18},
    {"ReduceSumSquare", Reduce::kSumSquare, 18},
};

const ReduceDef& def_of(const ir::Node& node) {
  for (const ReduceDef& d : kReduceDefs) {
    if (node.op_type == d.op_type) return d;
  }
  return kReduceDefs[0];  // unreachable: only the table's op types are registered
}

// Ops whose integer results need fractions or logs along the way compute in double.
bool needs_double(Reduce k) {
  switch (k) {
    case Reduce::kMean:
    case Reduce::kL2:
    case Reduce::kLogSum:
    case Reduce::kLogSumExp:
      return true;
    case Reduce::kSum:
    case Reduce::kMax:
    case Reduce::kMin:
    case Reduce::kProd:
    case Reduce::kL1:
    case Reduce::kSumSquare:
      return false;
  }
  return false;
}

/// Which axes are reduced: nullopt while the axes input is not known; `noop` when the input passes
/// through unchanged (empty axes with noop_with_empty_axes).
struct ReducedAxes {
  std::vector<bool> reduced;
  bool noop = false;
};

Expected<std::optional<ReducedAxes>> reduced_axes(const ir::Node& node, int64_t rank, bool axes_given,
                                                  const Tensor* axes_value) {
  std::vector<int64_t> axes;
  if (node.opset >= def_of(node).axes_input_opset) {
    if (axes_given) {
      if (axes_value == nullptr) return std::optional<ReducedAxes>();
      axes = axes_value->to_int64_vector();
    }
  } else {
    axes = node.attr_ints("axes");
  }
  ReducedAxes r;
  r.reduced.assign(static_cast<size_t>(rank), axes.empty());
  if (axes.empty()) {
    r.noop = node.attr_int("noop_with_empty_axes", 0) != 0;
    if (r.noop) r.reduced.assign(static_cast<size_t>(rank), false);
    return std::optional<ReducedAxes>(std::move(r));
  }
  for (int64_t a : axes) {
    KILN_ASSIGN_OR_RETURN(int64_t n, normalize_axis(node, a, rank));
    if (r.reduced[n])
      return invalid_argument(node.describe() + ": axis " + std::to_string(a) + " is repeated");
    r.reduced[n] = true;
  }
  return std::optional<ReducedAxes>(std::move(r));
}

Shape reduced_shape(const Shape& in, const ReducedAxes& r, bool keepdims) {
  Shape out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (!r.reduced[i]) {
      out.push_back(in[i]);
    } else if (keepdims) {
      out.push_back(1);
    }
  }
  return out;
}

Status check_dtype(const ir::Node& node, DataType t) {
  const Reduce k = def_of(node).kind;
  if (t == DataType::kUndefined || (t == DataType::kBool && k != Reduce::kMax && k != Reduce::kMin)) {
    return invalid_argument(node.describe() + ": input type " + dtype_name(t) +
                            " is not supported (use a numeric type)");
  }
  return Status::ok();
}

Status infer(InferContext& ctx) {
  KILN_RETURN_IF_ERROR(check_dtype(ctx.node, ctx.dtype(0)));
  const DataType dt = ctx.dtype(0);
  const bool keepdims = ctx.node.attr_int("keepdims", 1) != 0;
  if (!ctx.input(0).rank_known) {
    ctx.set_output_unknown_rank(0, dt);
    return Status::ok();
  }
  const Shape& in = ctx.shape(0);
  KILN_ASSIGN_OR_RETURN(
      auto axes, reduced_axes(ctx.node, static_cast<int64_t>(in.size()), ctx.has_input(1), ctx.value(1)));
  if (!axes) {
    if (keepdims) {
      ctx.set_output(0, dt, Shape(in.size(), -1));
    } else {
      ctx.set_output_unknown_rank(0, dt);
    }
    return Status::ok();
  }
  ctx.set_output(0, dt, reduced_shape(in, *axes, keepdims));
  return Status::ok();
}

/// Calls f(input_index, output_index) for every input element in row-major order, where the output
/// index drops (strides 0 over) the reduced axes.
template <typename F>
void for_each_element(const Shape& in, const std::vector<int64_t>& out_strides, F&& f) {
  const int64_t n = shape_numel(in);
  if (n == 0) return;
  if (in.empty()) {
    f(int64_t{0}, int64_t{0});
    return;
  }
  const int64_t rank = static_cast<int64_t>(in.size());
  const int64_t last = in[rank - 1], last_stride = out_strides[rank - 1];
  std::vector<int64_t> idx(static_cast<size_t>(rank), 0);
  int64_t o = 0;
  for (int64_t i = 0; i < n; i += last) {
    for (int64_t j = 0; j < last; ++j) f(i + j, o + j * last_stride);
    for (int64_t d = rank - 2; d >= 0; --d) {
      if (++idx[d] < in[d]) {
        o += out_strides[d];
        break;
      }
      o -= out_strides[d] * (in[d] - 1);
      idx[d] = 0;
    }
  }
}

// Integer accumulators wrap on overflow, as NumPy's do, instead of overflowing (undefined in C++):
// the arithmetic runs on the unsigned representation.
template <typename A>
A add(A a, A b) {
  if constexpr (std::is_integral_v<A>) {
    return static_cast<A>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
  } else {
    return a + b;
  }
}

template <typename A>
A mul(A a, A b) {
  if constexpr (std::is_integral_v<A>) {
    return static_cast<A>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
  } else {
    return a * b;
  }
}

/// Converts an accumulator to the element type; integers saturate (NaN, e.g. the mean of nothing,
/// becomes 0) rather than overflow, and bools are "any non-zero".
template <typename T, typename A>
T to_element(A v) {
  if constexpr (std::is_same_v<T, bool>) {
    return v > 0;
  } else if constexpr (std::is_integral_v<T> && std::is_floating_point_v<A>) {
    if (std::isnan(v)) return T(0);
    if (v <= static_cast<A>(std::numeric_limits<T>::lowest())) return std::numeric_limits<T>::lowest();
    if (v >= static_cast<A>(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
    return static_cast<T>(v);
  } else {
    return static_cast<T>(v);
  }
}

template <typename T, typename A>
void reduce(Reduce kind, const T* x, const Shape& in, const std::vector<int64_t>& ostr, T* y, int64_t out_n,
            int64_t count) {
  std::vector<A> acc(static_cast<size_t>(out_n));
  auto each = [&](auto&& f) { for_each_element(in, ostr, f); };
  auto fill = [&](A v) { std::fill(acc.begin(), acc.end(), v); };
  constexpr bool kFloat = std::is_floating_point_v<A>;
  // The max of nothing is the lowest value of the element type (-inf for floats), and so on.
  A lowest = -std::numeric_limits<A>::infinity(), highest = std::numeric_limits<A>::infinity();
  if constexpr (std::is_integral_v<T>) {
    lowest = static_cast<A>(std::numeric_limits<T>::lowest());
    highest = static_cast<A>(std::numeric_limits<T>::max());
  }
  auto sum_of = [&](auto&& g) {
    fill(A(0));
    each([&](int64_t i, int64_t o) { acc[o] = add(acc[o], g(static_cast<A>(x[i]))); });
  };
  switch (kind) {
    case Reduce::kSum:
    case Reduce::kMean:
      sum_of([](A v) { return v; });
      break;
    case Reduce::kL1:
      sum_of([](A v) {
        if constexpr (std::is_signed_v<A>) return v < 0 ? mul(v, A(-1)) : v;
        return v;
      });
      break;
    case Reduce::kL2:
    case Reduce::kSumSquare:
      sum_of([](A v) { return mul(v, v); });
      break;
    case Reduce::kLogSum:
      sum_of([](A v) { return v; });
      break;
    case Reduce::kProd:
      fill(A(1));
      each([&](int64_t i, int64_t o) { acc[o] = mul(acc[o], static_cast<A>(x[i])); });
      break;
    case Reduce::kMax:
      fill(lowest);
      each([&](int64_t i, int64_t o) {
        const A v = static_cast<A>(x[i]);
        if (v > acc[o] || v != v) acc[o] = v;  // NaN propagates, as in NumPy
      });
      break;
    case Reduce::kMin:
      fill(highest);
      each([&](int64_t i, int64_t o) {
        const A v = static_cast<A>(x[i]);
        if (v < acc[o] || v != v) acc[o] = v;
      });
      break;
    case Reduce::kLogSumExp: {
      // log(sum(exp(x))) = m + log(sum(exp(x - m))) with m the max, so that large inputs do not overflow.
      std::vector<A> m(static_cast<size_t>(out_n), lowest);
      each([&](int64_t i, int64_t o) { m[o] = std::max(m[o], static_cast<A>(x[i])); });
      fill(A(0));
      each([&](int64_t i, int64_t o) {
        if constexpr (kFloat)
          acc[o] += std::isinf(m[o]) ? std::exp(static_cast<A>(x[i])) : std::exp(static_cast<A>(x[i]) - m[o]);
      });
      for (int64_t o = 0; o < out_n; ++o) {
        if constexpr (kFloat) acc[o] = std::isinf(m[o]) ? std::log(acc[o]) : m[o] + std::log(acc[o]);
      }
      break;
    }
  }
  for (int64_t o = 0; o < out_n; ++o) {
    A v = acc[o];
    if constexpr (kFloat) {
      if (kind == Reduce::kMean) v /= static_cast<A>(count);
      if (kind == Reduce::kL2) v = std::sqrt(v);
      if (kind == Reduce::kLogSum) v = std::log(v);
    }
    y[o] = to_element<T>(v);
  }
}

Status run(RunContext& ctx) {
  const Tensor& x = ctx.input(0);
  KILN_RETURN_IF_ERROR(check_dtype(ctx.node, x.dtype()));
  const bool keepdims = ctx.node.attr_int("keepdims", 1) != 0;
  const Tensor* axes_value = ctx.has_input(1) ? &ctx.input(1) : nullptr;
  KILN_ASSIGN_OR_RETURN(auto axes, reduced_axes(ctx.node, x.rank(), axes_value != nullptr, axes_value));
  if (!axes) return ctx.error("the axes input has no value");
  if (axes->noop) {
    ctx.set_output(0, x);
    return Status::ok();
  }
  Shape kept = reduced_shape(x.shape(), *axes, true);
  std::vector<int64_t> ostr = strides_of(kept);
  int64_t count = 1;
  for (size_t i = 0; i < kept.size(); ++i) {
    if (axes->reduced[i]) {
      ostr[i] = 0;
      count *= x.dim(static_cast<int64_t>(i));
    }
  }
  Tensor& y = ctx.allocate_output(0, x.dtype(), reduced_shape(x.shape(), *axes, keepdims));
  const Reduce kind = def_of(ctx.node).kind;
  return visit_dtype(x.dtype(), [&]<typename T>() {
    if constexpr (std::is_same_v<T, bool>) {
      reduce<T, int64_t>(kind, x.data<T>(), x.shape(), ostr, y.data<T>(), y.numel(), count);
    } else if constexpr (!std::is_integral_v<T>) {
      reduce<T, float_acc_t<T>>(kind, x.data<T>(), x.shape(), ostr, y.data<T>(), y.numel(), count);
    } else {
      if (needs_double(kind)) {
        reduce<T, double>(kind, x.data<T>(), x.shape(), ostr, y.data<T>(), y.numel(), count);
      } else {
        using Wide = std::conditional_t<std::is_signed_v<T>, int64_t, uint64_t>;
        reduce<T, Wide>(kind, x.data<T>(), x.shape(), ostr, y.data<T>(), y.numel(), count);
      }
    }
    return Status::ok();
  });
}

Cost cost(const ir::Node& node, std::span<const TensorType> in, std::span<const TensorType> out) {
  const Reduce k = def_of(node).kind;
  const double per = k == Reduce::kLogSumExp ? 4 : (k == Reduce::kSumSquare || k == Reduce::kL2) ? 2 : 1;
  return {.flops = per * type_numel(in[0]), .bytes = type_bytes(in[0]) + type_bytes(out[0])};
}

}  // namespace

[[maybe_unused]] static const bool kRegistered = [] {
  for (const ReduceDef& d : kReduceDefs)
    register_op({.op_type = d.op_type, .domain = "", .infer = infer, .reference = run, .cost = cost});
  return true;
}();

}  // namespace kiln::ops
