// Conv and kiln.FusedConv, 2-D float32 NCHW, as an implicit-im2col GEMM with the epilogue fused
// (cpu/kernels/conv2d.h): 1x1, strided and dilated, grouped. One tactic per ISA.
#include <algorithm>

#include "cpu/kernels/conv2d.h"
#include "cpu/tactic.h"
#include "cpu/tactics/conv_shape.h"
#include "cpu/tactics/fused.h"
#include "ops/conv_kernel.h"

namespace kiln::cpu {

std::optional<Conv2dShape> conv_shape(const ir::Node& node) {
  const ir::Value *x = node.input(0), *w = node.input(1),
                  *y = node.outputs.empty() ? nullptr : node.outputs[0];
  if (!is_static_f32(x) || !is_const_f32(w) || !is_static_f32(y) || x->shape.size() != 4) return std::nullopt;
  auto setup = ops::conv_setup(node, x->shape, w->constant->shape());
  if (!setup || setup->out_shape != y->shape) return std::nullopt;
  return conv2d_of(*setup);
}

Conv2dShape conv2d_of(const ops::ConvSetup& setup) {
  const ops::Geometry3d& g = setup.g;
  Conv2dShape s;
  s.batch = setup.s.batch;
  s.in_c = setup.s.in_channels;
  s.out_c = setup.s.out_channels;
  s.group = setup.s.group;
  s.in_h = g.image[1];
  s.in_w = g.image[2];
  s.out_h = g.cols[1];
  s.out_w = g.cols[2];
  s.kh = g.kernel[1];
  s.kw = g.kernel[2];
  s.sh = g.stride[1];
  s.sw = g.stride[2];
  s.dh = g.dilation[1];
  s.dw = g.dilation[2];
  s.pad_top = g.pad[1];
  s.pad_left = g.pad[2];
  return s;
}

Conv2dShape pool2d_of(int64_t batch, int64_t channels, int64_t in_h, int64_t in_w, int64_t out_h,
                      int64_t out_w, const ops::Window& win) {
  Conv2dShape s;
  s.batch = batch;
  s.in_c = s.out_c = s.group = channels;
  s.in_h = in_h;
  s.in_w = in_w;
  s.out_h = out_h;
  s.out_w = out_w;
  s.kh = win.kernel[0];
  s.kw = win.kernel[1];
  s.sh = win.strides[0];
  s.sw = win.strides[1];
  s.dh = win.dilations[0];
  s.dw = win.dilations[1];
  s.pad_top = win.pads[0];
  s.pad_left = win.pads[1];
  return s;
}

std::vector<int64_t> conv_params(const Conv2dShape& s) {
  return {s.batch, s.in_c, s.in_h, s.in_w, s.out_c, s.out_h, s.out_w,   s.group,
          s.kh,    s.kw,   s.sh,   s.sw,   s.dh,    s.dw,    s.pad_top, s.pad_left};
}

Conv2dShape conv_from_params(std::span<const int64_t> p) {
  return {p[0], p[1], p[2],  p[3],  p[4],  p[5],  p[6],  p[7],
          p[8], p[9], p[10], p[11], p[12], p[13], p[14], p[15]};
}

bool conv_params_match(const std::optional<Conv2dShape>& shape, std::span<const int64_t> params) {
  if (!shape) return false;
  const std::vector<int64_t> want = conv_params(*shape);
  return std::equal(want.begin(), want.end(), params.begin(), params.end());
}

namespace {

template <int kVariant>
bool supports(const ir::Node& node, Isa isa) {
  auto s = conv_shape(node);
  if (!s || !gemm_ukernel(isa, kVariant)) return false;
  // Depthwise layers have K = kh * kw: a GEMM tile would idle; the depthwise tactic takes them.
  if (s->depthwise()) return false;
  return epilogue_supported(node, s->out_c);
}

template <int kVariant>
Status prepare(const ir::Node& node, Isa isa, std::vector<Tensor>& prepared, std::vector<int64_t>& params) {
  const Conv2dShape s = *conv_shape(node);
  const GemmUkernel& uk = *gemm_ukernel(isa, kVariant);
  Tensor packed(DataType::kFloat32, {conv2d_packed_weights_floats(uk, s)});
  conv2d_pack_weights(uk, s, node.input(1)->constant->data<float>(), packed.data<float>());
  prepared.push_back(std::move(packed));
  params = conv_params(s);
  return Status::ok();
}

template <int kVariant>
int64_t workspace(const ir::Node& node, Isa isa, int threads) {
  return conv2d_scratch_floats(*gemm_ukernel(isa, kVariant), *conv_shape(node), threads);
}

template <int kVariant>
Status run(const TacticArgs& a) {
  const Conv2dShape s = conv_from_params(a.params);
  Epilogue ep = a.epilogue;
  if (a.inputs.size() > 2 && a.inputs[2]) ep.bias_row = a.inputs[2]->data<float>();
  if (a.inputs.size() > 3 && a.inputs[3]) ep.residual = a.inputs[3]->data<float>();
  conv2d_gemm(*gemm_ukernel(a.isa, kVariant), a.pool, s, a.inputs[0]->data<float>(),
              a.prepared[0]->data<float>(), a.outputs[0]->data<float>(), ep, a.scratch);
  return Status::ok();
}

template <int kVariant>
bool check(const ir::Node& node, Isa isa, std::span<const Tensor* const> prepared,
           std::span<const int64_t> params) {
  const auto s = conv_shape(node);
  return conv_params_match(s, params) && prepared.size() == 1 && prepared[0]->dtype() == DataType::kFloat32 &&
         prepared[0]->numel() == conv2d_packed_weights_floats(*gemm_ukernel(isa, kVariant), *s);
}

}  // namespace

#define KILN_CONV_GEMM(op, domain, isa, variant, name)                                                  \
  KILN_REGISTER_TACTIC({name, op, domain, isa, supports<variant>, prepare<variant>, workspace<variant>, \
                        run<variant>, check<variant>, 0, 0b010})
KILN_CONV_GEMM("Conv", "", Isa::kAvx512, 0, "conv2d.gemm8x48.avx512");
KILN_CONV_GEMM("Conv", "", Isa::kAvx512, 1, "conv2d.gemm6x64.avx512");
KILN_CONV_GEMM("Conv", "", Isa::kAvx512, 2, "conv2d.gemm14x32.avx512");
KILN_CONV_GEMM("Conv", "", Isa::kAvx2, 0, "conv2d.gemm6x16.avx2");
KILN_CONV_GEMM("FusedConv", "kiln", Isa::kAvx512, 0, "conv2d.gemm8x48.avx512");
KILN_CONV_GEMM("FusedConv", "kiln", Isa::kAvx512, 1, "conv2d.gemm6x64.avx512");
KILN_CONV_GEMM("FusedConv", "kiln", Isa::kAvx512, 2, "conv2d.gemm14x32.avx512");
KILN_CONV_GEMM("FusedConv", "kiln", Isa::kAvx2, 0, "conv2d.gemm6x16.avx2");

}  // namespace kiln::cpu
