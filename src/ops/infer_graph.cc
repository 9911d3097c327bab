#include "ops/infer_graph.h"

#include "ops/op.h"

namespace kiln::ops {

Status infer_graph(ir::Graph& g) {
  for (const auto& node : g.nodes()) {
    const OpDef* def = find_op(node->domain, node->op_type);
    if (!def || !def->infer) {
      return unsupported(node->describe() + ": op has no shape inference");
    }
    std::vector<TensorType> in;
    std::vector<const Tensor*> values;
    for (const ir::Value* v : node->inputs) {
      if (!v) {
        in.push_back({});
        values.push_back(nullptr);
        continue;
      }
      in.push_back({v->dtype, v->shape, v->rank_known, v->is_sequence});
      values.push_back(v->is_constant() ? &*v->constant : nullptr);
    }
    InferContext ctx(*node, std::move(in), std::move(values));
    Status st = def->infer(ctx);
    if (!st.is_ok()) return st;
    for (size_t i = 0; i < node->outputs.size(); ++i) {
      ir::Value* out = node->outputs[i];
      if (!out) continue;
      const TensorType& t = ctx.outputs[i];
      if (t.dtype != DataType::kUndefined) out->dtype = t.dtype;
      out->rank_known = t.rank_known;
      out->is_sequence = t.is_sequence;
      out->shape = t.rank_known ? t.shape : Shape{};
    }
  }
  return Status::ok();
}

}  // namespace kiln::ops
