// ConvTranspose and kiln.FusedConvTranspose whose kernel equals its stride with no padding (the
// upsampling layers of segmentation and text-detection heads): the windows do not overlap, so it is
// one GEMM, C[(co, ky, kx)][y, x] = sum_ci W[ci][co][ky][kx] * X[ci][y, x], whose rows are then
// scattered to Y[co][y * s + ky][x * s + kx] with the bias, activation and residual applied there.
#include <algorithm>
#include <cstring>

#include "cpu/kernels/gemm_driver.h"
#include "cpu/tactic.h"
#include "cpu/tactics/fused.h"

namespace kiln::cpu {
namespace {

struct Geometry {
  int64_t batch, cin, cout, h, w, kh, kw;
  int64_t m() const { return cout * kh * kw; }
  int64_t n() const { return h * w; }
  // The step's parameters: the geometry, so a run reads no attributes.
  std::vector<int64_t> params() const { return {batch, cin, cout, h, w, kh, kw}; }
  static Geometry of(std::span<const int64_t> p) { return {p[0], p[1], p[2], p[3], p[4], p[5], p[6]}; }
};

std::optional<Geometry> geometry(const ir::Node& node) {
  const ir::Value *x = node.input(0), *wv = node.input(1),
                  *y = node.outputs.empty() ? nullptr : node.outputs[0];
  if (!is_static_f32(x) || !is_const_f32(wv) || !is_static_f32(y) || x->shape.size() != 4 ||
      wv->shape.size() != 4)
    return std::nullopt;
  if (node.attr_int("group", 1) != 1 || node.has_attr("output_shape")) return std::nullopt;
  const std::string pad = node.attr_string("auto_pad", "NOTSET");
  if (pad != "NOTSET" && pad != "VALID") return std::nullopt;
  Geometry g{x->shape[0], x->shape[1], wv->shape[1], x->shape[2], x->shape[3], wv->shape[2], wv->shape[3]};
  const std::vector<int64_t> strides = node.attr_ints("strides", {1, 1});
  const std::vector<int64_t> dil = node.attr_ints("dilations", {1, 1});
  const std::vector<int64_t> pads = node.attr_ints("pads", {0, 0, 0, 0});
  const std::vector<int64_t> outpad = node.attr_ints("output_padding", {0, 0});
  if (strides != std::vector<int64_t>{g.kh, g.kw} || dil != std::vector<int64_t>{1, 1}) return std::nullopt;
  for (int64_t p : pads)
    if (p != 0) return std::nullopt;
  for (int64_t p : outpad)
    if (p != 0) return std::nullopt;
  if (wv->shape[0] != g.cin || y->shape != Shape{g.batch, g.cout, g.h * g.kh, g.w * g.kw})
    return std::nullopt;
  return g;
}

template <int kVariant>
bool supports(const ir::Node& node, Isa isa) {
  auto g = geometry(node);
  return g && gemm_ukernel(isa, kVariant) && epilogue_supported(node, g->cout);
}

template <int kVariant>
Status prepare(const ir::Node& node, Isa isa, std::vector<Tensor>& prepared, std::vector<int64_t>& params) {
  const Geometry g = *geometry(node);
  params = g.params();
  const GemmUkernel& uk = *gemm_ukernel(isa, kVariant);
  Tensor packed(DataType::kFloat32, {round_up(g.m(), uk.mr) * g.cin});
  // W is [cin][cout * kh * kw]: A transposed, with the (co, ky, kx) rows as its columns.
  pack_a_transposed(node.input(1)->constant->data<float>(), g.m(), g.m(), g.cin, uk.mr, packed.data<float>());
  prepared.push_back(std::move(packed));
  return Status::ok();
}

// A task: `rows` input rows of one image. Its GEMM block (M x rows * W) stays in L2 while it is
// scattered to the output rows it makes, each finished through the epilogue while in L1. (The
// whole image's GEMM, then a scatter and an epilogue pass over every output plane, moved the
// output through memory three times: PP-OCRv4 det's 24 -> 24 2x2 upsampling at 160x160 took 1.6x
// onnxruntime's time.)
int64_t rows_per_task(const Geometry& g, int threads) {
  const int64_t fit = std::max<int64_t>(1, l2_cache_bytes() / 2 / (g.m() * g.w * 4));
  const int64_t spread = ceil_div(g.h * g.batch, 4 * static_cast<int64_t>(threads));  // tasks to balance
  return std::clamp<int64_t>(std::min(fit, spread), 1, g.h);
}

// Per thread: the task's GEMM block and its B slices.
int64_t task_floats(const GemmUkernel& uk, const Geometry& g, int64_t rows) {
  return round_up(g.m() * rows * g.w, 16) + gemm_panel_floats(uk, g.cin, rows * g.w);
}

template <int kVariant>
int64_t workspace(const ir::Node& node, Isa isa, int threads) {
  const Geometry g = *geometry(node);
  const GemmUkernel& uk = *gemm_ukernel(isa, kVariant);
  return task_floats(uk, g, rows_per_task(g, threads)) * threads + 16;
}

template <int kVariant>
Status run(const TacticArgs& a) {
  const Geometry g = Geometry::of(a.params);
  const GemmUkernel& uk = *gemm_ukernel(a.isa, kVariant);
  Epilogue ep = a.epilogue;
  if (a.inputs.size() > 2 && a.inputs[2]) ep.bias_row = a.inputs[2]->data<float>();
  const float* residual = a.inputs.size() > 3 && a.inputs[3] ? a.inputs[3]->data<float>() : nullptr;
  const int64_t oh = g.h * g.kh, ow = g.w * g.kw, out_plane = oh * ow;
  const int64_t rows = rows_per_task(g, a.pool.threads()), per_image = ceil_div(g.h, rows);
  const int64_t floats = task_floats(uk, g, rows);
  a.pool.parallel_for(g.batch * per_image, [&](int64_t task, int thread) {
    const int64_t b = task / per_image, iy0 = task % per_image * rows, iy1 = std::min(g.h, iy0 + rows);
    const int64_t n = (iy1 - iy0) * g.w;  // the block's columns: input pixels [iy0 * W, iy1 * W)
    float* c = a.scratch + floats * thread;
    float* slices = c + round_up(g.m() * rows * g.w, 16);
    const float* x = a.inputs[0]->data<float>() + b * g.cin * g.n() + iy0 * g.w;
    const GemmBlocking bl = gemm_blocking(uk, g.cin, n);
    gemm_range(
        uk, bl, g.m(), n, g.cin, a.prepared[0]->data<float>(),
        [&](int64_t n0, int64_t k0, int64_t k1, float* panel) -> const float* {
          pack_b_panel(x + k0 * g.n(), g.n(), k1 - k0, n, n0, uk.nr, panel);
          return panel;
        },
        c, n, Epilogue{}, slices, 0, ceil_div(n, uk.nr), 0, ceil_div(g.m(), uk.mr));
    float* y = a.outputs[0]->data<float>() + b * g.cout * out_plane;
    Epilogue e = ep;
    e.ldr = out_plane;
    if (residual) e.residual = residual + b * g.cout * out_plane;
    for (int64_t co = 0; co < g.cout; ++co)
      for (int64_t iy = iy0; iy < iy1; ++iy)
        for (int64_t ky = 0; ky < g.kh; ++ky) {
          const int64_t oy = iy * g.kh + ky;
          float* dst = y + co * out_plane + oy * ow;
          for (int64_t kx = 0; kx < g.kw; ++kx) {
            const float* src = c + ((co * g.kh + ky) * g.kw + kx) * n + (iy - iy0) * g.w;
            for (int64_t ix = 0; ix < g.w; ++ix) dst[ix * g.kw + kx] = src[ix];
          }
          // Bias, activation and residual over the finished output row (row co of `m`).
          uk.apply_epilogue(dst, ow, 1, ow, e, co, oy * ow);
        }
  });
  return Status::ok();
}

template <int kVariant>
bool check(const ir::Node& node, Isa isa, std::span<const Tensor* const> prepared,
           std::span<const int64_t> params) {
  const auto g = geometry(node);
  if (!g) return false;
  const std::vector<int64_t> want = g->params();
  return std::equal(want.begin(), want.end(), params.begin(), params.end()) && prepared.size() == 1 &&
         prepared[0]->numel() == round_up(g->m(), gemm_ukernel(isa, kVariant)->mr) * g->cin;
}

}  // namespace

#define KILN_DECONV(op, domain, isa, variant, name)                                                     \
  KILN_REGISTER_TACTIC({name, op, domain, isa, supports<variant>, prepare<variant>, workspace<variant>, \
                        run<variant>, check<variant>, 0, 0b010})
KILN_DECONV("ConvTranspose", "", Isa::kAvx512, 0, "conv_transpose.gemm8x48.avx512");
KILN_DECONV("ConvTranspose", "", Isa::kAvx2, 0, "conv_transpose.gemm6x16.avx2");
KILN_DECONV("FusedConvTranspose", "kiln", Isa::kAvx512, 0, "conv_transpose.gemm8x48.avx512");
KILN_DECONV("FusedConvTranspose", "kiln", Isa::kAvx2, 0, "conv_transpose.gemm6x16.avx2");

}  // namespace kiln::cpu
