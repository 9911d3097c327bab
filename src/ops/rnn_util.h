// What RNN, GRU and LSTM share: their attributes (direction, hidden_size, activations with
// alpha/beta, clip, layout), shape inference, and a driver that brings inputs into the
// sequence-major [seq, batch, ...] layout, projects every step's input through W at once, walks
// the steps of each direction honouring sequence_lens, and writes Y / Y_h (/ Y_c) in the
// requested layout. Each op supplies only its cell: how a step turns gate inputs into the state.
#pragma once

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "ops/kernel_util.h"
#include "ops/util.h"

namespace kiln::ops {

enum class ActKind {
  kRelu,
  kTanh,
  kSigmoid,
  kAffine,
  kLeakyRelu,
  kThresholdedRelu,
  kScaledTanh,
  kHardSigmoid,
  kElu,
  kSoftsign,
  kSoftplus,
};

struct Activation {
  ActKind kind = ActKind::kTanh;
  float alpha = 0, beta = 0;

  template <typename A>
  A operator()(A x) const {
    switch (kind) {
      case ActKind::kRelu:
        return std::max(x, A(0));
      case ActKind::kTanh:
        return std::tanh(x);
      case ActKind::kSigmoid:
        return 1 / (1 + std::exp(-x));
      case ActKind::kAffine:
        return A(alpha) * x + A(beta);
      case ActKind::kLeakyRelu:
        return x >= 0 ? x : A(alpha) * x;
      case ActKind::kThresholdedRelu:
        return x > A(alpha) ? x : A(0);
      case ActKind::kScaledTanh:
        return A(alpha) * std::tanh(A(beta) * x);
      case ActKind::kHardSigmoid:
        return std::clamp(A(alpha) * x + A(beta), A(0), A(1));
      case ActKind::kElu:
        return x >= 0 ? x : A(alpha) * (std::exp(x) - 1);
      case ActKind::kSoftsign:
        return x / (1 + std::abs(x));
      case ActKind::kSoftplus:
        return std::log1p(std::exp(x));
    }
    return x;
  }
};

struct RnnAttrs {
  int64_t hidden = 0;
  int64_t num_directions = 1;
  bool reverse_only = false;            // direction == "reverse"
  std::vector<Activation> activations;  // per direction: `per_direction` of them, forward first
  float clip = 0;                       // 0: no clipping
  int64_t layout = 0;                   // 0: [seq, batch, ...]; 1: [batch, seq, ...]
};

/// Reads the attributes of an op whose cell has `defaults.size()` activations (with these default
/// names). A single direction's worth of activations given for a bidirectional op serves both.
Expected<RnnAttrs> read_rnn_attrs(const ir::Node& node, const std::vector<std::string>& defaults);

/// infer for an op with `gates` gates (W is [dirs, gates * hidden, input]): Y, Y_h and, for LSTM,
/// Y_c.
Status infer_rnn(InferContext& ctx, int64_t gates, const std::vector<std::string>& default_activations);

/// A tensor's elements converted to A.
template <typename A>
std::vector<A> to_acc(const Tensor& t) {
  std::vector<A> v(static_cast<size_t>(t.numel()));
  visit_dtype(t.dtype(), [&]<typename T>() {
    const T* p = t.data<T>();
    for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<A>(p[i]);
  });
  return v;
}

/// Sizes and inputs of one run, in sequence-major layout.
template <typename A>
struct RnnProblem {
  int64_t seq = 0, batch = 0, input = 0, hidden = 0, dirs = 1, gates = 1;
  std::vector<A> x;           // [seq, batch, input]
  std::vector<A> w, r, b;     // [dirs, G*H, input], [dirs, G*H, H], [dirs, 2*G*H] (zeros when absent)
  std::vector<int64_t> lens;  // [batch]
  std::vector<A> initial_h;   // [dirs, batch, H]
};

Status check_rnn_shapes(RunContext& ctx, const RnnAttrs& a, int64_t gates, int64_t& seq, int64_t& batch,
                        int64_t& input);

/// Reads a [dirs, batch, H] state input (or [batch, dirs, H] with layout 1) into [dirs, batch, H];
/// zeros when absent.
template <typename A>
Expected<std::vector<A>> read_state(RunContext& ctx, size_t i, const RnnAttrs& a, int64_t batch) {
  const int64_t n = a.num_directions * batch * a.hidden;
  if (!ctx.has_input(i)) return std::vector<A>(static_cast<size_t>(n), A(0));
  const Tensor& t = ctx.input(i);
  const Shape want =
      a.layout == 0 ? Shape{a.num_directions, batch, a.hidden} : Shape{batch, a.num_directions, a.hidden};
  if (t.shape() != want) {
    return invalid_argument(ctx.node.describe() + ": input " + std::to_string(i) + " has shape " +
                            shape_str(t.shape()) + "; expected " + shape_str(want));
  }
  std::vector<A> v = to_acc<A>(t);
  if (a.layout == 0) return v;
  std::vector<A> out(v.size());
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t d = 0; d < a.num_directions; ++d) {
      std::copy_n(v.begin() + (b * a.num_directions + d) * a.hidden, a.hidden,
                  out.begin() + (d * batch + b) * a.hidden);
    }
  }
  return out;
}

