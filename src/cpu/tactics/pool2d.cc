// MaxPool (no Indices output) and AveragePool over 2-D NCHW float tensors: cpu/kernels/pool2d.h.
#include "cpu/kernels/pool2d.h"
#include "cpu/tactic.h"
#include "cpu/tactics/conv_shape.h"
#include "ops/spatial.h"

namespace kiln::cpu {
namespace {

// The step's parameters: the window's geometry (conv_params), then the PoolKind and the end pads.
std::optional<std::vector<int64_t>> pool_params(const ir::Node& node) {
  const ir::Value *x = node.input(0), *y = node.outputs.empty() ? nullptr : node.outputs[0];
  if (!is_static_f32(x) || !is_static_f32(y) || x->shape.size() != 4) return std::nullopt;
  if (node.outputs.size() > 1 && node.outputs[1]) return std::nullopt;  // Indices wanted
  auto w = ops::read_window(node, 2, {});
  if (!w) return std::nullopt;
  ops::Window win = *w;
  auto dims =
      ops::forward_output_dims(node, {x->shape[2], x->shape[3]}, node.attr_int("ceil_mode", 0) != 0, win);
  if (!dims || *dims != Shape{y->shape[2], y->shape[3]} || win.pads.size() != 4) return std::nullopt;
  const Conv2dShape s =
      pool2d_of(x->shape[0], x->shape[1], x->shape[2], x->shape[3], y->shape[2], y->shape[3], win);
  if (s.pad_top < 0 || s.pad_left < 0 || win.pads[2] < 0 || win.pads[3] < 0 || y->shape[0] != s.batch ||
      y->shape[1] != s.out_c)
    return std::nullopt;
  PoolKind kind = PoolKind::kMax;
  if (node.op_type == "AveragePool")
    kind = node.attr_int("count_include_pad", 0) != 0 ? PoolKind::kAverageIncludePad : PoolKind::kAverage;
  std::vector<int64_t> p = conv_params(s);
  p.insert(p.end(), {static_cast<int64_t>(kind), win.pads[2], win.pads[3]});
  return p;
}

bool supports(const ir::Node& node, Isa isa) { return pool2d_kernel(isa) && pool_params(node).has_value(); }

using Params = ParamsOnly<pool_params>;

int64_t workspace(const ir::Node& node, Isa, int threads) {
  return pool2d_scratch_floats(conv_from_params(*pool_params(node))) * threads;
}

Status run(const TacticArgs& a) {
  const size_t n = a.params.size();
  pool2d_kernel(a.isa)->run(a.pool, conv_from_params(a.params), static_cast<PoolKind>(a.params[n - 3]),
                            a.params[n - 2], a.params[n - 1], a.inputs[0]->data<float>(),
                            a.outputs[0]->data<float>(), a.scratch);
  return Status::ok();
}

}  // namespace

#define KILN_POOL(op, isa, name) \
  KILN_REGISTER_TACTIC({name, op, "", isa, supports, Params::prepare, workspace, run, Params::check})
KILN_POOL("MaxPool", Isa::kAvx512, "maxpool.avx512");
KILN_POOL("MaxPool", Isa::kAvx2, "maxpool.avx2");
KILN_POOL("AveragePool", Isa::kAvx512, "averagepool.avx512");
KILN_POOL("AveragePool", Isa::kAvx2, "averagepool.avx2");

}  // namespace kiln::cpu
