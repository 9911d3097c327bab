// Constant folding: a deterministic node whose inputs are all constants is run once, now, with its
// reference kernel, and its outputs become constants. Shape and Size of a value whose shape is
// fully known fold too, which (with Gather, Unsqueeze, Concat... folding after them) turns the
// Shape -> Gather -> Unsqueeze -> Concat -> Reshape chains exporters emit into constant shapes.
#include <algorithm>

#include "ops/op.h"
#include "passes/pattern.h"

namespace kiln::passes {
namespace {

// Folded outputs beyond this size stay computed at run time (a ConstantOfShape or Tile could
// otherwise bloat the plan).
constexpr int64_t kMaxFoldedBytes = int64_t{64} << 20;

bool nondeterministic(const ir::Node& n) {
  static const char* const kRandom[] = {"RandomNormal",      "RandomNormalLike", "RandomUniform",
                                        "RandomUniformLike", "Bernoulli",        "Multinomial"};
  return std::any_of(std::begin(kRandom), std::end(kRandom), [&](const char* op) { return is_op(&n, op); });
}

bool has_subgraph(const ir::Node& n) {
  return std::any_of(n.attrs.begin(), n.attrs.end(), [](const auto& kv) {
    return kv.second.kind == ir::Attribute::Kind::kGraph || kv.second.kind == ir::Attribute::Kind::kGraphs;
  });
}

int64_t known_bytes(const ir::Value* v) {
  return v->shape_known() ? shape_numel(v->shape) * static_cast<int64_t>(dtype_size(v->dtype)) : -1;
}

// Shape / Size of a statically shaped value, as the op would compute them.
std::optional<Tensor> fold_shape_of(const ir::Node& n) {
  const ir::Value* x = n.input(0);
  if (!x || !x->shape_known()) return std::nullopt;
  if (is_op(&n, "Size")) return Tensor::from_int64s({}, {shape_numel(x->shape)});
  const int64_t rank = static_cast<int64_t>(x->shape.size());
  auto clamp = [&](int64_t a) { return std::clamp(a < 0 ? a + rank : a, int64_t{0}, rank); };
  const int64_t start = clamp(n.attr_int("start", 0)), end = std::max(start, clamp(n.attr_int("end", rank)));
  return Tensor::from_int64s({end - start}, Shape(x->shape.begin() + start, x->shape.begin() + end));
}

// The node's outputs computed now, or nothing when it cannot or should not fold.
std::optional<std::vector<Tensor>> evaluate(const Rewriter& rw, const ir::Node& n) {
  if (nondeterministic(n) || has_subgraph(n) || n.outputs.empty()) return std::nullopt;
  for (const ir::Value* v : n.inputs)  // sequences are not tensors: a constant cannot hold one
    if (v && v->is_sequence) return std::nullopt;
  int64_t bytes = 0;
  for (const ir::Value* o : n.outputs) {
    if (!o) continue;
    if (!rw.internal(o) || o->is_sequence)
      return std::nullopt;  // graph outputs stay computed; subgraphs read by name
    bytes += std::max<int64_t>(known_bytes(o), 0);
  }
  if (bytes > kMaxFoldedBytes) return std::nullopt;
  if ((is_op(&n, "Shape") || is_op(&n, "Size")) && n.outputs.size() == 1) {
    if (auto t = fold_shape_of(n)) return std::vector<Tensor>{*t};
  }
  std::vector<const Tensor*> in;
  for (const ir::Value* v : n.inputs) {
    if (v && !v->is_constant()) return std::nullopt;
    in.push_back(v ? &*v->constant : nullptr);
  }
  const ops::OpDef* def = ops::find_op(n.domain, n.op_type);
  if (!def || !def->reference) return std::nullopt;
  ops::RunContext ctx(n, in, nullptr);
  // A kernel that fails on constant inputs fails at run time too; leave the node for the runtime
  // to report with its inputs.
  if (!def->reference(ctx).is_ok()) return std::nullopt;
  std::vector<Tensor> out = ctx.outputs();
  int64_t total = 0;
  for (size_t i = 0; i < n.outputs.size(); ++i) {
    if (!n.outputs[i]) continue;
    if (i >= out.size() || out[i].empty()) return std::nullopt;
    total += static_cast<int64_t>(out[i].nbytes());
  }
  if (total > kMaxFoldedBytes) return std::nullopt;
  return out;
}

class FoldConstants : public Pass {
 public:
  const char* name() const override { return "fold-constants"; }
  Expected<PassResult> run(ir::Graph& g) override {
    // Nodes are in schedule order, so a chain folds front to back in one sweep.
    return sweep_until_done(g, [](Rewriter& rw) {
      int folded = 0;
      for (ir::Node* n : rw.nodes()) {
        auto out = evaluate(rw, *n);
        if (!out) continue;
        for (size_t i = 0; i < n->outputs.size(); ++i) {
          ir::Value* v = n->outputs[i];
          if (!v) continue;
          v->dtype = (*out)[i].dtype();
          v->shape = (*out)[i].shape();
          v->rank_known = true;
          v->constant = std::move((*out)[i]);
        }
        rw.erase(n);
        ++folded;
      }
      return folded;
    });
  }
};

}  // namespace

KILN_REGISTER_PASS(100, FoldConstants);

}  // namespace kiln::passes
