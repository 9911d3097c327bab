// Folds a per-output-channel affine map that follows a Conv, ConvTranspose or Gemm with constant
// weights into those weights: one rule, one pattern.
//   producer  Conv / ConvTranspose / Gemm, W (and B / C) constant, output read only by the follower
//   follower  BatchNormalization (inference)       y' = (y - mean) / sqrt(var + eps) * gamma + beta
//             Mul / Add / Sub / Div by a constant   y' = y * c, y + c, y - c, y / c
//             that is per output channel (or a scalar) and leaves y's shape unchanged
//   rewrite   W' = W * scale (per output channel), B' = B * scale + shift; the producer takes over
//             the follower's output. New constants are created: W and B may be shared.
#include <cmath>

#include "passes/pattern.h"

namespace kiln::passes {
namespace {

struct Affine {
  std::vector<double> scale, shift;  // one per output channel
};

// Values of `c` per channel of y (channel axis 1) when c is a scalar or varies only along that
// axis and its broadcast leaves y's shape alone; empty otherwise.
std::vector<double> per_channel(const ir::Value* c, const ir::Value* y, int64_t channels) {
  const Tensor* t = constant_of(c);
  if (!t || !y->rank_known || t->rank() > static_cast<int64_t>(y->shape.size()) ||
      !dtype_is_float(t->dtype()))
    return {};
  const int64_t axis = 1 - (static_cast<int64_t>(y->shape.size()) - t->rank());  // channel axis within c
  for (int64_t d = 0; d < t->rank(); ++d) {
    if (t->dim(d) != 1 && !(d == axis && t->dim(d) == channels)) return {};
  }
  std::vector<double> v(static_cast<size_t>(channels));
  for (int64_t i = 0; i < channels; ++i) v[i] = t->as_double(t->numel() == 1 ? 0 : i);
  return v;
}

bool all_constant(const ir::Node& n, size_t from, size_t to) {
  for (size_t i = from; i < to; ++i)
    if (!constant_of(n.input(i))) return false;
  return true;
}

std::optional<Affine> affine_of(const ir::Node& f, const ir::Value* y, int64_t channels) {
  Affine a{std::vector<double>(channels, 1.0), std::vector<double>(channels, 0.0)};
  if (is_op(&f, "BatchNormalization")) {
    const bool training = f.opset >= 14 && f.attr_int("training_mode", 0) != 0;
    for (size_t i = 1; i < f.outputs.size(); ++i)
      if (f.outputs[i]) return std::nullopt;  // running statistics requested: training
    if (training || f.inputs.size() < 5 || f.inputs[0] != y || !all_constant(f, 1, 5)) return std::nullopt;
    for (size_t i = 1; i < 5; ++i)
      if (f.inputs[i]->constant->numel() != channels) return std::nullopt;
    const double eps = f.attr_float("epsilon", 1e-5f);
    for (int64_t c = 0; c < channels; ++c) {
      const double s =
          f.inputs[1]->constant->as_double(c) / std::sqrt(f.inputs[4]->constant->as_double(c) + eps);
      a.scale[c] = s;
      a.shift[c] = f.inputs[2]->constant->as_double(c) - f.inputs[3]->constant->as_double(c) * s;
    }
    return a;
  }
  const bool mul = is_op(&f, "Mul"), add = is_op(&f, "Add"), sub = is_op(&f, "Sub"), div = is_op(&f, "Div");
  if (!(mul || add || sub || div) || f.inputs.size() != 2) return std::nullopt;
  if ((sub || div) && f.inputs[0] != y) return std::nullopt;  // c - y and c / y are not affine in y
  const std::vector<double> c = per_channel(other_input(&f, y), y, channels);
  if (c.empty() || f.inputs[0] == f.inputs[1]) return std::nullopt;
  for (int64_t i = 0; i < channels; ++i) {
    if (mul) a.scale[i] = c[i];
    if (div) a.scale[i] = 1.0 / c[i];
    if (add) a.shift[i] = c[i];
    if (sub) a.shift[i] = -c[i];
  }
  return a;
}

// How the producer's weights index output channels.
struct Layout {
  int64_t channels = 0;
  std::function<int64_t(int64_t)> channel_of;  // W element index -> output channel
};

std::optional<Layout> layout_of(const ir::Node& p) {
  const Tensor* w = constant_of(p.input(1));
  if (!w || !dtype_is_float(w->dtype()) || w->numel() == 0) return std::nullopt;
  const int64_t group = p.attr_int("group", 1);
  if (is_op(&p, "Conv") && w->rank() >= 3) {
    const int64_t per = w->numel() / w->dim(0);
    return Layout{w->dim(0), [per](int64_t e) { return e / per; }};
  }
  if (is_op(&p, "ConvTranspose") && w->rank() >= 3 && group >= 1 && w->dim(0) % group == 0) {
    const int64_t m_per_group = w->dim(1), k = w->numel() / (w->dim(0) * w->dim(1));
    const int64_t c_per_group = w->dim(0) / group;
    return Layout{m_per_group * group, [=](int64_t e) {
                    const int64_t ci = e / (m_per_group * k), j = (e / k) % m_per_group;
                    return (ci / c_per_group) * m_per_group + j;
                  }};
  }
  if (is_op(&p, "Gemm") && w->rank() == 2) {
    const bool trans_b = p.attr_int("transB", 0) != 0;
    const int64_t n = trans_b ? w->dim(0) : w->dim(1), k = trans_b ? w->dim(1) : w->dim(0);
    if (trans_b) return Layout{n, [k](int64_t e) { return e / k; }};
    return Layout{n, [n](int64_t e) { return e % n; }};
  }
  return std::nullopt;
}

// The producer's bias per output channel (C * beta for Gemm); empty when its shape does not
// allow folding.
std::optional<std::vector<double>> bias_of(const ir::Node& p, int64_t channels) {
  std::vector<double> b(static_cast<size_t>(channels), 0.0);
  const ir::Value* bv = p.input(2);
  if (!bv) return b;
  const Tensor* t = constant_of(bv);
  if (!t || (t->numel() != channels && t->numel() != 1)) return std::nullopt;
  if (t->numel() == channels && t->numel() > 1 && t->dim(t->rank() - 1) != channels) return std::nullopt;
  const double beta = is_op(&p, "Gemm") ? p.attr_float("beta", 1.0f) : 1.0;
  for (int64_t c = 0; c < channels; ++c) b[c] = beta * t->as_double(t->numel() == 1 ? 0 : c);
  return b;
}

bool fold(Rewriter& rw, ir::Node* p) {
  if (p->outputs.empty() || !p->outputs[0] || p->inputs.size() < 2 || !p->inputs[0]) return false;
  ir::Value* y = p->outputs[0];
  ir::Node* f = rw.sole_reader(y);
  auto layout = layout_of(*p);
  if (!f || !layout) return false;
  auto affine = affine_of(*f, y, layout->channels);
  auto bias = bias_of(*p, layout->channels);
  if (!affine || !bias) return false;
  const Tensor& w = *p->inputs[1]->constant;
  std::vector<double> wv(static_cast<size_t>(w.numel()));
  for (int64_t e = 0; e < w.numel(); ++e) wv[e] = w.as_double(e) * affine->scale[layout->channel_of(e)];
  std::vector<double> bv(bias->size());
  for (size_t c = 0; c < bv.size(); ++c) bv[c] = (*bias)[c] * affine->scale[c] + affine->shift[c];
  p->inputs[1] = rw.add_constant(p->name + "_w_folded", Tensor::from_doubles(w.dtype(), w.shape(), wv));
  p->inputs.resize(std::max<size_t>(p->inputs.size(), 3));
  p->inputs[2] =
      rw.add_constant(p->name + "_b_folded", Tensor::from_doubles(w.dtype(), {layout->channels}, bv));
  if (is_op(p, "Gemm")) set_attr(p, "beta", 1.0f);
  add_fused(p, {f->op_type});
  rw.absorb(p, f);
  return true;
}

class FuseConvBn : public Pass {
 public:
  const char* name() const override { return "fuse-conv-bn"; }
  Expected<PassResult> run(ir::Graph& g) override {
    return sweep_until_done(g, [](Rewriter& rw) {
      int rewrites = 0;
      for (ir::Node* n : rw.nodes()) {
        if (rw.erased(n) || !(is_op(n, "Conv") || is_op(n, "ConvTranspose") || is_op(n, "Gemm"))) continue;
        rewrites += fold(rw, n) ? 1 : 0;
      }
      return rewrites;
    });
  }
};

}  // namespace

KILN_REGISTER_PASS(400, FuseConvBn);

}  // namespace kiln::passes
