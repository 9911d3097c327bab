// GELU written out in elementwise ops -> one Gelu node (opset 20):
//   erf form    x * 0.5 * (1 + Erf(x / sqrt(2)))                      (x * 0.70710678 also)
//   tanh form   x * 0.5 * (1 + Tanh(sqrt(2/pi) * (x + 0.044715 * x^3)))   approximate = "tanh"
// The final product may be associated any way exporters write it: (x * p) * 0.5, x * (p * 0.5)
// or (x * 0.5) * p, with p = 1 + f(...). Every intermediate must be read only inside the pattern.
#include <cmath>
#include <numbers>

#include "passes/pattern.h"

namespace kiln::passes {
namespace {

bool near(const ir::Value* v, double want) {
  auto s = splat_value(v);
  return s && std::abs(*s - want) <= 1e-4 * std::abs(want);
}

// When n is `op(v, c)` or `op(c, v)` with constant c near `want`, the operand v.
ir::Value* operand_with_constant(const ir::Node* n, const char* op, double want) {
  if (!is_op(n, op) || n->inputs.size() != 2) return nullptr;
  for (int side = 0; side < 2; ++side) {
    if (near(n->inputs[side], want) && !(side == 0 && (is_op(n, "Div") || is_op(n, "Sub"))))
      return n->inputs[1 - side];
  }
  return nullptr;
}

struct Match {
  ir::Value* x = nullptr;
  std::vector<ir::Node*> nodes;  // to erase; the last one's output becomes Gelu's
};

// x * 0.5 * p in any association, p = `p`'s value; appends the product's nodes to `m`.
bool match_half_product(const Rewriter& rw, ir::Value* p, Match& m) {
  ir::Node* m1 = rw.sole_reader(p);
  if (!is_op(m1, "Mul")) return false;
  ir::Value* a = other_input(m1, p);
  if (a == m.x) {  // (x * p) * 0.5
    ir::Node* m2 = rw.sole_reader(m1->outputs[0]);
    if (!operand_with_constant(m2, "Mul", 0.5)) return false;
    m.nodes.insert(m.nodes.end(), {m1, m2});
    return true;
  }
  if (near(a, 0.5)) {  // x * (p * 0.5)
    ir::Node* m2 = rw.sole_reader(m1->outputs[0]);
    if (!is_op(m2, "Mul") || other_input(m2, m1->outputs[0]) != m.x) return false;
    m.nodes.insert(m.nodes.end(), {m1, m2});
    return true;
  }
  ir::Node* half = a ? a->producer : nullptr;  // (x * 0.5) * p
  if (half && operand_with_constant(half, "Mul", 0.5) == m.x && rw.sole_reader(a) == m1) {
    m.nodes.insert(m.nodes.end(), {half, m1});
    return true;
  }
  return false;
}

// 1 + f: f's output read only by that Add; returns the Add.
ir::Node* one_plus(const Rewriter& rw, ir::Node* f) {
  ir::Node* add = rw.sole_reader(f->outputs[0]);
  return operand_with_constant(add, "Add", 1.0) == f->outputs[0] ? add : nullptr;
}

std::optional<Match> match_erf(const Rewriter& rw, ir::Node* erf) {
  Match m;
  ir::Node* scale = erf->inputs[0] ? erf->inputs[0]->producer : nullptr;
  m.x = operand_with_constant(scale, "Div", std::sqrt(2.0));
  if (!m.x) m.x = operand_with_constant(scale, "Mul", 1.0 / std::sqrt(2.0));
  ir::Node* add = one_plus(rw, erf);
  if (!m.x || !add || rw.sole_reader(erf->inputs[0]) != erf) return std::nullopt;
  m.nodes = {scale, erf, add};
  if (!match_half_product(rw, add->outputs[0], m)) return std::nullopt;
  return m;
}

// x^3 as Pow(x, 3), x * (x * x) or (x * x) * x; returns the nodes.
std::vector<ir::Node*> cube(const Rewriter& rw, ir::Value* v, ir::Value* x) {
  ir::Node* n = v ? v->producer : nullptr;
  if (!n || !rw.sole_reader(v)) return {};
  if (is_op(n, "Pow") && n->inputs[0] == x && is_splat(n->inputs[1], 3.0)) return {n};
  if (!is_op(n, "Mul") || n->inputs.size() != 2) return {};
  ir::Value* sq = other_input(n, x);
  ir::Node* s = sq ? sq->producer : nullptr;
  if (is_op(s, "Mul") && s->inputs[0] == x && s->inputs[1] == x && rw.sole_reader(sq) == n) return {s, n};
  return {};
}

std::optional<Match> match_tanh(const Rewriter& rw, ir::Node* tanh) {
  ir::Node* k = tanh->inputs[0] ? tanh->inputs[0]->producer : nullptr;
  ir::Value* inner = operand_with_constant(k, "Mul", std::sqrt(2.0 / std::numbers::pi));
  ir::Node* sum = inner ? inner->producer : nullptr;
  if (!is_op(sum, "Add") || rw.sole_reader(inner) != k || rw.sole_reader(tanh->inputs[0]) != tanh)
    return std::nullopt;
  for (int side = 0; side < 2; ++side) {
    Match m;
    m.x = sum->inputs[side];
    ir::Value* t = sum->inputs[1 - side];
    ir::Node* c = t ? t->producer : nullptr;
    std::vector<ir::Node*> x3 = cube(rw, operand_with_constant(c, "Mul", 0.044715), m.x);
    if (x3.empty() || rw.sole_reader(t) != sum) continue;
    ir::Node* add = one_plus(rw, tanh);
    if (!add) return std::nullopt;
    m.nodes = x3;
    m.nodes.insert(m.nodes.end(), {c, sum, k, tanh, add});
    if (match_half_product(rw, add->outputs[0], m)) return m;
  }
  return std::nullopt;
}

class FuseGelu : public Pass {
 public:
  const char* name() const override { return "fuse-gelu"; }
  Expected<PassResult> run(ir::Graph& g) override {
    return sweep_until_done(g, [](Rewriter& rw) {
      int rewrites = 0;
      for (ir::Node* n : rw.nodes()) {
        if (rw.erased(n) || n->inputs.empty()) continue;
        std::optional<Match> m;
        if (is_op(n, "Erf")) m = match_erf(rw, n);
        if (is_op(n, "Tanh")) m = match_tanh(rw, n);
        if (!m || !dtype_is_float(m->x->dtype)) continue;
        auto gelu = std::make_unique<ir::Node>();
        gelu->name = m->nodes.back()->name;
        gelu->op_type = "Gelu";
        gelu->opset = 20;
        gelu->inputs = {m->x};
        if (is_op(n, "Tanh")) set_attr(gelu.get(), "approximate", std::string("tanh"));
        ir::Node* out = m->nodes.back();
        gelu->outputs = {out->outputs[0]};
        add_fused(gelu.get(), m->nodes);
        for (ir::Node* e : m->nodes) rw.erase(e);
        rw.add_node(std::move(gelu), out);
        ++rewrites;
      }
      return rewrites;
    });
  }
};

}  // namespace

KILN_REGISTER_PASS(550, FuseGelu);

}  // namespace kiln::passes
