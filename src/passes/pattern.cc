#include "passes/pattern.h"

#include <algorithm>

#include "ops/infer_graph.h"

namespace kiln::passes {

bool is_op(const ir::Node* n, std::string_view op_type) {
  return n && n->op_type == op_type && (n->domain.empty() || n->domain == "ai.onnx");
}

const Tensor* constant_of(const ir::Value* v) { return v && v->is_constant() ? &*v->constant : nullptr; }

std::optional<double> splat_value(const ir::Value* v) {
  const Tensor* t = constant_of(v);
  if (!t || t->numel() < 1 || t->dtype() == DataType::kBool) return std::nullopt;
  const double first = t->as_double(0);
  for (int64_t i = 1; i < t->numel(); ++i)
    if (t->as_double(i) != first) return std::nullopt;
  return first;
}

bool is_splat(const ir::Value* v, double want) {
  auto s = splat_value(v);
  return s && *s == want;
}

bool same_shape(const ir::Value* a, const ir::Value* b) {
  return a && b && a->shape_known() && b->shape_known() && a->shape == b->shape;
}

ir::Value* other_input(const ir::Node* n, const ir::Value* one) {
  if (!n || n->inputs.size() != 2) return nullptr;
  if (n->inputs[0] == one) return n->inputs[1];
  if (n->inputs[1] == one) return n->inputs[0];
  return nullptr;
}

void add_fused(ir::Node* n, const std::vector<std::string>& op_types) {
  ir::Attribute& a = n->attrs["kiln_fused"];
  a.kind = ir::Attribute::Kind::kStrings;
  a.strings.insert(a.strings.end(), op_types.begin(), op_types.end());
}

void add_fused(ir::Node* n, const std::vector<ir::Node*>& absorbed) {
  std::vector<std::string> ops;
  for (const ir::Node* a : absorbed) ops.push_back(a->op_type);
  add_fused(n, ops);
}

void set_attr(ir::Node* n, const std::string& key, const std::string& s) {
  ir::Attribute a;
  a.kind = ir::Attribute::Kind::kString;
  a.s = s;
  n->attrs[key] = std::move(a);
}
void set_attr(ir::Node* n, const std::string& key, float f) {
  ir::Attribute a;
  a.kind = ir::Attribute::Kind::kFloat;
  a.f = f;
  n->attrs[key] = std::move(a);
}
void set_attr(ir::Node* n, const std::string& key, std::vector<float> floats) {
  ir::Attribute a;
  a.kind = ir::Attribute::Kind::kFloats;
  a.floats = std::move(floats);
  n->attrs[key] = std::move(a);
}
void set_attr(ir::Node* n, const std::string& key, int64_t i) {
  ir::Attribute a;
  a.kind = ir::Attribute::Kind::kInt;
  a.i = i;
  n->attrs[key] = std::move(a);
}
void set_attr(ir::Node* n, const std::string& key, std::vector<int64_t> ints) {
  ir::Attribute a;
  a.kind = ir::Attribute::Kind::kInts;
  a.ints = std::move(ints);
  n->attrs[key] = std::move(a);
}

std::vector<ir::Node*> Rewriter::nodes() const {
  std::vector<ir::Node*> out;
  for (const auto& n : g_.nodes())
    if (!erased(n.get())) out.push_back(n.get());
  return out;
}

std::vector<ir::Node*> Rewriter::readers(const ir::Value* v) const {
  std::vector<ir::Node*> out;
  if (!v) return out;
  for (const auto& n : g_.nodes()) {
    if (erased(n.get())) continue;
    if (std::find(n->inputs.begin(), n->inputs.end(), v) != n->inputs.end()) out.push_back(n.get());
  }
  return out;
}

bool Rewriter::internal(const ir::Value* v) const { return v && !g_.is_output(v) && !g_.read_by_subgraph(v); }

ir::Node* Rewriter::sole_reader(const ir::Value* v) const {
  if (!internal(v)) return nullptr;
  auto r = readers(v);
  return r.size() == 1 ? r[0] : nullptr;
}

void Rewriter::erase(ir::Node* n) {
  erased_.insert(n);
  for (ir::Value* o : n->outputs)
    if (o && o->producer == n) o->producer = nullptr;
}

bool Rewriter::forward(ir::Value* from, ir::Value* to) {
  if (!from || !to || from == to || g_.read_by_subgraph(from)) return false;
  if (!g_.is_output(from)) {
    g_.replace_all_uses(from, to);
    return true;
  }
  // `from` is a graph output: keep its name by making `to`'s producer write it.
  ir::Node* p = to->producer;
  if (!p || erased(p) || to->is_constant() || !internal(to)) return false;
  for (ir::Value*& o : p->outputs)
    if (o == to) o = from;
  g_.replace_all_uses(to, from);
  from->producer = p;
  to->producer = nullptr;
  return true;
}

void Rewriter::absorb(ir::Node* keep, ir::Node* gone) {
  ir::Value* out = gone->outputs[0];
  erase(gone);
  if (ir::Value* old = keep->outputs[0]; old && old->producer == keep) old->producer = nullptr;
  keep->outputs[0] = out;
  out->producer = keep;
}

ir::Value* Rewriter::add_constant(const std::string& hint, Tensor t) {
  ir::Value* v = g_.create_value(hint);
  v->dtype = t.dtype();
  v->shape = t.shape();
  v->rank_known = true;
  v->constant = std::move(t);
  return v;
}

ir::Node* Rewriter::add_node(std::unique_ptr<ir::Node> n, const ir::Node* before) {
  if (n->domain == "kiln" && !g_.opsets.count("kiln")) g_.opsets["kiln"] = 1;
  return g_.insert_node(std::move(n), before);
}

int Rewriter::commit() {
  if (erased_.empty()) return 0;
  int removed = g_.remove_nodes_if([&](const ir::Node& n) { return erased_.count(&n) != 0; });
  erased_.clear();
  return removed;
}

Expected<PassResult> sweep_until_done(ir::Graph& g, const std::function<int(Rewriter&)>& sweep,
                                      int max_sweeps) {
  PassResult result;
  for (int i = 0; i < max_sweeps; ++i) {
    Rewriter rw(g);
    const int n = sweep(rw);
    rw.commit();
    if (n == 0) break;
    result.rewrites += n;
    KILN_RETURN_IF_ERROR(g.topological_sort());
    KILN_RETURN_IF_ERROR(ops::infer_graph(g));
  }
  return result;
}

}  // namespace kiln::passes
