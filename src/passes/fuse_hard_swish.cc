// HardSwish written out in elementwise ops -> one HardSwish node, so that it can fuse into the
// conv before it:
//   x * Clip(x + 3, 0, 6) / 6        (Paddle's export; / 6 may be * 0.1666..)
//   x * HardSigmoid(x, 1/6, 0.5)     (older PyTorch exports)
// Every intermediate must be read only inside the pattern.
#include <cmath>

#include "passes/pattern.h"

namespace kiln::passes {
namespace {

bool near(const ir::Value* v, double want) {
  auto s = splat_value(v);
  return s && std::abs(*s - want) <= 1e-5 * std::max(1.0, std::abs(want));
}

// Clip's bounds from its inputs (opset >= 11) or attributes.
bool clips_to(const ir::Node* clip, double lo, double hi) {
  if (!is_op(clip, "Clip")) return false;
  if (clip->opset < 11) return clip->attr_float("min", -1) == lo && clip->attr_float("max", -1) == hi;
  return clip->inputs.size() == 3 && near(clip->inputs[1], lo) && near(clip->inputs[2], hi);
}

struct Match {
  ir::Value* x = nullptr;
  std::vector<ir::Node*> nodes;  // erased; the last one's output becomes HardSwish's
};

// `gate` (a node reading x) computes relu6(x + 3) or hardsigmoid(x); then x * gate [/ 6].
std::optional<Match> match_from_mul(const Rewriter& rw, ir::Node* mul) {
  if (!is_op(mul, "Mul") || mul->inputs.size() != 2) return std::nullopt;
  for (int side = 0; side < 2; ++side) {
    ir::Value* x = mul->inputs[side];
    ir::Value* g = mul->inputs[1 - side];
    ir::Node* gate = g ? g->producer : nullptr;
    if (!gate || x == g || rw.sole_reader(g) != mul) continue;
    if (is_op(gate, "HardSigmoid") && gate->inputs[0] == x &&
        std::abs(gate->attr_float("alpha", 0.2f) - 1.0 / 6) < 1e-6 &&
        gate->attr_float("beta", 0.5f) == 0.5f) {
      return Match{x, {gate, mul}};
    }
    if (!clips_to(gate, 0, 6)) continue;
    ir::Node* add = gate->inputs[0] ? gate->inputs[0]->producer : nullptr;
    if (!is_op(add, "Add") || other_input(add, x) == nullptr || !near(other_input(add, x), 3) ||
        rw.sole_reader(gate->inputs[0]) != gate)
      continue;
    ir::Node* scale = rw.sole_reader(mul->outputs[0]);
    const bool div6 = is_op(scale, "Div") && scale->inputs[0] == mul->outputs[0] && near(scale->inputs[1], 6);
    const bool mul6 = is_op(scale, "Mul") && near(other_input(scale, mul->outputs[0]), 1.0 / 6);
    if (!div6 && !mul6) continue;
    return Match{x, {add, gate, mul, scale}};
  }
  return std::nullopt;
}

class FuseHardSwish : public Pass {
 public:
  const char* name() const override { return "fuse-hard-swish"; }
  Expected<PassResult> run(ir::Graph& g) override {
    return sweep_until_done(g, [](Rewriter& rw) {
      int rewrites = 0;
      for (ir::Node* n : rw.nodes()) {
        if (rw.erased(n)) continue;
        auto m = match_from_mul(rw, n);
        if (!m || !dtype_is_float(m->x->dtype)) continue;
        bool live = true;
        for (ir::Node* e : m->nodes) live = live && !rw.erased(e);
        if (!live) continue;
        ir::Node* last = m->nodes.back();
        auto hs = std::make_unique<ir::Node>();
        hs->name = last->name;
        hs->op_type = "HardSwish";
        hs->opset = 14;
        hs->inputs = {m->x};
        hs->outputs = {last->outputs[0]};
        add_fused(hs.get(), m->nodes);
        for (ir::Node* e : m->nodes) rw.erase(e);
        rw.add_node(std::move(hs), last);
        ++rewrites;
      }
      return rewrites;
    });
  }
};

}  // namespace

KILN_REGISTER_PASS(560, FuseHardSwish);

}  // namespace kiln::passes
