// GRU, gates z (update), r (reset), h (candidate), in that order in W, R and B:
//   z = f(X W_z^T + H R_z^T + b_z),  r = f(X W_r^T + H R_r^T + b_r)
//   h~ = g(X W_h^T + (r . H) R_h^T + Rb_h + Wb_h)      (linear_before_reset = 0)
//   h~ = g(X W_h^T + r . (H R_h^T + Rb_h) + Wb_h)      (linear_before_reset = 1)
//   H' = (1 - z) . h~ + z . H
// f and g default to Sigmoid and Tanh. The machinery is in rnn_util.h.
#include "ops/rnn_util.h"

namespace kiln::ops {
namespace {

const std::vector<std::string> kDefaults = {"Sigmoid", "Tanh"};

Status infer(InferContext& ctx) { return infer_rnn(ctx, 3, kDefaults); }

Status run(RunContext& ctx) {
  KILN_ASSIGN_OR_RETURN(RnnAttrs a, read_rnn_attrs(ctx.node, kDefaults));
  const bool linear_before_reset = ctx.node.attr_int("linear_before_reset", 0) != 0;
  return visit_float_dtype(ctx.input(0).dtype(), "GRU", [&]<typename T>() -> Status {
    using A = float_acc_t<T>;
    KILN_ASSIGN_OR_RETURN(RnnProblem<A> p, read_problem<A>(ctx, a, 3));
    const int64_t hs = p.hidden, n = p.batch;
    std::vector<A> y(static_cast<size_t>(p.seq * p.dirs * n * hs), A(0));
    std::vector<A> state = p.initial_h;
    std::vector<A> hr(static_cast<size_t>(3 * hs)), z(hs), r(hs), rh(hs);
    for (int64_t d = 0; d < p.dirs; ++d) {
      const std::vector<A> xw = project_inputs(p, d);
      const Activation& f = a.activations[d * 2];
      const Activation& g = a.activations[d * 2 + 1];
      const A* rh_weights = p.r.data() + (d * 3 + 2) * hs * hs;  // R_h
      const A* rb_h = p.b.data() + d * 6 * hs + 5 * hs;          // Rb_h
      const bool reverse = direction_is_reverse(a, d);
      for (int64_t step = 0; step < p.seq; ++step) {
        const int64_t t = step_time(reverse, p.seq, step);
        for (int64_t b = 0; b < n; ++b) {
          if (t >= p.lens[b]) continue;
          A* h = state.data() + (d * n + b) * hs;
          project_state(p, d, h, hr.data());
          const A* xt = xw.data() + (t * n + b) * 3 * hs;
          for (int64_t k = 0; k < hs; ++k) {
            z[k] = f(clip_gate(xt[k] + hr[k], a.clip));
            r[k] = f(clip_gate(xt[hs + k] + hr[hs + k], a.clip));
          }
          if (!linear_before_reset) {
            // (r . H) R_h^T + Rb_h replaces the H R_h^T + Rb_h that project_state computed.
            for (int64_t k = 0; k < hs; ++k) rh[k] = r[k] * h[k];
            for (int64_t j = 0; j < hs; ++j) {
              A acc = rb_h[j];
              for (int64_t k = 0; k < hs; ++k) acc += rh[k] * rh_weights[j * hs + k];
              hr[2 * hs + j] = acc;
            }
          }
          A* yt = y.data() + ((t * p.dirs + d) * n + b) * hs;
          for (int64_t k = 0; k < hs; ++k) {
            const A pre = linear_before_reset ? xt[2 * hs + k] + r[k] * hr[2 * hs + k]
                                              : xt[2 * hs + k] + hr[2 * hs + k];
            const A cand = g(clip_gate(pre, a.clip));
            yt[k] = (1 - z[k]) * cand + z[k] * h[k];
          }
          std::copy_n(yt, hs, h);
        }
      }
    }
    write_outputs<T>(ctx, a, p, y, {&state});
    return Status::ok();
  });
}

}  // namespace

KILN_REGISTER_OP({.op_type = "GRU", .infer = infer, .reference = run, .cost = rnn_cost});

}  // namespace kiln::ops
