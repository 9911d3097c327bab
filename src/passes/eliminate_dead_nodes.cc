// Dead-node elimination: a node none of whose outputs is read (by a node, a subgraph or as a graph
// output) is removed, back to front so whole dead branches go in one sweep. Constants nobody reads
// any more (weights replaced by folding) drop their bytes.
#include <map>

#include "passes/pattern.h"

namespace kiln::passes {
namespace {

class EliminateDeadNodes : public Pass {
 public:
  const char* name() const override { return "eliminate-dead-nodes"; }
  Expected<PassResult> run(ir::Graph& g) override {
    std::map<const ir::Value*, int> reads;  // reads by live nodes
    for (const auto& n : g.nodes())
      for (const ir::Value* in : n->inputs)
        if (in) ++reads[in];
    Rewriter rw(g);
    auto live = [&](const ir::Value* v) { return v && (reads[v] > 0 || !rw.internal(v)); };
    PassResult result;
    const std::vector<ir::Node*> nodes = rw.nodes();
    for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) {
      ir::Node* n = *it;
      bool dead = !n->outputs.empty();
      for (const ir::Value* o : n->outputs) dead = dead && !live(o);
      if (!dead) continue;
      for (const ir::Value* in : n->inputs)
        if (in) --reads[in];
      rw.erase(n);
      ++result.rewrites;
    }
    rw.commit();
    for (const auto& v : g.values()) {
      if (v->is_constant() && !live(v.get())) v->constant.reset();
    }
    return result;
  }
};

}  // namespace

KILN_REGISTER_PASS(200, EliminateDeadNodes);

}  // namespace kiln::passes
