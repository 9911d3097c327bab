// MaxPool over 2-D NCHW float tensors (no Indices output): cpu/kernels/maxpool.h.
#include "cpu/kernels/maxpool.h"
#include "cpu/tactic.h"
#include "cpu/tactics/conv_shape.h"
#include "ops/spatial.h"

namespace kiln::cpu {
namespace {

std::optional<Conv2dShape> pool_shape(const ir::Node& node) {
  const ir::Value *x = node.input(0), *y = node.outputs.empty() ? nullptr : node.outputs[0];
  if (!is_static_f32(x) || !is_static_f32(y) || x->shape.size() != 4) return std::nullopt;
  if (node.outputs.size() > 1 && node.outputs[1]) return std::nullopt;  // Indices wanted
  auto w = ops::read_window(node, 2, {});
  if (!w) return std::nullopt;
  ops::Window win = *w;
  auto dims =
      ops::forward_output_dims(node, {x->shape[2], x->shape[3]}, node.attr_int("ceil_mode", 0) != 0, win);
  if (!dims || *dims != Shape{y->shape[2], y->shape[3]}) return std::nullopt;
  const Conv2dShape s =
      pool2d_of(x->shape[0], x->shape[1], x->shape[2], x->shape[3], y->shape[2], y->shape[3], win);
  if (s.pad_top < 0 || s.pad_left < 0 || y->shape[0] != s.batch || y->shape[1] != s.out_c)
    return std::nullopt;
  return s;
}

bool supports(const ir::Node& node, Isa isa) { return maxpool_kernel(isa) && pool_shape(node).has_value(); }
Status prepare(const ir::Node& node, Isa, std::vector<Tensor>&, std::vector<int64_t>& params) {
  params = conv_params(*pool_shape(node));  // derived once; run() reads the parameters
  return Status::ok();
}
int64_t workspace(const ir::Node& node, Isa, int threads) {
  return maxpool_plane_floats(*pool_shape(node)) * threads;
}
Status run(const TacticArgs& a) {
  maxpool_kernel(a.isa)->run(a.pool, conv_from_params(a.params), a.inputs[0]->data<float>(),
                             a.outputs[0]->data<float>(), a.scratch);
  return Status::ok();
}
bool check(const ir::Node& node, Isa, std::span<const Tensor* const> prepared,
           std::span<const int64_t> params) {
  return prepared.empty() && conv_params_match(pool_shape(node), params);
}

}  // namespace

KILN_REGISTER_TACTIC({"maxpool.avx512", "MaxPool", "", Isa::kAvx512, supports, prepare, workspace, run,
                      check});
KILN_REGISTER_TACTIC({"maxpool.avx2", "MaxPool", "", Isa::kAvx2, supports, prepare, workspace, run, check});

}  // namespace kiln::cpu
