#include "ir/graph.h"

#include <algorithm>
#include <set>

namespace kiln::ir {

bool Value::shape_known() const {
  if (!rank_known) return false;
  return std::all_of(shape.begin(), shape.end(), [](int64_t d) { return d >= 0; });
}

const char* attribute_kind_name(Attribute::Kind k) {
  switch (k) {
    case Attribute::Kind::kFloat:
      return "float";
    case Attribute::Kind::kInt:
      return "int";
    case Attribute::Kind::kString:
      return "string";
    case Attribute::Kind::kTensor:
      return "tensor";
    case Attribute::Kind::kGraph:
      return "graph";
    case Attribute::Kind::kFloats:
      return "floats";
    case Attribute::Kind::kInts:
      return "ints";
    case Attribute::Kind::kStrings:
      return "strings";
    case Attribute::Kind::kTensors:
      return "tensors";
    case Attribute::Kind::kGraphs:
      return "graphs";
  }
  return "?";
}

const Attribute* Node::attr(const std::string& key) const {
  auto it = attrs.find(key);
  return it == attrs.end() ? nullptr : &it->second;
}

int64_t Node::attr_int(const std::string& key, int64_t fallback) const {
  const Attribute* a = attr(key);
  return a ? a->i : fallback;
}
float Node::attr_float(const std::string& key, float fallback) const {
  const Attribute* a = attr(key);
  return a ? a->f : fallback;
}
std::string Node::attr_string(const std::string& key, const std::string& fallback) const {
  const Attribute* a = attr(key);
  return a ? a->s : fallback;
}
std::vector<int64_t> Node::attr_ints(const std::string& key, std::vector<int64_t> fallback) const {
  const Attribute* a = attr(key);
  return a ? a->ints : fallback;
}
std::vector<float> Node::attr_floats(const std::string& key, std::vector<float> fallback) const {
  const Attribute* a = attr(key);
  return a ? a->floats : fallback;
}
const Tensor* Node::attr_tensor(const std::string& key) const {
  const Attribute* a = attr(key);
  return a && a->kind == Attribute::Kind::kTensor ? &a->t : nullptr;
}
const Graph* Node::attr_graph(const std::string& key) const {
  const Attribute* a = attr(key);
  return a && a->kind == Attribute::Kind::kGraph ? a->g.get() : nullptr;
}

std::string Node::describe() const { return op_type + " '" + name + "'"; }

Value* Graph::find_value(const std::string& n) const {
  auto it = by_name_.find(n);
  return it == by_name_.end() ? nullptr : it->second;
}

Value* Graph::get_or_create_value(const std::string& n) {
  if (Value* v = find_value(n)) return v;
  auto v = std::make_unique<Value>();
  v->name = n;
  Value* raw = v.get();
  by_name_[n] = raw;
  values_.push_back(std::move(v));
  return raw;
}

Value* Graph::create_value(const std::string& hint) {
  std::string n = hint;
  for (int k = 1; find_value(n); ++k) n = hint + "_" + std::to_string(k);
  return get_or_create_value(n);
}

Node* Graph::add_node(std::unique_ptr<Node> node) {
  Node* raw = node.get();
  for (Value* o : raw->outputs)
    if (o) o->producer = raw;
  nodes_.push_back(std::move(node));
  return raw;
}

std::vector<const Value*> Graph::outer_values() const {
  std::set<const Value*> local(inputs.begin(), inputs.end());
  std::set<const Value*> seen;
  std::vector<const Value*> out;
  for (const auto& n : nodes_) {
    for (const Value* in : n->inputs) {
      if (!in || in->producer || in->is_constant() || local.count(in)) continue;
      if (seen.insert(in).second) out.push_back(in);
    }
  }
  return out;
}

void Graph::relink() {
  for (auto& v : values_) v->producer = nullptr;
  for (auto& n : nodes_)
    for (Value* o : n->outputs)
      if (o) o->producer = n.get();
}

Status Graph::topological_sort() {
  relink();
  std::map<const Node*, size_t> index;
  for (size_t i = 0; i < nodes_.size(); ++i) index[nodes_[i].get()] = i;
  std::vector<int> state(nodes_.size(), 0);  // 0 new, 1 on stack, 2 done
  std::vector<std::unique_ptr<Node>> order;
  order.reserve(nodes_.size());
  std::vector<std::unique_ptr<Node>> pool = std::move(nodes_);
  // Iterative DFS keeps deep chains (thousands of nodes) off the call stack.
  for (size_t root = 0; root < pool.size(); ++root) {
    if (state[root]) continue;
    std::vector<std::pair<size_t, size_t>> stack{{root, 0}};
    state[root] = 1;
    while (!stack.empty()) {
      auto& [ni, next_input] = stack.back();
      Node* n = pool[ni].get();
      if (next_input < n->inputs.size()) {
        Value* in = n->inputs[next_input++];
        if (!in || !in->producer) continue;
        size_t pi = index[in->producer];
        if (state[pi] == 1) {
          nodes_ = std::move(pool);
          return invalid_argument("graph has a cycle through node " + in->producer->describe() +
                                  " (its output '" + in->name + "' feeds back into it)");
        }
        if (state[pi] == 0) {
          state[pi] = 1;
          stack.push_back({pi, 0});
        }
        continue;
      }
      state[ni] = 2;
      order.push_back(std::move(pool[ni]));
      stack.pop_back();
    }
  }
  nodes_ = std::move(order);
  return Status::ok();
}

std::vector<Node*> Graph::consumers(const Value* v) const {
  std::vector<Node*> out;
  for (const auto& n : nodes_)
    if (std::find(n->inputs.begin(), n->inputs.end(), v) != n->inputs.end()) out.push_back(n.get());
  return out;
}

bool Graph::is_output(const Value* v) const {
  return std::find(outputs.begin(), outputs.end(), v) != outputs.end();
}

void Graph::replace_all_uses(Value* from, Value* to) {
  for (auto& n : nodes_)
    for (Value*& in : n->inputs)
      if (in == from) in = to;
  for (Value*& out : outputs)
    if (out == from) out = to;
}

namespace {
bool subgraph_reads(const Graph& g, const std::string& name) {
  for (const auto& n : g.nodes()) {
    for (const Value* in : n->inputs)
      if (in && in->name == name) return true;
    for (const auto& [k, a] : n->attrs) {
      if (a.g && subgraph_reads(*a.g, name)) return true;
      for (const auto& sub : a.graphs)
        if (subgraph_reads(*sub, name)) return true;
    }
  }
  for (const Value* out : g.outputs)
    if (out->name == name) return true;
  return false;
}
}  // namespace

bool Graph::read_by_subgraph(const Value* v) const {
  for (const auto& n : nodes_) {
    for (const auto& [k, a] : n->attrs) {
      if (a.g && subgraph_reads(*a.g, v->name)) return true;
      for (const auto& sub : a.graphs)
        if (subgraph_reads(*sub, v->name)) return true;
    }
  }
  return false;
}

Node* Graph::insert_node(std::unique_ptr<Node> node, const Node* before) {
  Node* raw = node.get();
  for (Value* o : raw->outputs)
    if (o) o->producer = raw;
  auto it = std::find_if(nodes_.begin(), nodes_.end(), [&](const auto& n) { return n.get() == before; });
  nodes_.insert(it, std::move(node));
  return raw;
}

}  // namespace kiln::ir
