// Tactics of the blocked layout (ops/blocked_layout.h, cpu/kernels/blocked_conv.h): kiln.BlockedConv
// by the direct or the depthwise kernel, and the reorders kiln.ToBlocked / kiln.ToPlanar. Each
// tactic serves the block size of its ISA (16 on AVX-512, 8 on AVX2).
#include "cpu/amx.h"
#include "cpu/kernels/blocked_amx.h"
#include "cpu/kernels/blocked_conv.h"
#include "cpu/kernels/blocked_winograd.h"
#include "cpu/tactic.h"
#include "cpu/tactics/conv_shape.h"
#include "cpu/tactics/fused.h"
#include "ops/blocked_layout.h"
#include "ops/conv_kernel.h"
#include "ops/spatial.h"

namespace kiln::cpu {
namespace {

std::optional<Conv2dShape> blocked_conv_shape(const ir::Node& node) {
  const ir::Value *x = node.input(0), *w = node.input(1),
                  *y = node.outputs.empty() ? nullptr : node.outputs[0];
  if (!is_static_f32(x) || !is_const_f32(w) || !is_static_f32(y) ||
      (x->shape.size() != 5 && x->shape.size() != 4) || w->constant->shape().size() != 4)
    return std::nullopt;
  const int64_t b = node.attr_int("block", 0), cin = w->constant->shape()[1] * node.attr_int("group", 1);
  if (cin <= 0) return std::nullopt;  // no input channel: no pass over K would write the output
  const bool planar = x->shape.size() == 4;
  if (!planar && (x->shape[4] != b || x->shape[1] != (cin + b - 1) / b)) return std::nullopt;
  auto setup =
      ops::conv_setup(node, planar ? x->shape : ops::planar_shape(x->shape, cin), w->constant->shape());
  if (!setup || ops::blocked_shape(setup->out_shape, b) != y->shape) return std::nullopt;
  return conv2d_of(*setup);
}

// The step's epilogue with the residual (kiln.BlockedConv's input 3) it adds, if any.
Epilogue with_residual(const TacticArgs& a) {
  Epilogue ep = a.epilogue;
  if (a.inputs.size() > 3 && a.inputs[3]) ep.residual = a.inputs[3]->data<float>();
  return ep;
}

// The first layer of a network reads its image planar (ops/blocked_layout.h).
bool planar_input(const ir::Node& node) { return node.input(0)->shape.size() == 4; }

// Step parameters: the geometry, then 1 for a planar input.
std::vector<int64_t> step_params(const ir::Node& node, const Conv2dShape& s) {
  std::vector<int64_t> p = conv_params(s);
  p.push_back(planar_input(node) ? 1 : 0);
  return p;
}

template <bool kDepthwise>
bool supports_conv(const ir::Node& node, Isa isa) {
  const BlockedConvKernel* k = blocked_conv_kernel(isa);
  auto s = blocked_conv_shape(node);
  if (!k || !s || node.attr_int("block", 0) != k->block) return false;
  if (kDepthwise ? !s->depthwise() || planar_input(node) : s->group != 1) return false;
  return epilogue_supported(node, s->out_c);
}

int64_t packed_floats(bool depthwise, const BlockedConvKernel& k, const Conv2dShape& s, bool planar) {
  return depthwise ? blocked_depthwise_packed_floats(k, s) : blocked_direct_packed_floats(k, s, planar);
}

template <bool kDepthwise>
Status prepare_conv(const ir::Node& node, Isa isa, std::vector<Tensor>& prepared,
                    std::vector<int64_t>& params) {
  const Conv2dShape s = *blocked_conv_shape(node);
  const BlockedConvKernel& k = *blocked_conv_kernel(isa);
  const float* bias = node.input(2) ? node.input(2)->constant->data<float>() : nullptr;
  const bool planar = planar_input(node);
  Tensor packed(DataType::kFloat32, {packed_floats(kDepthwise, k, s, planar)});
  if (kDepthwise) {
    blocked_depthwise_pack(k, s, node.input(1)->constant->data<float>(), bias, packed.data<float>());
  } else {
    blocked_direct_pack(k, s, planar, node.input(1)->constant->data<float>(), bias, packed.data<float>());
  }
  prepared.push_back(std::move(packed));
  params = step_params(node, s);
  return Status::ok();
}

template <bool kDepthwise>
Status run_conv(const TacticArgs& a) {
  const Conv2dShape s = conv_from_params(a.params);
  const Epilogue ep = with_residual(a);
  const BlockedConvKernel& k = *blocked_conv_kernel(a.isa);
  if (kDepthwise) {
    k.depthwise(a.pool, s, a.inputs[0]->data<float>(), a.prepared[0]->data<float>(),
                a.outputs[0]->data<float>(), ep);
  } else {
    k.direct(a.pool, s, a.params[16] != 0, a.inputs[0]->data<float>(), a.prepared[0]->data<float>(),
             a.outputs[0]->data<float>(), ep, a.scratch);
  }
  return Status::ok();
}

template <bool kDepthwise>
int64_t workspace_conv(const ir::Node& node, Isa isa, int) {
  if (kDepthwise) return 0;
  return blocked_conv_kernel(isa)->direct_scratch_floats(*blocked_conv_shape(node), planar_input(node));
}

template <bool kDepthwise>
bool check_conv(const ir::Node& node, Isa isa, std::span<const Tensor* const> prepared,
                std::span<const int64_t> params) {
  const auto s = blocked_conv_shape(node);
  if (!s) return false;
  const std::vector<int64_t> want = step_params(node, *s);
  return std::equal(want.begin(), want.end(), params.begin(), params.end()) && prepared.size() == 1 &&
         prepared[0]->dtype() == DataType::kFloat32 &&
         prepared[0]->numel() == packed_floats(kDepthwise, *blocked_conv_kernel(isa), *s, planar_input(node));
}

// ---- the quad kernel: 1x1, unpadded, four input channels per broadcast ---------------------

bool supports_quad(const ir::Node& node, Isa isa) {
  if (!supports_conv<false>(node, isa) || !blocked_conv_kernel(isa)->direct_quad || planar_input(node))
    return false;
  // 1x1, unpadded (every output pixel's input inside the plane: the direct plan's flat tiles).
  const Conv2dShape s = *blocked_conv_shape(node);
  return s.kh == 1 && s.kw == 1 && s.pad_top == 0 && s.pad_left == 0 && (s.out_h - 1) * s.sh < s.in_h &&
         (s.out_w - 1) * s.sw < s.in_w;
}

Status prepare_quad(const ir::Node& node, Isa isa, std::vector<Tensor>& prepared,
                    std::vector<int64_t>& params) {
  const Conv2dShape s = *blocked_conv_shape(node);
  const BlockedConvKernel& k = *blocked_conv_kernel(isa);
  Tensor packed(DataType::kFloat32, {blocked_direct_packed_floats(k, s, false)});
  blocked_quad_pack(k, s, node.input(1)->constant->data<float>(),
                    node.input(2) ? node.input(2)->constant->data<float>() : nullptr, packed.data<float>());
  prepared.push_back(std::move(packed));
  params = step_params(node, s);
  return Status::ok();
}

Status run_quad(const TacticArgs& a) {
  const Epilogue ep = with_residual(a);
  blocked_conv_kernel(a.isa)->direct_quad(a.pool, conv_from_params(a.params), false,
                                          a.inputs[0]->data<float>(), a.prepared[0]->data<float>(),
                                          a.outputs[0]->data<float>(), ep, a.scratch);
  return Status::ok();
}

// ---- AMX BF16 tiles at FP32 accuracy (bf16x3): group 1, any window, blocked input -------------

bool supports_amx(const ir::Node& node, Isa isa) {
  return isa == Isa::kAvx512 && amx_usable() && supports_conv<false>(node, isa) && !planar_input(node);
}

Status prepare_amx(const ir::Node& node, Isa, std::vector<Tensor>& prepared, std::vector<int64_t>& params) {
  const Conv2dShape s = *blocked_conv_shape(node);
  Tensor packed(DataType::kFloat32, {blocked_amx_packed_floats(s)});
  blocked_amx_pack(s, node.input(1)->constant->data<float>(),
                   node.input(2) ? node.input(2)->constant->data<float>() : nullptr, packed.data<float>());
  prepared.push_back(std::move(packed));
  params = conv_params(s);
  return Status::ok();
}

int64_t workspace_amx(const ir::Node& node, Isa, int threads) {
  return blocked_amx_scratch_floats(*blocked_conv_shape(node), threads);
}

Status run_amx(const TacticArgs& a) {
  blocked_amx_conv(a.pool, conv_from_params(a.params), a.inputs[0]->data<float>(),
                   a.prepared[0]->data<float>(), a.outputs[0]->data<float>(), with_residual(a), a.scratch);
  return Status::ok();
}

bool check_amx(const ir::Node& node, Isa isa, std::span<const Tensor* const> prepared,
               std::span<const int64_t> params) {
  const auto s = blocked_conv_shape(node);
  return supports_amx(node, isa) && conv_params_match(s, params) && prepared.size() == 1 &&
         prepared[0]->dtype() == DataType::kFloat32 && prepared[0]->numel() == blocked_amx_packed_floats(*s);
}

// ---- Winograd F(2x2, 3x3) and F(4x4, 3x3) -----------------------------------------------------

bool supports_winograd(const ir::Node& node, Isa isa) {
  const BlockedConvKernel* k = blocked_conv_kernel(isa);
  auto s = blocked_conv_shape(node);
  if (!k || !blocked_winograd_kernel(isa) || !s || node.attr_int("block", 0) != k->block ||
      planar_input(node))
    return false;
  return blocked_winograd_supports(*s) && epilogue_supported(node, s->out_c);
}

template <int M>
Status prepare_winograd(const ir::Node& node, Isa isa, std::vector<Tensor>& prepared,
                        std::vector<int64_t>& params) {
  const Conv2dShape s = *blocked_conv_shape(node);
  const BlockedConvKernel& k = *blocked_conv_kernel(isa);
  Tensor packed(DataType::kFloat32, {blocked_winograd_packed_floats(k, s, M)});
  blocked_winograd_pack(k, s, M, node.input(1)->constant->data<float>(),
                        node.input(2) ? node.input(2)->constant->data<float>() : nullptr,
                        packed.data<float>());
  prepared.push_back(std::move(packed));
  params = conv_params(s);
  return Status::ok();
}

template <int M>
int64_t workspace_winograd(const ir::Node& node, Isa isa, int) {
  return blocked_winograd_scratch_floats(*blocked_conv_kernel(isa), *blocked_conv_shape(node), M);
}

template <int M>
Status run_winograd(const TacticArgs& a) {
  const Epilogue ep = with_residual(a);
  blocked_winograd_kernel(a.isa)->run(a.pool, M, conv_from_params(a.params), a.inputs[0]->data<float>(),
                                      a.prepared[0]->data<float>(), a.outputs[0]->data<float>(), ep,
                                      a.scratch);
  return Status::ok();
}

template <int M>
bool check_winograd(const ir::Node& node, Isa isa, std::span<const Tensor* const> prepared,
                    std::span<const int64_t> params) {
  const auto s = blocked_conv_shape(node);
  return conv_params_match(s, params) && prepared.size() == 1 && prepared[0]->dtype() == DataType::kFloat32 &&
         prepared[0]->numel() == blocked_winograd_packed_floats(*blocked_conv_kernel(isa), *s, M);
}

// ---- reorders ---------------------------------------------------------------------------------

// {n, c, spatial} of the planar side, when the node is a reorder of this ISA's block.
std::optional<std::vector<int64_t>> reorder_dims(const ir::Node& node, Isa isa) {
  const BlockedConvKernel* k = blocked_conv_kernel(isa);
  const ir::Value *x = node.input(0), *y = node.outputs.empty() ? nullptr : node.outputs[0];
  if (!k || !is_static_f32(x) || !is_static_f32(y)) return std::nullopt;
  const bool in = node.op_type == ops::kToBlocked;
  const Shape& planar = in ? x->shape : y->shape;
  const Shape& blocked = in ? y->shape : x->shape;
  if (planar.size() < 2 || blocked.back() != k->block || ops::blocked_shape(planar, k->block) != blocked)
    return std::nullopt;
  int64_t spatial = 1;
  for (size_t i = 2; i < planar.size(); ++i) spatial *= planar[i];
  return std::vector<int64_t>{planar[0], planar[1], spatial};
}

bool supports_reorder(const ir::Node& node, Isa isa) { return reorder_dims(node, isa).has_value(); }

Status prepare_reorder(const ir::Node& node, Isa isa, std::vector<Tensor>&, std::vector<int64_t>& params) {
  params = *reorder_dims(node, isa);
  return Status::ok();
}

Status run_reorder(const TacticArgs& a) {
  const BlockedConvKernel& k = *blocked_conv_kernel(a.isa);
  const bool in = a.node.op_type == ops::kToBlocked;
  (in ? k.to_blocked : k.to_planar)(a.pool, a.inputs[0]->data<float>(), a.outputs[0]->data<float>(),
                                    a.params[0], a.params[1], a.params[2]);
  return Status::ok();
}

bool check_reorder(const ir::Node& node, Isa isa, std::span<const Tensor* const> prepared,
                   std::span<const int64_t> params) {
  auto dims = reorder_dims(node, isa);
  return dims && prepared.empty() && std::equal(dims->begin(), dims->end(), params.begin(), params.end());
}

// ---- MaxPool of a blocked tensor: window [kh, kw, 1] over [N, C/b, H, W, b] ---------------------

std::optional<Conv2dShape> blocked_pool_shape(const ir::Node& node, Isa isa) {
  const BlockedConvKernel* k = blocked_conv_kernel(isa);
  const ir::Value *x = node.input(0), *y = node.outputs.empty() ? nullptr : node.outputs[0];
  if (!k || !is_static_f32(x) || !is_static_f32(y) || x->shape.size() != 5 || x->shape[4] != k->block)
    return std::nullopt;
  if (node.outputs.size() > 1 && node.outputs[1]) return std::nullopt;  // Indices wanted
  auto w = ops::read_window(node, 3, {});
  if (!w) return std::nullopt;
  ops::Window win = *w;
  auto dims = ops::forward_output_dims(node, {x->shape[2], x->shape[3], x->shape[4]},
                                       node.attr_int("ceil_mode", 0) != 0, win);
  if (!dims || *dims != Shape{y->shape[2], y->shape[3], y->shape[4]}) return std::nullopt;
  if (win.kernel[2] != 1 || win.strides[2] != 1 || win.pads[2] != 0 || win.pads[5] != 0) return std::nullopt;
  if (win.pads[0] < 0 || win.pads[1] < 0 || y->shape[0] != x->shape[0] || y->shape[1] != x->shape[1])
    return std::nullopt;
  // Every window must hold an input pixel (ONNX pads never exceed the kernel; ceil_mode drops a
  // window that starts in the end padding).
  if (win.pads[0] >= win.extent(0) || win.pads[1] >= win.extent(1)) return std::nullopt;
  return pool2d_of(x->shape[0], x->shape[1] * k->block, x->shape[2], x->shape[3], y->shape[2], y->shape[3],
                   win);
}

bool supports_pool(const ir::Node& node, Isa isa) { return blocked_pool_shape(node, isa).has_value(); }

Status prepare_pool(const ir::Node& node, Isa isa, std::vector<Tensor>&, std::vector<int64_t>& params) {
  params = conv_params(*blocked_pool_shape(node, isa));
  return Status::ok();
}

Status run_pool(const TacticArgs& a) {
  blocked_conv_kernel(a.isa)->maxpool(a.pool, conv_from_params(a.params), a.inputs[0]->data<float>(),
                                      a.outputs[0]->data<float>());
  return Status::ok();
}

bool check_pool(const ir::Node& node, Isa isa, std::span<const Tensor* const> prepared,
                std::span<const int64_t> params) {
  return prepared.empty() && conv_params_match(blocked_pool_shape(node, isa), params);
}

int64_t no_workspace(const ir::Node&, Isa, int) { return 0; }

bool check_quad(const ir::Node& node, Isa isa, std::span<const Tensor* const> prepared,
                std::span<const int64_t> params) {
  return supports_quad(node, isa) && check_conv<false>(node, isa, prepared, params);
}

// W and B: the conv kernels read them packed (bias after the weights), never as given.
constexpr uint32_t kWeightsAndBias = 0b110;

}  // namespace

// Winograd F(4x4) is the heuristic's first choice where it applies (2-2.5x faster than the direct
// kernel on ResNet-50's 3x3 layers, timed); tuning times all three.
#define KILN_BLOCKED(isa, suffix)                                                                          \
  KILN_REGISTER_TACTIC({"blocked.direct." suffix, ops::kBlockedConv, "kiln", isa, supports_conv<false>,    \
                        prepare_conv<false>, workspace_conv<false>, run_conv<false>, check_conv<false>, 0, \
                        kWeightsAndBias});                                                                 \
  KILN_REGISTER_TACTIC({"blocked.winograd4x4." suffix, ops::kBlockedConv, "kiln", isa, supports_winograd,  \
                        prepare_winograd<4>, workspace_winograd<4>, run_winograd<4>, check_winograd<4>, 1, \
                        kWeightsAndBias});                                                                 \
  KILN_REGISTER_TACTIC({"blocked.winograd2x2." suffix, ops::kBlockedConv, "kiln", isa, supports_winograd,  \
                        prepare_winograd<2>, workspace_winograd<2>, run_winograd<2>, check_winograd<2>, 0, \
                        kWeightsAndBias});                                                                 \
  KILN_REGISTER_TACTIC({"blocked.depthwise." suffix, ops::kBlockedConv, "kiln", isa, supports_conv<true>,  \
                        prepare_conv<true>, workspace_conv<true>, run_conv<true>, check_conv<true>, 0,     \
                        kWeightsAndBias});                                                                 \
  KILN_REGISTER_TACTIC({"blocked.to_blocked." suffix, ops::kToBlocked, "kiln", isa, supports_reorder,      \
                        prepare_reorder, no_workspace, run_reorder, check_reorder});                       \
  KILN_REGISTER_TACTIC({"blocked.to_planar." suffix, ops::kToPlanar, "kiln", isa, supports_reorder,        \
                        prepare_reorder, no_workspace, run_reorder, check_reorder});                       \
  KILN_REGISTER_TACTIC({"blocked.maxpool." suffix, "MaxPool", "", isa, supports_pool, prepare_pool,        \
                        no_workspace, run_pool, check_pool})
KILN_BLOCKED(Isa::kAvx512, "avx512");
KILN_BLOCKED(Isa::kAvx2, "avx2");
// AVX-512 only: four channels per 128-bit lane of a 16-lane vector.
KILN_REGISTER_TACTIC({"blocked.quad.avx512", ops::kBlockedConv, "kiln", Isa::kAvx512, supports_quad,
                      prepare_quad, no_workspace, run_quad, check_quad, 0, kWeightsAndBias});
// Where AMX is usable (AVX-512 machines with AMX-BF16) and the build allows bf16x3 math. The
// heuristic's first choice there but for 3x3 stride-1 layers (Winograd F(4x4), registered first).
KILN_REGISTER_TACTIC({"blocked.amx_bf16x3", ops::kBlockedConv, "kiln", Isa::kAvx512, supports_amx,
                      prepare_amx, workspace_amx, run_amx, check_amx, 1, kWeightsAndBias, true});

}  // namespace kiln::cpu
