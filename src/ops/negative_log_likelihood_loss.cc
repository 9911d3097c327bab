// NegativeLogLikelihoodLoss: the loss of log-probabilities input [N, C, D...] against class
// targets [N, D...], optionally weighted per class (see loss_util.h).
#include "ops/loss_util.h"

namespace kiln::ops {
namespace {

Status run(RunContext& ctx) {
  KILN_ASSIGN_OR_RETURN(Reduction red, read_reduction(ctx.node));
  const Tensor& x = ctx.input(0);
  const Tensor* weight = ctx.has_input(2) ? &ctx.input(2) : nullptr;
  return visit_float_dtype(x.dtype(), "NegativeLogLikelihoodLoss", [&]<typename T>() {
    using A = float_acc_t<T>;
    std::vector<A> logp(static_cast<size_t>(x.numel()));
    for (int64_t i = 0; i < x.numel(); ++i) logp[i] = static_cast<A>(x.data<T>()[i]);
    return nll_loss<T, A>(ctx, x.shape(), logp.data(), ctx.input(1), weight, red);
  });
}

}  // namespace

KILN_REGISTER_OP({.op_type = "NegativeLogLikelihoodLoss", .infer = infer_loss, .reference = run});

}  // namespace kiln::ops
