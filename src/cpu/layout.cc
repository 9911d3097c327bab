#include "cpu/layout.h"

#include <map>
#include <set>

#include "cpu/kernels/blocked_conv.h"
#include "cpu/tactic.h"
#include "cpu/tactics/conv_shape.h"
#include "cpu/tactics/fused.h"
#include "ops/blocked_layout.h"
#include "ops/infer_graph.h"

namespace kiln::cpu {
namespace {

// Padding a block costs at most half again the real channels.
bool fits_blocks(int64_t c, int64_t b) { return c > 0 && 2 * ((c + b - 1) / b) * b <= 3 * c; }

bool blockable_conv(const ir::Node& n, int64_t b) {
  if (!((n.op_type == "Conv" && n.domain.empty()) || (n.op_type == "FusedConv" && n.domain == "kiln"))) return false;
  auto s = conv_shape(n);
  if (!s) return false;
  const bool depthwise = s->group == s->in_c && s->group == s->out_c && s->group > 1;
  if (s->group != 1 && !depthwise) return false;
  return fits_blocks(s->in_c, b) && fits_blocks(s->out_c, b) && epilogue_supported(n, s->out_c);
}

bool is_follower_op(const ir::Node& n) {
  static const std::set<std::string> kBinary = {"Add", "Sub", "Mul", "Max", "Min"};
  static const std::set<std::string> kUnary = {"Relu",        "Clip",     "Sigmoid",  "Tanh",
                                               "LeakyRelu",   "HardSigmoid", "HardSwish"};
  return n.domain.empty() && (kBinary.count(n.op_type) || kUnary.count(n.op_type) || n.op_type == "Concat");
}

// The inputs of a node that carry activations in its layout (the others: weights, Clip bounds).
std::vector<size_t> activation_inputs(const ir::Node& n) {
  if (n.op_type == "Clip") return {0};
  if (n.op_type == "BlockedConv" || n.op_type == "FusedConv" || n.op_type == "Conv") {
    std::vector<size_t> in{0};
    if (n.domain == "kiln" && n.input(3)) in.push_back(3);
    return in;
  }
  std::vector<size_t> in;
  for (size_t i = 0; i < n.inputs.size(); ++i) in.push_back(i);
  return in;
}

// A follower whose every activation input is blocked, of the output's shape, and whose
// arithmetic keeps padding lanes finite.
bool blockable_follower(const ir::Node& n, int64_t b, const std::set<const ir::Value*>& blocked) {
  if (!is_follower_op(n) || n.outputs.size() != 1 || !is_static_f32(n.outputs[0])) return false;
  const ir::Value* y = n.outputs[0];
  if (y->shape.size() != 4) return false;
  if (n.op_type == "Concat") {
    int64_t axis = n.attr_int("axis", 0);
    if (axis < 0) axis += 4;
    if (axis != 1) return false;
    for (const ir::Value* v : n.inputs)
      if (!v || !blocked.count(v) || v->shape.size() != 4 || v->shape[1] % b != 0) return false;
    return true;
  }
  for (size_t i : activation_inputs(n)) {
    const ir::Value* v = n.input(i);
    if (!v || !blocked.count(v) || v->shape != y->shape) return false;
  }
  if (n.op_type == "Clip") {
    for (size_t i = 1; i < n.inputs.size(); ++i)
      if (n.inputs[i] && !n.inputs[i]->is_constant()) return false;
  }
  return true;
}

std::unique_ptr<ir::Node> reorder_node(const char* op, const std::string& name, ir::Value* in,
                                       ir::Value* out, const char* attr, int64_t value) {
  auto n = std::make_unique<ir::Node>();
  n->op_type = op;
  n->domain = "kiln";
  n->opset = 1;
  n->name = name;
  n->inputs = {in};
  n->outputs = {out};
  ir::Attribute a;
  a.kind = ir::Attribute::Kind::kInt;
  a.i = value;
  n->attrs[attr] = a;
  return n;
}

}  // namespace

Expected<LayoutResult> apply_blocked_layout(ir::Graph& g, Isa isa) {
  LayoutResult result;
  const BlockedConvKernel* kernel = isa == Isa::kGeneric ? nullptr : blocked_conv_kernel(isa);
  if (!kernel) return result;
  const int64_t b = kernel->block;
  if (!g.opsets.count("kiln")) g.opsets["kiln"] = 1;

  // Which layers go blocked (graph order is a schedule: producers first).
  std::set<const ir::Node*> chosen;
  std::set<const ir::Value*> blocked_values;
  for (const auto& n : g.nodes()) {
    const bool conv = blockable_conv(*n, b);
    if (!conv && !blockable_follower(*n, b, blocked_values)) continue;
    if (g.read_by_subgraph(n->outputs[0])) continue;
    chosen.insert(n.get());
    blocked_values.insert(n->outputs[0]);
  }
  if (chosen.empty()) return result;

  std::map<const ir::Value*, ir::Value*> twin;  // planar value -> its blocked value
  std::vector<ir::Node*> order;
  std::vector<std::pair<ir::Value*, ir::Value*>> produced;  // (planar name, blocked value)
  for (const auto& n : g.nodes())
    if (chosen.count(n.get())) order.push_back(n.get());
  for (ir::Node* n : order) {
    for (size_t i : activation_inputs(*n)) {
      ir::Value* v = n->inputs[i];
      if (!v) continue;
      auto it = twin.find(v);
      if (it == twin.end()) {  // a planar value enters a blocked run
        ir::Value* vb = g.create_value(v->name + "_blocked");
        g.insert_node(reorder_node(ops::kToBlocked, v->name + "_to_blocked", v, vb, "block", b), n);
        it = twin.emplace(v, vb).first;
        ++result.reorders;
      }
      n->inputs[i] = it->second;
    }
    ir::Value* y = n->outputs[0];
    ir::Value* yb = g.create_value(y->name + "_blocked");
    n->outputs[0] = yb;
    twin[y] = yb;
    produced.emplace_back(y, yb);
    if (n->op_type == "Conv" || n->op_type == "FusedConv") {
      n->op_type = ops::kBlockedConv;
      n->domain = "kiln";
      n->opset = 1;
      ir::Attribute a;
      a.kind = ir::Attribute::Kind::kInt;
      a.i = b;
      n->attrs["block"] = a;
    } else if (n->op_type == "Concat") {
      n->attrs["axis"].kind = ir::Attribute::Kind::kInt;
      n->attrs["axis"].i = 1;
    }
    ++result.blocked;
  }
  g.relink();
  // Blocked values that planar layers (or the graph's outputs) still read leave through ToPlanar,
  // placed before their first planar reader.
  for (auto [y, yb] : produced) {
    const std::vector<ir::Node*> readers = g.consumers(y);
    if (readers.empty() && !g.is_output(y)) continue;
    const ir::Node* first = nullptr;
    for (const auto& m : g.nodes()) {
      for (ir::Node* r : readers)
        if (r == m.get()) first = r;
      if (first) break;
    }
    g.insert_node(reorder_node(ops::kToPlanar, y->name + "_to_planar", yb, y, "channels", y->shape[1]), first);
    ++result.reorders;
  }
  g.relink();
  KILN_RETURN_IF_ERROR(ir::verify(g));
  KILN_RETURN_IF_ERROR(ops::infer_graph(g));
  return result;
}

}  // namespace kiln::cpu
