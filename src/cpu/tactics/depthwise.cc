// Depthwise Conv and kiln.FusedConv (group == input channels == output channels): the direct
// kernel of cpu/kernels/depthwise.h, any kernel size, stride and dilation, epilogue fused.
#include "cpu/kernels/depthwise.h"
#include "cpu/tactic.h"
#include "cpu/tactics/conv_shape.h"
#include "cpu/tactics/fused.h"

namespace kiln::cpu {
namespace {

bool supports(const ir::Node& node, Isa isa) {
  auto s = conv_shape(node);
  if (!s || !depthwise_kernel(isa)) return false;
  if (!s->depthwise()) return false;
  return epilogue_supported(node, s->out_c);
}

Status prepare(const ir::Node& node, Isa, std::vector<Tensor>&, std::vector<int64_t>& params) {
  params = conv_params(*conv_shape(node));
  return Status::ok();
}

int64_t workspace(const ir::Node& node, Isa isa, int threads) {
  return depthwise_plane_floats(*conv_shape(node)) * threads;
}

Status run(const TacticArgs& a) {
  const Conv2dShape s = conv_from_params(a.params);
  Epilogue ep = a.epilogue;
  if (a.inputs.size() > 2 && a.inputs[2]) ep.bias_row = a.inputs[2]->data<float>();
  if (a.inputs.size() > 3 && a.inputs[3]) ep.residual = a.inputs[3]->data<float>();
  depthwise_kernel(a.isa)->run(a.pool, s, a.inputs[0]->data<float>(), a.inputs[1]->data<float>(),
                               a.outputs[0]->data<float>(), ep, a.scratch);
  return Status::ok();
}

bool check(const ir::Node& node, Isa, std::span<const Tensor* const> prepared,
           std::span<const int64_t> params) {
  return prepared.empty() && conv_params_match(conv_shape(node), params);
}

}  // namespace

#define KILN_DEPTHWISE(op, domain, isa, suffix) \
  KILN_REGISTER_TACTIC(                         \
      {"conv2d.depthwise." suffix, op, domain, isa, supports, prepare, workspace, run, check})
KILN_DEPTHWISE("Conv", "", Isa::kAvx512, "avx512");
KILN_DEPTHWISE("Conv", "", Isa::kAvx2, "avx2");
KILN_DEPTHWISE("FusedConv", "kiln", Isa::kAvx512, "avx512");
KILN_DEPTHWISE("FusedConv", "kiln", Isa::kAvx2, "avx2");

}  // namespace kiln::cpu
