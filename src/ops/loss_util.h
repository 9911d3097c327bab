// What NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss share: reading `reduction`, the
// output types, and the weighted negative log-likelihood over log-probabilities [N, C, D...]
// with targets [N, D...], as ONNX's reference computes it:
//   loss[n, d] = -w[t] * logp[n, t, d] with t = target[n, d] (0 where t == ignore_index),
//   "mean" divides the sum by the sum of the w[t] that were not ignored.
#pragma once

#include <string>
#include <vector>

#include "ops/kernel_util.h"
#include "ops/util.h"

namespace kiln::ops {

enum class Reduction { kNone, kSum, kMean };

inline Expected<Reduction> read_reduction(const ir::Node& node) {
  const std::string r = node.attr_string("reduction", "mean");
  if (r == "none") return Reduction::kNone;
  if (r == "sum") return Reduction::kSum;
  if (r == "mean") return Reduction::kMean;
  return invalid_argument(node.describe() + ": reduction '" + r + "' is not one of none, sum, mean");
}

/// Sets output 0 (the loss: the target's shape for "none", else a scalar) of a loss over
/// input 0 [N, C, D...] and target input 1 [N, D...].
inline Status infer_loss(InferContext& ctx) {
  KILN_ASSIGN_OR_RETURN(Reduction red, read_reduction(ctx.node));
  const DataType dt = ctx.dtype(0);
  if (!dtype_is_float(dt))
    return ctx.error(std::string("input type ") + dtype_name(dt) + " is not supported (use a float type)");
  if (ctx.dtype(1) != DataType::kInt32 && ctx.dtype(1) != DataType::kInt64) {
    return ctx.error("the target must be int32 or int64");
  }
  if (red != Reduction::kNone) {
    ctx.set_output(0, dt, {});
    return Status::ok();
  }
  if (ctx.input(1).rank_known) {
    ctx.set_output(0, dt, ctx.shape(1));
  } else if (ctx.input(0).rank_known && ctx.shape(0).size() >= 2) {
    Shape s = ctx.shape(0);
    s.erase(s.begin() + 1);
    ctx.set_output(0, dt, s);
  } else {
    ctx.set_output_unknown_rank(0, dt);
  }
  return Status::ok();
}

/// Computes the loss from log-probabilities `logp` (laid out as input 0) into output 0.
/// `weight` is null or holds C values.
template <typename T, typename A>
Status nll_loss(RunContext& ctx, const Shape& in_shape, const A* logp, const Tensor& target,
                const Tensor* weight, Reduction red) {
  if (in_shape.size() < 2) return ctx.error("the input needs at least 2 dims [N, C]");
  const int64_t n = in_shape[0], c = in_shape[1];
  int64_t d = 1;
  for (size_t i = 2; i < in_shape.size(); ++i) d *= in_shape[i];
  Shape tshape = in_shape;
  tshape.erase(tshape.begin() + 1);
  if (target.shape() != tshape) {
    return ctx.error("the target's shape " + shape_str(target.shape()) +
                     " must be the input's without dim 1 (" + shape_str(tshape) + ")");
  }
  if (weight != nullptr && (weight->rank() != 1 || weight->dim(0) != c)) {
    return ctx.error("the weight must have C = " + std::to_string(c) + " values");
  }
  const bool has_ignore = ctx.node.has_attr("ignore_index");
  const int64_t ignore = ctx.node.attr_int("ignore_index", 0);
  const std::vector<int64_t> t = target.to_int64_vector();
  std::vector<A> w;
  if (weight != nullptr) {
    for (int64_t i = 0; i < c; ++i) w.push_back(static_cast<A>(weight->as_double(i)));
  }
  std::vector<A> loss(static_cast<size_t>(n * d));
  A weight_sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < d; ++j) {
      const int64_t k = t[i * d + j];
      if (has_ignore && k == ignore) continue;
      if (k < 0 || k >= c) {
        return ctx.error("target " + std::to_string(k) + " is outside [0, " + std::to_string(c) + ")");
      }
      const A wk = w.empty() ? A(1) : w[k];
      loss[i * d + j] = -wk * logp[(i * c + k) * d + j];
      weight_sum += wk;
    }
  }
  if (red == Reduction::kNone) {
    Tensor& y = ctx.allocate_output(0, dtype_v<T>, tshape);
    T* dst = y.data<T>();
    for (size_t i = 0; i < loss.size(); ++i) dst[i] = static_cast<T>(loss[i]);
    return Status::ok();
  }
  A sum = 0;
  for (A v : loss) sum += v;
  // Without weights or ignore_index, "mean" is the plain mean (weight_sum is then n * d).
  Tensor& y = ctx.allocate_output(0, dtype_v<T>, {});
  y.data<T>()[0] = static_cast<T>(red == Reduction::kMean ? sum / weight_sum : sum);
  return Status::ok();
}

}  // namespace kiln::ops
