// Layer normalization written out in elementwise ops (PP-OCRv4 rec, many transformer exports)
// -> one LayerNormalization node (opset 17):
//   mean = ReduceMean(x, trailing axes)   d = x - mean       var = ReduceMean(d^2)  (Pow 2 or d * d)
//   y = d / Sqrt(var + eps)  [* gamma]  [+ beta]             gamma, beta constant
// Every intermediate must be read only inside the pattern (d by the square and the Div).
#include <algorithm>

#include "ops/util.h"
#include "passes/pattern.h"

namespace kiln::passes {
namespace {

// The first normalized axis when n is ReduceMean over the trailing axes of its rank-r input
// with keepdims; -1 otherwise.
int64_t trailing_reduce_axis(const ir::Node* n) {
  if (!is_op(n, "ReduceMean") || n->attr_int("keepdims", 1) == 0 || !n->inputs[0]->rank_known) return -1;
  const int64_t rank = static_cast<int64_t>(n->inputs[0]->shape.size());
  std::vector<int64_t> axes = n->attr_ints("axes");
  if (n->opset >= 18) {
    const Tensor* t = constant_of(n->input(1));
    if (!t) return -1;
    axes = t->to_int64_vector();
  }
  if (axes.empty()) return -1;
  for (int64_t& a : axes) a = a < 0 ? a + rank : a;
  std::sort(axes.begin(), axes.end());
  for (size_t i = 0; i < axes.size(); ++i)
    if (axes[i] != rank - static_cast<int64_t>(axes.size() - i)) return -1;
  return axes.front();
}

// gamma or beta as a tensor of the normalized shape, when `c` broadcasts only over those axes.
std::optional<Tensor> affine_param(const ir::Value* c, const Shape& x_shape, int64_t axis) {
  const Tensor* t = constant_of(c);
  const int64_t rank = static_cast<int64_t>(x_shape.size());
  if (!t || t->rank() > rank) return std::nullopt;
  for (int64_t d = 0; d < t->rank(); ++d) {  // dims before the normalized axes must be 1
    if (rank - t->rank() + d < axis && t->dim(d) != 1) return std::nullopt;
  }
  const Shape norm(x_shape.begin() + axis, x_shape.end());
  Shape aligned(norm.size(), 1);
  for (int64_t d = 0; d < t->rank(); ++d) {
    const int64_t pos = rank - t->rank() + d - axis;
    if (pos >= 0) aligned[pos] = t->dim(d);
  }
  for (size_t d = 0; d < norm.size(); ++d)
    if (aligned[d] != 1 && aligned[d] != norm[d]) return std::nullopt;
  const std::vector<int64_t> at = ops::broadcast_offsets(aligned, norm);
  std::vector<double> v(at.size());
  for (size_t i = 0; i < at.size(); ++i) v[i] = t->as_double(at[i]);
  return Tensor::from_doubles(t->dtype(), norm, v);
}

bool fuse(Rewriter& rw, ir::Node* mean) {
  const int64_t axis = trailing_reduce_axis(mean);
  ir::Value* x = mean->inputs[0];
  if (axis < 0 || !x->shape_known() || x->dtype != DataType::kFloat32) return false;
  ir::Node* sub = rw.sole_reader(mean->outputs[0]);
  if (!is_op(sub, "Sub") || sub->inputs[0] != x || sub->inputs[1] != mean->outputs[0]) return false;
  ir::Value* d = sub->outputs[0];
  auto readers = rw.readers(d);
  if (!rw.internal(d) || readers.size() != 2) return false;
  ir::Node* sq = is_op(readers[0], "Div") ? readers[1] : readers[0];
  ir::Node* div = sq == readers[0] ? readers[1] : readers[0];
  const bool pow2 = is_op(sq, "Pow") && sq->inputs[0] == d && is_splat(sq->inputs[1], 2.0);
  const bool mul2 = is_op(sq, "Mul") && sq->inputs.size() == 2 && sq->inputs[0] == d && sq->inputs[1] == d;
  if (!(pow2 || mul2) || !is_op(div, "Div") || div->inputs[0] != d) return false;
  ir::Node* var = rw.sole_reader(sq->outputs[0]);
  if (trailing_reduce_axis(var) != axis) return false;
  ir::Node* add = rw.sole_reader(var->outputs[0]);
  const ir::Value* eps = other_input(add, var->outputs[0]);
  auto eps_value = splat_value(eps);
  if (!is_op(add, "Add") || !eps_value || constant_of(eps)->numel() != 1) return false;
  ir::Node* sqrt = rw.sole_reader(add->outputs[0]);
  if (!is_op(sqrt, "Sqrt") || rw.sole_reader(sqrt->outputs[0]) != div || div->inputs[1] != sqrt->outputs[0])
    return false;
  std::vector<ir::Node*> pattern = {mean, sub, sq, var, add, sqrt, div};
  // Optional affine tail: * gamma, then + beta.
  std::optional<Tensor> gamma, beta;
  ir::Node* tail = div;
  ir::Node* mul = rw.sole_reader(tail->outputs[0]);
  if (is_op(mul, "Mul") && same_shape(mul->outputs[0], x) &&
      (gamma = affine_param(other_input(mul, tail->outputs[0]), x->shape, axis))) {
    pattern.push_back(tail = mul);
  }
  ir::Node* plus = rw.sole_reader(tail->outputs[0]);
  if (is_op(plus, "Add") && same_shape(plus->outputs[0], x) &&
      (beta = affine_param(other_input(plus, tail->outputs[0]), x->shape, axis))) {
    pattern.push_back(tail = plus);
  }
  const Shape norm(x->shape.begin() + axis, x->shape.end());
  if (!gamma) gamma = Tensor::from_doubles(x->dtype, norm, std::vector<double>(shape_numel(norm), 1.0));
  auto ln = std::make_unique<ir::Node>();
  ln->name = mean->name + "_layer_norm";
  ln->op_type = "LayerNormalization";
  ln->opset = 17;
  ln->inputs = {x, rw.add_constant(ln->name + "_scale", *gamma)};
  if (beta) ln->inputs.push_back(rw.add_constant(ln->name + "_bias", *beta));
  set_attr(ln.get(), "axis", axis);
  set_attr(ln.get(), "epsilon", static_cast<float>(*eps_value));
  ln->outputs = {tail->outputs[0]};
  add_fused(ln.get(), pattern);
  for (ir::Node* n : pattern) rw.erase(n);
  rw.add_node(std::move(ln), tail);
  return true;
}

class FuseLayerNorm : public Pass {
 public:
  const char* name() const override { return "fuse-layer-norm"; }
  Expected<PassResult> run(ir::Graph& g) override {
    return sweep_until_done(g, [](Rewriter& rw) {
      int rewrites = 0;
      for (ir::Node* n : rw.nodes())
        if (!rw.erased(n) && is_op(n, "ReduceMean") && fuse(rw, n)) ++rewrites;
      return rewrites;
    });
  }
};

}  // namespace

KILN_REGISTER_PASS(540, FuseLayerNorm);

}  // namespace kiln::passes
