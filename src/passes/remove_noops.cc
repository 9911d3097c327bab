// No-op removal. Each rule names the op types it targets and says, for a node, which value its
// output equals (then readers read that value instead) — or, for the chains, rewrites the node to
// skip its predecessor:
//   Identity; Dropout at inference with its mask unread; Cast to the input's type;
//   Reshape / Flatten / Squeeze / Unsqueeze / Expand to the input's shape; identity Transpose;
//   x + 0, 0 + x, x - 0, x * 1, 1 * x, x / 1 (constant splats that do not broadcast x);
//   Transpose -> Transpose that cancel; two view ops in a row (Reshape, Flatten, Squeeze,
//   Unsqueeze) become one Reshape of the original tensor.
#include <functional>
#include <numeric>

#include "passes/pattern.h"

namespace kiln::passes {
namespace {

ir::Value* identity(const Rewriter&, const ir::Node& n) { return n.inputs.empty() ? nullptr : n.inputs[0]; }

ir::Value* dropout(const Rewriter& rw, const ir::Node& n) {
  if (n.outputs.size() > 1 && n.outputs[1] &&
      (!rw.internal(n.outputs[1]) || !rw.readers(n.outputs[1]).empty()))
    return nullptr;
  if (n.opset >= 12 && n.has_input(2) && !is_splat(n.inputs[2], 0)) return nullptr;  // training mode
  return n.inputs[0];
}

ir::Value* same_type(const Rewriter&, const ir::Node& n) {
  const ir::Value* in = n.input(0);
  return in && in->dtype != DataType::kUndefined && in->dtype == n.outputs[0]->dtype ? n.inputs[0] : nullptr;
}

ir::Value* same_shape_and_type(const Rewriter& rw, const ir::Node& n) {
  return same_shape(n.input(0), n.outputs[0]) ? same_type(rw, n) : nullptr;
}

std::vector<int64_t> permutation(const ir::Node& n) {
  std::vector<int64_t> perm = n.attr_ints("perm");
  const ir::Value* x = n.input(0);
  if (perm.empty() && x && x->rank_known) {  // default: reverse the axes
    perm.resize(x->shape.size());
    std::iota(perm.rbegin(), perm.rend(), 0);
  }
  return perm;
}

bool is_identity_perm(const std::vector<int64_t>& p) {
  for (size_t i = 0; i < p.size(); ++i)
    if (p[i] != static_cast<int64_t>(i)) return false;
  return true;
}

ir::Value* transpose(const Rewriter&, const ir::Node& n) {
  const ir::Value* x = n.input(0);
  const std::vector<int64_t> q = permutation(n);
  if (!x || !x->rank_known || q.size() != x->shape.size()) return nullptr;
  if (is_identity_perm(q)) return n.inputs[0];
  // Transpose(p) then Transpose(q): output axis i is input axis p[q[i]].
  const ir::Node* first = x->producer;
  if (!is_op(first, "Transpose")) return nullptr;
  const std::vector<int64_t> p = permutation(*first);
  if (p.size() != q.size()) return nullptr;
  std::vector<int64_t> composed;
  for (int64_t a : q) composed.push_back(p[static_cast<size_t>(a)]);
  return is_identity_perm(composed) ? first->inputs[0] : nullptr;
}

// x op c == x when c is the identity element of op and broadcasting c leaves x's shape.
ir::Value* arithmetic_identity(const Rewriter&, const ir::Node& n) {
  if (n.inputs.size() != 2 || !n.inputs[0] || !n.inputs[1]) return nullptr;
  const bool add = is_op(&n, "Add"), mul = is_op(&n, "Mul");
  const double unit = add || is_op(&n, "Sub") ? 0.0 : 1.0;
  for (int side = 0; side < 2; ++side) {
    if (side == 0 && !add && !mul) continue;  // only x - 0 and x / 1, not 0 - x or 1 / x
    ir::Value* c = n.inputs[side];
    ir::Value* x = n.inputs[1 - side];
    if (is_splat(c, unit) && same_shape(x, n.outputs[0]) && x->dtype == n.outputs[0]->dtype) return x;
  }
  return nullptr;
}

// view_op2(view_op1(x)) == Reshape(x, shape of the result): the first only renamed the dims.
bool collapse_reshape(Rewriter& rw, ir::Node& n) {
  ir::Value* mid = n.inputs.empty() ? nullptr : n.inputs[0];
  const ir::Node* first = mid ? mid->producer : nullptr;
  if (!n.outputs[0]->shape_known() || !first || rw.erased(first) || first->inputs.empty() ||
      !first->inputs[0])
    return false;
  if (!(is_op(first, "Reshape") || is_op(first, "Flatten") || is_op(first, "Squeeze") ||
        is_op(first, "Unsqueeze")))
    return false;
  if (rw.graph().read_by_subgraph(mid) || n.opset < 5) return false;  // Reshape-1 took an attribute
  const Shape& s = n.outputs[0]->shape;
  if (std::find(s.begin(), s.end(), 0) != s.end()) return false;  // 0 would mean "copy the input dim"
  n.op_type = "Reshape";
  n.attrs.clear();
  n.inputs = {first->inputs[0],
              rw.add_constant(n.name + "_shape", Tensor::from_int64s({static_cast<int64_t>(s.size())}, s))};
  return true;
}

struct Rule {
  std::vector<std::string_view> ops;
  std::function<ir::Value*(const Rewriter&, const ir::Node&)> same_as;  // output 0 equals this value
  std::function<bool(Rewriter&, ir::Node&)> rewrite;                    // or: rewrite in place
};

const std::vector<Rule>& rules() {
  static const std::vector<Rule> r = {
      {{"Identity"}, identity, nullptr},
      {{"Dropout"}, dropout, nullptr},
      {{"Cast"}, same_type, nullptr},
      {{"Reshape", "Flatten", "Squeeze", "Unsqueeze", "Expand"}, same_shape_and_type, nullptr},
      {{"Transpose"}, transpose, nullptr},
      {{"Add", "Sub", "Mul", "Div"}, arithmetic_identity, nullptr},
      {{"Reshape", "Flatten", "Squeeze", "Unsqueeze"}, nullptr, collapse_reshape},
  };
  return r;
}

class RemoveNoops : public Pass {
 public:
  const char* name() const override { return "remove-noops"; }
  Expected<PassResult> run(ir::Graph& g) override {
    return sweep_until_done(g, [](Rewriter& rw) {
      int rewrites = 0;
      for (ir::Node* n : rw.nodes()) {
        if (n->outputs.empty() || !n->outputs[0]) continue;
        for (const Rule& rule : rules()) {
          if (std::find(rule.ops.begin(), rule.ops.end(), n->op_type) == rule.ops.end() ||
              !is_op(n, n->op_type))
            continue;
          if (rule.same_as) {
            ir::Value* src = rule.same_as(rw, *n);
            if (!src || !rw.forward(n->outputs[0], src)) continue;
            rw.erase(n);
          } else if (!rule.rewrite(rw, *n)) {
            continue;
          }
          ++rewrites;
          break;
        }
      }
      return rewrites;
    });
  }
};

}  // namespace

KILN_REGISTER_PASS(300, RemoveNoops);

}  // namespace kiln::passes
