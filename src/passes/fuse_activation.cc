// Conv / ConvTranspose / Gemm / MatMul + activation (+ residual Add) -> one kiln.Fused* layer.
//   producer    Conv, ConvTranspose, Gemm, MatMul (float), or a kiln.Fused* layer not yet complete
//   residual    Add(y, R) of another tensor that leaves y's shape: "before" the activation when none
//               is fused yet (ResNet's add-then-relu), "after" it otherwise
//   activation  Relu, Clip (constant bounds: ReLU6 and general), LeakyRelu, Sigmoid, HardSigmoid,
//               HardSwish, Tanh, Gelu, and SiLU written as y * Sigmoid(y)
//   affine      Mul, Add or Sub (y - c) of a constant scalar after the activation: output_affine
// Each absorbed pattern is one rewrite; the layer takes over the last absorbed node's output.
#include <limits>

#include "ops/fused_layer.h"
#include "passes/pattern.h"

namespace kiln::passes {
namespace {

using ops::Activation;

struct ActivationMatch {
  Activation activation = Activation::kNone;
  std::vector<float> params;
  std::vector<ir::Node*> nodes;  // absorbed, in order; the layer takes over the last one's output
};

std::optional<float> scalar_or(const ir::Node& n, size_t i, float fallback) {
  if (!n.input(i)) return fallback;
  const Tensor* t = constant_of(n.input(i));
  if (!t || t->numel() != 1) return std::nullopt;
  return static_cast<float>(t->as_double(0));
}

// A single-input activation reading y.
std::optional<ActivationMatch> unary_activation(ir::Node* s, const ir::Value* y) {
  if (!s || s->inputs.empty() || s->inputs[0] != y || s->outputs.size() != 1) return std::nullopt;
  ActivationMatch m;
  m.nodes = {s};
  const ir::Node& n = *s;
  if (is_op(s, "Relu")) {
    m.activation = Activation::kRelu;
  } else if (is_op(s, "Clip")) {
    m.activation = Activation::kClip;
    const float lo = std::numeric_limits<float>::lowest(), hi = std::numeric_limits<float>::max();
    if (n.opset < 11) {
      m.params = {n.attr_float("min", lo), n.attr_float("max", hi)};
    } else {
      auto a = scalar_or(n, 1, lo), b = scalar_or(n, 2, hi);
      if (!a || !b) return std::nullopt;
      m.params = {*a, *b};
    }
  } else if (is_op(s, "LeakyRelu")) {
    m.activation = Activation::kLeakyRelu;
    m.params = {n.attr_float("alpha", 0.01f)};
  } else if (is_op(s, "Sigmoid")) {
    m.activation = Activation::kSigmoid;
  } else if (is_op(s, "HardSigmoid")) {
    m.activation = Activation::kHardSigmoid;
    m.params = {n.attr_float("alpha", 0.2f), n.attr_float("beta", 0.5f)};
  } else if (is_op(s, "HardSwish")) {
    m.activation = Activation::kHardSwish;
  } else if (is_op(s, "Tanh")) {
    m.activation = Activation::kTanh;
  } else if (is_op(s, "Gelu")) {
    const std::string approx = n.attr_string("approximate", "none");
    if (approx != "none" && approx != "tanh") return std::nullopt;
    m.activation = approx == "tanh" ? Activation::kGeluTanh : Activation::kGelu;
  } else {
    return std::nullopt;
  }
  if (n.inputs.size() > 1 && !is_op(s, "Clip")) return std::nullopt;
  return m;
}

// y * Sigmoid(y), the two nodes being y's only readers.
std::optional<ActivationMatch> silu(const Rewriter& rw, ir::Value* y) {
  if (!rw.internal(y)) return std::nullopt;
  auto r = rw.readers(y);
  if (r.size() != 2) return std::nullopt;
  ir::Node* sig = is_op(r[0], "Sigmoid") ? r[0] : r[1];
  ir::Node* mul = sig == r[0] ? r[1] : r[0];
  if (!is_op(sig, "Sigmoid") || !is_op(mul, "Mul") || sig->inputs[0] != y) return std::nullopt;
  if (other_input(mul, y) != sig->outputs[0] || rw.sole_reader(sig->outputs[0]) != mul) return std::nullopt;
  return ActivationMatch{Activation::kSiLU, {}, {sig, mul}};
}

bool fusable_producer(const ir::Node* p) {
  if (p->outputs.empty() || !p->outputs[0] || !dtype_is_float(p->outputs[0]->dtype)) return false;
  if (p->domain == "kiln") return p->op_type.rfind(ops::kFusedPrefix, 0) == 0;
  return is_op(p, "Conv") || is_op(p, "ConvTranspose") || is_op(p, "Gemm") || is_op(p, "MatMul");
}

void make_fused(Rewriter& rw, ir::Node* p) {
  if (p->domain == "kiln") return;
  p->op_type = ops::kFusedPrefix + p->op_type;
  p->domain = "kiln";
  rw.graph().opsets.emplace("kiln", 1);
  p->inputs.resize(std::max<size_t>(p->inputs.size(), ops::kResidualInput));
}

// {scale, shift} of a Mul, Add or Sub (y - c) of y by a constant scalar that keeps y's shape.
std::optional<std::pair<float, float>> scalar_affine(const ir::Node* s, const ir::Value* y) {
  if (!s || s->inputs.size() != 2 || !same_shape(y, s->outputs[0])) return std::nullopt;
  const bool mul = is_op(s, "Mul"), add = is_op(s, "Add"), sub = is_op(s, "Sub") && s->inputs[0] == y;
  if (!mul && !add && !sub) return std::nullopt;
  const Tensor* c = constant_of(other_input(s, y));
  if (!c || c->numel() != 1 || c->dtype() != y->dtype) return std::nullopt;
  const float v = static_cast<float>(c->as_double(0));
  return mul ? std::make_pair(v, 0.0f) : std::make_pair(1.0f, sub ? -v : v);
}

// Absorbs the next residual Add, activation or scalar affine after `p`; false when there is none.
bool extend(Rewriter& rw, ir::Node* p) {
  ir::Value* y = p->outputs[0];
  const bool has_activation = !p->attr_string("activation", "").empty();
  const bool has_residual = p->input(ops::kResidualInput) != nullptr;
  ir::Node* s = rw.sole_reader(y);
  // A scalar Mul / Add after the activation (PP-OCRv4's learnable affine): output_affine, composed
  // with an earlier one; not after a residual added after the activation (the affine precedes it).
  if (has_activation && p->attr_string("residual_position", "") != "after") {
    if (auto a = scalar_affine(s, y)) {
      std::vector<float> aff = p->attr_floats("output_affine");
      if (aff.size() != 2) aff = {1.0f, 0.0f};
      aff = {aff[0] * a->first, aff[1] * a->first + a->second};
      set_attr(p, "output_affine", aff);
      add_fused(p, {s->op_type});
      rw.absorb(p, s);
      return true;
    }
  }
  if (!has_residual && is_op(s, "Add") && s->inputs.size() == 2) {
    ir::Value* r = other_input(s, y);
    const Tensor* rc = r ? constant_of(r) : nullptr;
    if (r && r != y && r->dtype == y->dtype && same_shape(y, s->outputs[0]) && !(rc && rc->numel() == 1)) {
      make_fused(rw, p);
      p->inputs.resize(ops::kResidualInput + 1);
      p->inputs[ops::kResidualInput] = r;
      set_attr(p, "residual_position", std::string(has_activation ? "after" : "before"));
      add_fused(p, {"Add"});
      rw.absorb(p, s);
      return true;
    }
  }
  if (has_activation || p->attr_string("residual_position", "") == "after") return false;
  auto m = unary_activation(s, y);
  if (!m) m = silu(rw, y);
  if (!m) return false;
  make_fused(rw, p);
  set_attr(p, "activation", std::string(ops::activation_name(m->activation)));
  if (!m->params.empty()) set_attr(p, "activation_params", m->params);
  std::vector<std::string> ops;
  for (ir::Node* n : m->nodes) ops.push_back(n->op_type);
  add_fused(p, ops);
  for (size_t i = 0; i + 1 < m->nodes.size(); ++i) rw.erase(m->nodes[i]);
  rw.absorb(p, m->nodes.back());
  return true;
}

class FuseActivation : public Pass {
 public:
  const char* name() const override { return "fuse-activation"; }
  Expected<PassResult> run(ir::Graph& g) override {
    return sweep_until_done(g, [](Rewriter& rw) {
      int rewrites = 0;
      for (ir::Node* n : rw.nodes()) {
        if (rw.erased(n) || !fusable_producer(n)) continue;
        while (extend(rw, n)) ++rewrites;
      }
      return rewrites;
    });
  }
};

}  // namespace

KILN_REGISTER_PASS(600, FuseActivation);

}  // namespace kiln::passes
