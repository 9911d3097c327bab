#include <set>

#include "ir/graph.h"

namespace kiln::ir {

namespace {
bool visible_in_enclosing(const Graph* g, const std::string& name) {
  for (const Graph* p = g->parent; p; p = p->parent)
    if (p->find_value(name)) return true;
  return false;
}
}  // namespace

Status verify(const Graph& g) {
  std::set<const Value*> available(g.inputs.begin(), g.inputs.end());
  std::set<std::string> node_names;
  for (const auto& v : g.values())
    if (v->is_constant()) available.insert(v.get());
  for (const auto& n : g.nodes()) {
    if (!node_names.insert(n->name).second) {
      return invalid_argument("two nodes are named '" + n->name + "'; node names must be unique");
    }
    for (size_t i = 0; i < n->inputs.size(); ++i) {
      const Value* in = n->inputs[i];
      if (!in || available.count(in)) continue;
      if (in->producer) {
        return invalid_argument(n->describe() + ": input '" + in->name + "' is produced by " +
                                in->producer->describe() + ", which comes later (the graph is not sorted)");
      }
      if (!g.parent || !visible_in_enclosing(&g, in->name)) {
        return invalid_argument(n->describe() + ": input " + std::to_string(i) + " '" + in->name +
                                "' is not produced by any node, nor a graph input or initializer");
      }
    }
    for (const Value* out : n->outputs) {
      if (!out) continue;
      if (out->producer != n.get()) {
        return invalid_argument(n->describe() + ": output '" + out->name + "' has another producer");
      }
      available.insert(out);
    }
  }
  for (const Value* out : g.outputs) {
    if (!available.count(out) && !(g.parent && visible_in_enclosing(&g, out->name))) {
      return invalid_argument("graph output '" + out->name + "' is not produced by any node");
    }
  }
  return Status::ok();
}

}  // namespace kiln::ir
