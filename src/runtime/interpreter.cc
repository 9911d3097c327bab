#include "runtime/interpreter.h"

#include <algorithm>
#include <map>

namespace kiln::runtime {

struct Interpreter::Scope {
  const Scope* parent = nullptr;
  std::function<const Tensor*(const std::string&)> outer;  // beyond the outermost scope
  std::unordered_map<std::string, Tensor> values;

  const Tensor* find(const std::string& name) const {
    const Scope* s = this;
    for (; s; s = s->parent) {
      auto it = s->values.find(name);
      if (it != s->values.end()) return &it->second;
      if (!s->parent && s->outer) return s->outer(name);
    }
    return nullptr;
  }
};

/// Gives a node's kernel the ability to run its subgraphs inside the current scope.
class Interpreter::Runner : public ops::SubgraphRunner {
 public:
  Runner(const Interpreter& interp, const Scope& scope) : interp_(interp), scope_(scope) {}
  Expected<std::vector<Tensor>> run(const ir::Graph& body, const std::vector<Tensor>& inputs) override {
    return interp_.run_in_scope(body, inputs, &scope_);
  }

 private:
  const Interpreter& interp_;
  const Scope& scope_;
};

namespace {

Status check_against_infer(const ir::Node& node, const ops::OpDef& def,
                           const std::vector<const Tensor*>& inputs, const std::vector<Tensor>& outputs) {
  std::vector<ops::TensorType> types;
  for (const Tensor* t : inputs)
    types.push_back(t ? ops::TensorType{t->dtype(), t->is_sequence() ? Shape{} : t->shape(),
                                        !t->is_sequence(), t->is_sequence()}
                      : ops::TensorType{});
  ops::InferContext ctx(node, std::move(types), inputs);
  Status st = def.infer(ctx);
  if (!st.is_ok()) return st.with_context("shape inference disagrees with the kernel");
  for (size_t i = 0; i < outputs.size() && i < ctx.outputs.size(); ++i) {
    if (!node.outputs[i] || outputs[i].empty()) continue;
    const ops::TensorType& want = ctx.outputs[i];
    const Tensor& got = outputs[i];
    if (want.dtype != DataType::kUndefined && want.dtype != got.dtype()) {
      return internal_error(node.describe() + ": infer says output " + std::to_string(i) + " is " +
                            dtype_name(want.dtype) + ", the kernel produced " + dtype_name(got.dtype()));
    }
    if (want.is_sequence != got.is_sequence()) {
      return internal_error(node.describe() + ": infer and kernel disagree on whether output " +
                            std::to_string(i) + " is a sequence");
    }
    if (!want.rank_known) continue;
    bool same = want.shape.size() == got.shape().size();
    for (size_t d = 0; same && d < want.shape.size(); ++d)
      same = want.shape[d] < 0 || want.shape[d] == got.shape()[d];
    if (!same) {
      return internal_error(node.describe() + ": infer says output " + std::to_string(i) + " has shape " +
                            shape_str(want.shape) + ", the kernel produced " + shape_str(got.shape()));
    }
  }
  return Status::ok();
}

// Names read anywhere inside `g` (and its own subgraphs): a subgraph may read enclosing values.
void collect_reads(const ir::Graph& g, std::vector<std::string>& names) {
  for (const auto& n : g.nodes()) {
    for (const ir::Value* in : n->inputs)
      if (in) names.push_back(in->name);
    for (const auto& [key, a] : n->attrs) {
      if (a.g) collect_reads(*a.g, names);
      for (const auto& sub : a.graphs) collect_reads(*sub, names);
    }
  }
  for (const ir::Value* out : g.outputs) names.push_back(out->name);
}

}  // namespace

Expected<std::vector<Tensor>> Interpreter::run(const ir::Graph& g, const std::vector<Tensor>& inputs) const {
  return run_in_scope(g, inputs, nullptr);
}

Expected<std::vector<Tensor>> Interpreter::run_with_outer(
    const ir::Graph& g, const std::vector<Tensor>& inputs,
    std::function<const Tensor*(const std::string&)> outer) const {
  Scope root;
  root.outer = std::move(outer);
  return run_in_scope(g, inputs, &root);
}

Expected<std::vector<Tensor>> Interpreter::run_in_scope(const ir::Graph& g, const std::vector<Tensor>& inputs,
                                                        const Scope* parent) const {
  if (inputs.size() > g.inputs.size()) {
    return invalid_argument("graph '" + g.name + "' takes " + std::to_string(g.inputs.size()) +
                            " inputs, got " + std::to_string(inputs.size()));
  }
  Scope scope;
  scope.parent = parent;
  for (size_t i = 0; i < inputs.size(); ++i) scope.values[g.inputs[i]->name] = inputs[i];

  // Last reader of each value in this graph, so intermediate tensors are freed early.
  std::map<const ir::Value*, size_t> last_use;
  for (size_t i = 0; i < g.nodes().size(); ++i)
    for (const ir::Value* in : g.nodes()[i]->inputs)
      if (in) last_use[in] = i;
  for (size_t i = 0; i < g.nodes().size(); ++i) {
    std::vector<std::string> reads;
    for (const auto& [key, a] : g.nodes()[i]->attrs) {
      if (a.g) collect_reads(*a.g, reads);
      for (const auto& sub : a.graphs) collect_reads(*sub, reads);
    }
    for (const std::string& name : reads)
      if (const ir::Value* v = g.find_value(name)) last_use[v] = std::max(last_use[v], i);
  }
  for (const ir::Value* out : g.outputs) last_use[out] = g.nodes().size();

  auto lookup = [&](const ir::Value* v) -> const Tensor* {
    if (v->is_constant()) return &*v->constant;
    return scope.find(v->name);
  };

  Runner runner(*this, scope);
  for (size_t ni = 0; ni < g.nodes().size(); ++ni) {
    const ir::Node& node = *g.nodes()[ni];
    const ops::OpDef* def = ops::find_op(node.domain, node.op_type);
    if (!def || !def->reference) return unsupported(node.describe() + ": no reference kernel for this op");
    std::vector<const Tensor*> in;
    in.reserve(node.inputs.size());
    for (const ir::Value* v : node.inputs) {
      if (!v) {
        in.push_back(nullptr);
        continue;
      }
      const Tensor* t = lookup(v);
      if (!t) return internal_error(node.describe() + ": input '" + v->name + "' has no value at run time");
      in.push_back(t);
    }
    ops::RunContext ctx(node, in, &runner);
    Status st = def->reference(ctx);
    if (!st.is_ok()) return st;
    if (options_.check_shapes) KILN_RETURN_IF_ERROR(check_against_infer(node, *def, in, ctx.outputs()));
    for (size_t i = 0; i < node.outputs.size(); ++i) {
      const ir::Value* out = node.outputs[i];
      if (!out) continue;
      if (ctx.output(i).empty()) {
        return internal_error(node.describe() + ": the kernel did not produce output " + std::to_string(i) +
                              " '" + out->name + "'");
      }
      scope.values[out->name] = std::move(ctx.output(i));
    }
    for (const ir::Value* v : node.inputs) {
      if (!v || v->is_constant()) continue;
      auto it = last_use.find(v);
      if (it != last_use.end() && it->second == ni && v->producer) scope.values.erase(v->name);
    }
  }

  std::vector<Tensor> outputs;
  for (const ir::Value* out : g.outputs) {
    const Tensor* t = lookup(out);
    if (!t) return internal_error("graph output '" + out->name + "' was not computed");
    outputs.push_back(*t);
  }
  return outputs;
}

}  // namespace kiln::runtime
