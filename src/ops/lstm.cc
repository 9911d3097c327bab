// LSTM, gates i (input), o (output), f (forget), c (cell) in that order in W, R and B, with
// optional peepholes P = [P_i, P_o, P_f]:
//   i = f(X W_i^T + H R_i^T + P_i . C + b_i),   f_ = f(X W_f^T + H R_f^T + P_f . C + b_f)
//   c~ = g(X W_c^T + H R_c^T + b_c),             C' = f_ . C + i . c~
//   o = f(X W_o^T + H R_o^T + P_o . C' + b_o),   H' = o . h(C')
// f, g, h default to Sigmoid, Tanh, Tanh; input_forget couples f_ = 1 - i. The machinery is in
// rnn_util.h; Y_c (output 2) is the last cell state.
#include "ops/rnn_util.h"

namespace kiln::ops {
namespace {

const std::vector<std::string> kDefaults = {"Sigmoid", "Tanh", "Tanh"};

Status infer(InferContext& ctx) { return infer_rnn(ctx, 4, kDefaults); }

Status run(RunContext& ctx) {
  KILN_ASSIGN_OR_RETURN(RnnAttrs a, read_rnn_attrs(ctx.node, kDefaults));
  const bool input_forget = ctx.node.attr_int("input_forget", 0) != 0;
  return visit_float_dtype(ctx.input(0).dtype(), "LSTM", [&]<typename T>() -> Status {
    using A = float_acc_t<T>;
    KILN_ASSIGN_OR_RETURN(RnnProblem<A> p, read_problem<A>(ctx, a, 4));
    const int64_t hs = p.hidden, n = p.batch;
    KILN_ASSIGN_OR_RETURN(std::vector<A> cell, read_state<A>(ctx, 6, a, n));
    std::vector<A> peep(static_cast<size_t>(p.dirs * 3 * hs), A(0));
    if (ctx.has_input(7)) {
      if (ctx.input(7).shape() != Shape{p.dirs, 3 * hs}) {
        return ctx.error("P has shape " + shape_str(ctx.input(7).shape()) + "; expected " +
                         shape_str({p.dirs, 3 * hs}));
      }
      peep = to_acc<A>(ctx.input(7));
    }
    std::vector<A> y(static_cast<size_t>(p.seq * p.dirs * n * hs), A(0));
    std::vector<A> state = p.initial_h;
    std::vector<A> hr(static_cast<size_t>(4 * hs));
    for (int64_t d = 0; d < p.dirs; ++d) {
      const std::vector<A> xw = project_inputs(p, d);
      const Activation& f = a.activations[d * 3];
      const Activation& g = a.activations[d * 3 + 1];
      const Activation& hact = a.activations[d * 3 + 2];
      const A* pi = peep.data() + d * 3 * hs;
      const A* po = pi + hs;
      const A* pf = pi + 2 * hs;
      const bool reverse = direction_is_reverse(a, d);
      for (int64_t step = 0; step < p.seq; ++step) {
        const int64_t t = step_time(reverse, p.seq, step);
        for (int64_t b = 0; b < n; ++b) {
          if (t >= p.lens[b]) continue;
          A* h = state.data() + (d * n + b) * hs;
          A* c = cell.data() + (d * n + b) * hs;
          project_state(p, d, h, hr.data());
          const A* xt = xw.data() + (t * n + b) * 4 * hs;
          A* yt = y.data() + ((t * p.dirs + d) * n + b) * hs;
          for (int64_t k = 0; k < hs; ++k) {
            const A gi = xt[k] + hr[k], go = xt[hs + k] + hr[hs + k];
            const A gf = xt[2 * hs + k] + hr[2 * hs + k], gc = xt[3 * hs + k] + hr[3 * hs + k];
            const A i = f(clip_gate(gi + pi[k] * c[k], a.clip));
            const A fg = input_forget ? 1 - i : f(clip_gate(gf + pf[k] * c[k], a.clip));
            const A cand = g(clip_gate(gc, a.clip));
            c[k] = fg * c[k] + i * cand;
            const A o = f(clip_gate(go + po[k] * c[k], a.clip));
            yt[k] = o * hact(c[k]);
          }
          std::copy_n(yt, hs, h);
        }
      }
    }
    write_outputs<T>(ctx, a, p, y, {&state, &cell});
    return Status::ok();
  });
}

}  // namespace

KILN_REGISTER_OP({.op_type = "LSTM", .infer = infer, .reference = run, .cost = rnn_cost});

}  // namespace kiln::ops
