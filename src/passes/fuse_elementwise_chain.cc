// Elementwise-chain fusion: a run of float elementwise ops, each reading the previous one's output
// as its only reader, becomes one kiln.ElementwiseChain node (see ops/fused_elementwise_chain.h).
// A link is a unary op, or a binary op (or Clip) whose other inputs are constant scalars; it must
// keep the running tensor's shape and type. Existing chains extend. One rewrite per chain formed.
#include <algorithm>

#include "ops/fused_elementwise_chain.h"
#include "passes/pattern.h"

namespace kiln::passes {
namespace {

bool chainable_op(const ir::Node* n) {
  static const std::vector<std::string_view> kOps = {"Relu",       "LeakyRelu",
                                                     "Elu",        "Selu",
                                                     "Celu",       "HardSigmoid",
                                                     "HardSwish",  "Sigmoid",
                                                     "Tanh",       "Exp",
                                                     "Log",        "Sqrt",
                                                     "Abs",        "Neg",
                                                     "Reciprocal", "Erf",
                                                     "Softplus",   "Softsign",
                                                     "Gelu",       "Mish",
                                                     "Floor",      "Ceil",
                                                     "Round",      "Sin",
                                                     "Cos",        "ThresholdedRelu",
                                                     "Add",        "Sub",
                                                     "Mul",        "Div",
                                                     "Pow",        "Max",
                                                     "Min",        "Clip"};
  if (n->domain == "kiln") return n->op_type == "ElementwiseChain" && ops::read_chain(*n).has_value();
  return std::find(kOps.begin(), kOps.end(), n->op_type) != kOps.end() && is_op(n, n->op_type);
}

// The index of the running input of `n` when n can be a link: one non-constant input, the others
// constant scalars or absent, and the output of the running input's shape and type.
std::optional<size_t> running_input(const ir::Node* n) {
  if (!chainable_op(n) || n->outputs.size() != 1 || !n->outputs[0] || n->inputs.empty()) return std::nullopt;
  std::optional<size_t> running;
  for (size_t i = 0; i < n->inputs.size(); ++i) {
    const ir::Value* v = n->inputs[i];
    if (!v) continue;
    const Tensor* t = constant_of(v);
    if (t && (t->numel() == 1 || n->domain == "kiln")) continue;
    if (t || running) return std::nullopt;
    running = i;
  }
  if (!running || (n->domain == "kiln" && *running != 0)) return std::nullopt;
  const ir::Value* x = n->inputs[*running];
  if (!dtype_is_float(x->dtype) || x->dtype != n->outputs[0]->dtype || !same_shape(x, n->outputs[0]))
    return std::nullopt;
  return running;
}

// Appends `n` as steps of `chain` (whose inputs gather the operands).
void append_steps(const ir::Node* n, size_t running, ir::Node& chain, std::vector<ops::ChainStep>& steps) {
  auto operand = [&](ir::Value* v) -> int64_t {
    auto it = std::find(chain.inputs.begin() + 1, chain.inputs.end(), v);
    if (it == chain.inputs.end()) it = chain.inputs.insert(chain.inputs.end(), v);
    return it - chain.inputs.begin();
  };
  if (n->domain == "kiln") {             // an earlier chain: re-point its operands into this one
    auto earlier = ops::read_chain(*n);  // valid: running_input() accepted only readable chains
    for (ops::ChainStep s : *earlier) {
      for (int64_t& k : s.inputs)
        if (k >= 1) k = operand(n->inputs[k]);
      steps.push_back(std::move(s));
    }
    return;
  }
  ops::ChainStep s{n->op_type, n->opset, n->attrs, {}};
  s.attrs.erase("kiln_fused");  // a HardSwish or Gelu made from a pattern: the chain lists its own
  for (size_t i = 0; i < n->inputs.size(); ++i)
    s.inputs.push_back(i == running    ? ops::kRunningValue
                       : !n->inputs[i] ? ops::kAbsentInput
                                       : operand(n->inputs[i]));
  steps.push_back(std::move(s));
}

class FuseElementwiseChain : public Pass {
 public:
  const char* name() const override { return "fuse-elementwise-chain"; }
  Expected<PassResult> run(ir::Graph& g) override {
    return sweep_until_done(g, [](Rewriter& rw) {
      int chains = 0;
      for (ir::Node* head : rw.nodes()) {
        if (rw.erased(head)) continue;
        auto r = running_input(head);
        if (!r) continue;
        std::vector<std::pair<ir::Node*, size_t>> links = {{head, *r}};
        for (ir::Node* next = rw.sole_reader(head->outputs[0]); next;
             next = rw.sole_reader(next->outputs[0])) {
          auto nr = running_input(next);
          if (!nr || next->inputs[*nr] != links.back().first->outputs[0]) break;
          links.push_back({next, *nr});
        }
        if (links.size() < 2) continue;
        auto chain = std::make_unique<ir::Node>();
        chain->name = head->name;
        chain->op_type = "ElementwiseChain";
        chain->domain = "kiln";
        chain->opset = 1;
        chain->inputs = {head->inputs[*r]};
        std::vector<ops::ChainStep> steps;
        for (auto [n, running] : links) append_steps(n, running, *chain, steps);
        ops::write_chain(*chain, steps);
        std::vector<std::string> fused;
        for (const ops::ChainStep& s : steps) fused.push_back(s.op_type);
        add_fused(chain.get(), fused);
        ir::Node* tail = links.back().first;
        chain->outputs = {tail->outputs[0]};
        for (auto [n, running] : links) rw.erase(n);
        rw.add_node(std::move(chain), tail);
        ++chains;
      }
      return chains;
    });
  }
};

}  // namespace

KILN_REGISTER_PASS(700, FuseElementwiseChain);

}  // namespace kiln::passes
