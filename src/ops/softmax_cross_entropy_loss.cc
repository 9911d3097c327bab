// SoftmaxCrossEntropyLoss: the negative log-likelihood loss (loss_util.h) of the log-softmax of
// scores [N, C, D...] over the class axis 1; the optional output 1 is that log-softmax.
#include <algorithm>
#include <cmath>
#include <limits>

#include "ops/loss_util.h"

namespace kiln::ops {
namespace {

Status infer(InferContext& ctx) {
  KILN_RETURN_IF_ERROR(infer_loss(ctx));
  if (ctx.num_outputs() > 1) {
    if (ctx.input(0).rank_known) {
      ctx.set_output(1, ctx.dtype(0), ctx.shape(0));
    } else {
      ctx.set_output_unknown_rank(1, ctx.dtype(0));
    }
  }
  return Status::ok();
}

Status run(RunContext& ctx) {
  KILN_ASSIGN_OR_RETURN(Reduction red, read_reduction(ctx.node));
  const Tensor& x = ctx.input(0);
  if (x.rank() < 2) return ctx.error("the scores need at least 2 dims [N, C]");
  const Tensor* weight = ctx.has_input(2) ? &ctx.input(2) : nullptr;
  return visit_float_dtype(x.dtype(), "SoftmaxCrossEntropyLoss", [&]<typename T>() {
    using A = float_acc_t<T>;
    const int64_t n = x.dim(0), c = x.dim(1), d = n * c == 0 ? 0 : x.numel() / (n * c);
    const T* src = x.data<T>();
    std::vector<A> logp(static_cast<size_t>(x.numel()));
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j < d; ++j) {
        const int64_t base = i * c * d + j;
        A m = -std::numeric_limits<A>::infinity();
        for (int64_t k = 0; k < c; ++k) m = std::max(m, static_cast<A>(src[base + k * d]));
        A sum = 0;
        for (int64_t k = 0; k < c; ++k) sum += std::exp(static_cast<A>(src[base + k * d]) - m);
        const A log_sum = std::log(sum);
        for (int64_t k = 0; k < c; ++k) logp[base + k * d] = static_cast<A>(src[base + k * d]) - m - log_sum;
      }
    }
    KILN_RETURN_IF_ERROR((nll_loss<T, A>(ctx, x.shape(), logp.data(), ctx.input(1), weight, red)));
    if (ctx.output_requested(1)) {
      Tensor& lp = ctx.allocate_output(1, x.dtype(), x.shape());
      T* dst = lp.data<T>();
      for (int64_t i = 0; i < x.numel(); ++i) dst[i] = static_cast<T>(logp[i]);
    }
    return Status::ok();
  });
}

Cost cost(const ir::Node&, std::span<const TensorType> in, std::span<const TensorType> out) {
  return {.flops = 5 * type_numel(in[0]), .bytes = io_bytes(in, out)};
}

}  // namespace

KILN_REGISTER_OP({.op_type = "SoftmaxCrossEntropyLoss", .infer = infer, .reference = run, .cost = cost});

}  // namespace kiln::ops