template <typename A>
Expected<RnnProblem<A>> read_problem(RunContext& ctx, const RnnAttrs& a, int64_t gates) {
  RnnProblem<A> p;
  KILN_RETURN_IF_ERROR(check_rnn_shapes(ctx, a, gates, p.seq, p.batch, p.input));
  p.hidden = a.hidden;
  p.dirs = a.num_directions;
  p.gates = gates;
  const std::vector<A> x = to_acc<A>(ctx.input(0));
  if (a.layout == 0) {
    p.x = x;
  } else {  // [batch, seq, input] -> [seq, batch, input]
    p.x.resize(x.size());
    for (int64_t b = 0; b < p.batch; ++b) {
      for (int64_t t = 0; t < p.seq; ++t) {
        std::copy_n(x.begin() + (b * p.seq + t) * p.input, p.input,
                    p.x.begin() + (t * p.batch + b) * p.input);
      }
    }
  }
  p.w = to_acc<A>(ctx.input(1));
  p.r = to_acc<A>(ctx.input(2));
  p.b = ctx.has_input(3) ? to_acc<A>(ctx.input(3))
                         : std::vector<A>(static_cast<size_t>(p.dirs * 2 * gates * p.hidden), A(0));
  p.lens.assign(static_cast<size_t>(p.batch), p.seq);
  if (ctx.has_input(4)) {
    p.lens = ctx.input(4).to_int64_vector();
    for (int64_t l : p.lens) {
      if (l < 0 || l > p.seq) {
        return invalid_argument(ctx.node.describe() + ": sequence length " + std::to_string(l) +
                                " is outside [0, " + std::to_string(p.seq) + "]");
      }
    }
  }
  KILN_ASSIGN_OR_RETURN(p.initial_h, read_state<A>(ctx, 5, a, p.batch));
  return p;
}

/// X_t W^T + Wb for every step of direction `d`: [seq * batch, G*H].
template <typename A>
std::vector<A> project_inputs(const RnnProblem<A>& p, int64_t d) {
  const int64_t gh = p.gates * p.hidden, rows = p.seq * p.batch;
  std::vector<A> out(static_cast<size_t>(rows * gh));
  const A* w = p.w.data() + d * gh * p.input;
  const A* wb = p.b.data() + d * 2 * gh;
  for (int64_t i = 0; i < rows; ++i) {
    const A* xi = p.x.data() + i * p.input;
    for (int64_t g = 0; g < gh; ++g) {
      const A* wg = w + g * p.input;
      A acc = wb[g];
      for (int64_t k = 0; k < p.input; ++k) acc += xi[k] * wg[k];
      out[i * gh + g] = acc;
    }
  }
  return out;
}

/// h R^T + Rb for one batch row of direction `d`: G*H values into `out`.
template <typename A>
void project_state(const RnnProblem<A>& p, int64_t d, const A* h, A* out) {
  const int64_t gh = p.gates * p.hidden;
  const A* r = p.r.data() + d * gh * p.hidden;
  const A* rb = p.b.data() + d * 2 * gh + gh;
  for (int64_t g = 0; g < gh; ++g) {
    const A* rg = r + g * p.hidden;
    A acc = rb[g];
    for (int64_t k = 0; k < p.hidden; ++k) acc += h[k] * rg[k];
    out[g] = acc;
  }
}

/// Clips a gate's pre-activation to [-clip, clip] when clip is set.
template <typename A>
A clip_gate(A v, float clip) {
  return clip > 0 ? std::clamp(v, A(-clip), A(clip)) : v;
}

/// The time steps of direction `d` in the order it visits them.
inline int64_t step_time(bool reverse, int64_t seq, int64_t step) { return reverse ? seq - 1 - step : step; }
inline bool direction_is_reverse(const RnnAttrs& a, int64_t d) { return d == 1 || a.reverse_only; }

/// Writes Y from y [seq, dirs, batch, H] and state outputs from [dirs, batch, H] buffers, in the
/// attribute's layout. `states` are output indices 1.. (Y_h, then Y_c for LSTM).
template <typename T, typename A>
void write_outputs(RunContext& ctx, const RnnAttrs& a, const RnnProblem<A>& p, const std::vector<A>& y,
                   const std::vector<const std::vector<A>*>& states) {
  const int64_t s = p.seq, n = p.batch, dn = p.dirs, h = p.hidden;
  if (ctx.output_requested(0)) {
    Tensor& out = ctx.allocate_output(0, dtype_v<T>, a.layout == 0 ? Shape{s, dn, n, h} : Shape{n, s, dn, h});
    T* dst = out.data<T>();
    for (int64_t t = 0; t < s; ++t) {
      for (int64_t d = 0; d < dn; ++d) {
        for (int64_t b = 0; b < n; ++b) {
          const int64_t to = a.layout == 0 ? ((t * dn + d) * n + b) * h : ((b * s + t) * dn + d) * h;
          const A* src = y.data() + ((t * dn + d) * n + b) * h;
          for (int64_t k = 0; k < h; ++k) dst[to + k] = static_cast<T>(src[k]);
        }
      }
    }
  }
  for (size_t i = 0; i < states.size(); ++i) {
    if (!ctx.output_requested(i + 1)) continue;
    Tensor& out = ctx.allocate_output(i + 1, dtype_v<T>, a.layout == 0 ? Shape{dn, n, h} : Shape{n, dn, h});
    T* dst = out.data<T>();
    for (int64_t d = 0; d < dn; ++d) {
      for (int64_t b = 0; b < n; ++b) {
        const int64_t to = a.layout == 0 ? (d * n + b) * h : (b * dn + d) * h;
        const A* src = states[i]->data() + (d * n + b) * h;
        for (int64_t k = 0; k < h; ++k) dst[to + k] = static_cast<T>(src[k]);
      }
    }
  }
}

/// Nominal cost: the W and R products of every step.
Cost rnn_cost(const ir::Node& node, std::span<const TensorType> in, std::span<const TensorType> out);

}  // namespace kiln::ops
