// 3x3 stride-1 Conv / kiln.FusedConv by Winograd F(2x2, 3x3) and F(4x4, 3x3)
// (cpu/kernels/winograd.h), the transformed weights packed at build time.
#include "cpu/kernels/winograd.h"
#include "cpu/tactic.h"
#include "cpu/tactics/conv_shape.h"
#include "cpu/tactics/fused.h"

namespace kiln::cpu {
namespace {

template <int M>
bool supports(const ir::Node& node, Isa isa) {
  auto s = conv_shape(node);
  if (!s || !winograd_applies(*s) || !gemm_ukernel(isa) || !winograd_kernel(isa, M)) return false;
  return epilogue_supported(node, s->out_c);
}

template <int M>
Status prepare(const ir::Node& node, Isa isa, std::vector<Tensor>& prepared, std::vector<int64_t>& params) {
  const Conv2dShape s = *conv_shape(node);
  const GemmUkernel& uk = *gemm_ukernel(isa);
  Tensor packed(DataType::kFloat32, {winograd_packed_weights_floats(uk, s, M)});
  winograd_pack_weights(uk, s, M, node.input(1)->constant->data<float>(), packed.data<float>());
  prepared.push_back(std::move(packed));
  params = conv_params(s);
  return Status::ok();
}

template <int M>
int64_t workspace(const ir::Node& node, Isa isa, int threads) {
  return winograd_scratch_floats(*gemm_ukernel(isa), *conv_shape(node), M, threads);
}

template <int M>
Status run(const TacticArgs& a) {
  const Conv2dShape s = conv_from_params(a.params);
  Epilogue ep = a.epilogue;
  if (a.inputs.size() > 2 && a.inputs[2]) ep.bias_row = a.inputs[2]->data<float>();
  if (a.inputs.size() > 3 && a.inputs[3]) ep.residual = a.inputs[3]->data<float>();
  winograd_kernel(a.isa, M)->run(*gemm_ukernel(a.isa), a.pool, s, a.inputs[0]->data<float>(),
                                 a.prepared[0]->data<float>(), a.outputs[0]->data<float>(), ep, a.scratch);
  return Status::ok();
}

template <int M>
bool check(const ir::Node& node, Isa isa, std::span<const Tensor* const> prepared,
           std::span<const int64_t> params) {
  const auto s = conv_shape(node);
  return conv_params_match(s, params) && prepared.size() == 1 &&
         prepared[0]->numel() == winograd_packed_weights_floats(*gemm_ukernel(isa), *s, M);
}

}  // namespace

// Not the heuristic's first choice: on this planar layout the transforms cost more than the
// multiplies they save (measured slower than the implicit-im2col GEMM on ResNet-50's layers); the
// blocked Winograd (tactics/blocked.cc) is the one that pays.
#define KILN_WINOGRAD(op, domain, isa, m, name) \
  KILN_REGISTER_TACTIC(                         \
      {name, op, domain, isa, supports<m>, prepare<m>, workspace<m>, run<m>, check<m>, -1, 0b010})
KILN_WINOGRAD("Conv", "", Isa::kAvx512, 4, "conv2d.winograd4x4.avx512");
KILN_WINOGRAD("Conv", "", Isa::kAvx512, 2, "conv2d.winograd2x2.avx512");
KILN_WINOGRAD("Conv", "", Isa::kAvx2, 4, "conv2d.winograd4x4.avx2");
KILN_WINOGRAD("FusedConv", "kiln", Isa::kAvx512, 4, "conv2d.winograd4x4.avx512");
KILN_WINOGRAD("FusedConv", "kiln", Isa::kAvx512, 2, "conv2d.winograd2x2.avx512");
KILN_WINOGRAD("FusedConv", "kiln", Isa::kAvx2, 4, "conv2d.winograd4x4.avx2");

}  // namespace kiln::cpu
