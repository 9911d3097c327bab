// MatMul + Add(constant bias along the last axis) -> one node:
//   2-D A and constant 2-D B   Gemm(A, B, bias)
//   otherwise (batched, N-D)   kiln.FusedMatMul(A, B, bias), which adds the bias itself
// The Add must read the MatMul's output only and leave its shape unchanged.
#include "ops/fused_layer.h"
#include "passes/pattern.h"

namespace kiln::passes {
namespace {

// The bias as a constant of shape [N] (or [1] for a scalar), when `c` is one.
ir::Value* bias_vector(Rewriter& rw, ir::Value* c, const ir::Value* y, const std::string& hint) {
  const Tensor* t = constant_of(c);
  if (!t || !y->shape_known() || y->shape.empty() || t->dtype() != y->dtype) return nullptr;
  const int64_t n = y->shape.back();
  if (t->rank() > static_cast<int64_t>(y->shape.size()) || (t->numel() != 1 && t->numel() != n))
    return nullptr;
  if (t->numel() == n && n > 1 && t->dim(t->rank() - 1) != n) return nullptr;
  if (t->rank() == 1) return c;
  return rw.add_constant(hint, t->reshaped({t->numel()}));
}

bool fuse(Rewriter& rw, ir::Node* mm) {
  ir::Value* y = mm->outputs.empty() ? nullptr : mm->outputs[0];
  if (!y || mm->inputs.size() != 2 || !mm->inputs[0] || !mm->inputs[1] || !dtype_is_float(y->dtype))
    return false;
  ir::Node* add = rw.sole_reader(y);
  if (!is_op(add, "Add") || add->inputs.size() != 2 || !same_shape(y, add->outputs[0])) return false;
  ir::Value* bias = bias_vector(rw, other_input(add, y), y, mm->name + "_bias");
  if (!bias) return false;
  const ir::Value* a = mm->inputs[0];
  const ir::Value* b = mm->inputs[1];
  const bool gemm = a->rank_known && a->shape.size() == 2 && b->is_constant() && b->shape.size() == 2;
  if (gemm) {
    mm->op_type = "Gemm";
    add_fused(mm, {"MatMul"});
  } else {
    mm->op_type = ops::kFusedPrefix + mm->op_type;
    mm->domain = "kiln";
    rw.graph().opsets.emplace("kiln", 1);
  }
  mm->inputs.push_back(bias);
  add_fused(mm, {"Add"});
  rw.absorb(mm, add);
  return true;
}

class FuseMatMulAdd : public Pass {
 public:
  const char* name() const override { return "fuse-matmul-add"; }
  Expected<PassResult> run(ir::Graph& g) override {
    return sweep_until_done(g, [](Rewriter& rw) {
      int rewrites = 0;
      for (ir::Node* n : rw.nodes())
        if (is_op(n, "MatMul") && fuse(rw, n)) ++rewrites;
      return rewrites;
    });
  }
};

}  // namespace

KILN_REGISTER_PASS(500, FuseMatMulAdd);

}  // namespace kiln::passes
