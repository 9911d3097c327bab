// RNN: H_t = f(X_t W^T + H_{t-1} R^T + Wb + Rb) per direction (f defaults to Tanh). The
// machinery (directions, sequence_lens, layout, outputs) is in rnn_util.h.
#include "ops/rnn_util.h"

namespace kiln::ops {
namespace {

const std::vector<std::string> kDefaults = {"Tanh"};

Status infer(InferContext& ctx) { return infer_rnn(ctx, 1, kDefaults); }

Status run(RunContext& ctx) {
  KILN_ASSIGN_OR_RETURN(RnnAttrs a, read_rnn_attrs(ctx.node, kDefaults));
  return visit_float_dtype(ctx.input(0).dtype(), "RNN", [&]<typename T>() -> Status {
    using A = float_acc_t<T>;
    KILN_ASSIGN_OR_RETURN(RnnProblem<A> p, read_problem<A>(ctx, a, 1));
    const int64_t hs = p.hidden, n = p.batch;
    std::vector<A> y(static_cast<size_t>(p.seq * p.dirs * n * hs), A(0));
    std::vector<A> state = p.initial_h;
    std::vector<A> hr(static_cast<size_t>(hs));
    for (int64_t d = 0; d < p.dirs; ++d) {
      const std::vector<A> xw = project_inputs(p, d);
      const Activation& f = a.activations[d];
      const bool reverse = direction_is_reverse(a, d);
      for (int64_t step = 0; step < p.seq; ++step) {
        const int64_t t = step_time(reverse, p.seq, step);
        for (int64_t b = 0; b < n; ++b) {
          if (t >= p.lens[b]) continue;
          A* h = state.data() + (d * n + b) * hs;
          project_state(p, d, h, hr.data());
          const A* xt = xw.data() + (t * n + b) * hs;
          A* yt = y.data() + ((t * p.dirs + d) * n + b) * hs;
          for (int64_t k = 0; k < hs; ++k) yt[k] = h[k] = f(clip_gate(xt[k] + hr[k], a.clip));
        }
      }
    }
    write_outputs<T>(ctx, a, p, y, {&state});
    return Status::ok();
  });
}

}  // namespace

KILN_REGISTER_OP({.op_type = "RNN", .infer = infer, .reference = run, .cost = rnn_cost});

}  // namespace kiln::ops
