// Gemm, MatMul, kiln.FusedGemm and kiln.FusedMatMul whose B is a constant matrix (a fully
// connected or projection layer): B is packed into NR-column panels at build time (alpha folded
// in), A is packed per run, and bias (beta * C along the columns), activation and residual are
// fused in the microkernel. MatMul's A may have leading batch dims: they fold into M.
#include <cstring>

#include "cpu/kernels/gemm_driver.h"
#include "cpu/tactic.h"
#include "cpu/tactics/fused.h"

namespace kiln::cpu {
namespace {

struct GemmShape {
  int64_t m = 0, n = 0, k = 0;
  bool trans_a = false, trans_b = false;
  float alpha = 1, beta = 1;
  bool is_gemm = false;             // Gemm / FusedGemm (else MatMul / FusedMatMul)
  const ir::Value* bias = nullptr;  // Gemm's C or FusedMatMul's input 2: one value per column
};

std::optional<GemmShape> gemm_shape(const ir::Node& node) {
  GemmShape g;
  g.is_gemm = node.op_type == "Gemm" || node.op_type == "FusedGemm";
  const ir::Value *a = node.input(0), *b = node.input(1),
                  *y = node.outputs.empty() ? nullptr : node.outputs[0];
  if (!is_static_f32(a) || !is_const_f32(b) || !is_static_f32(y) || b->shape.size() != 2) return std::nullopt;
  if (g.is_gemm) {
    if (a->shape.size() != 2) return std::nullopt;
    g.trans_a = node.attr_int("transA", 0) != 0;
    g.trans_b = node.attr_int("transB", 0) != 0;
    g.alpha = node.attr_float("alpha", 1.0f);
    g.beta = node.attr_float("beta", 1.0f);
    g.m = g.trans_a ? a->shape[1] : a->shape[0];
    g.k = g.trans_a ? a->shape[0] : a->shape[1];
  } else {
    if (a->shape.size() < 2) return std::nullopt;
    g.k = a->shape.back();
    g.m = shape_numel(a->shape) / g.k;
  }
  g.n = g.trans_b ? b->shape[0] : b->shape[1];
  if ((g.trans_b ? b->shape[1] : b->shape[0]) != g.k || shape_numel(y->shape) != g.m * g.n ||
      y->shape.back() != g.n)
    return std::nullopt;
  const ir::Value* c = node.input(2);
  if (c && !(g.is_gemm && g.beta == 0)) {
    // Only a bias along the columns ([N] or [1, N]) is fused; other broadcasts use the reference.
    if (!is_const_f32(c) || c->constant->numel() != g.n || (c->shape.size() == 2 && c->shape[0] != 1) ||
        c->shape.size() > 2)
      return std::nullopt;
    g.bias = c;
  }
  return g;
}

template <int kVariant>
bool supports(const ir::Node& node, Isa isa) {
  auto g = gemm_shape(node);
  // Input 2 (Gemm's C) is checked by gemm_shape: a column bias or nothing.
  return g && gemm_ukernel(isa, kVariant) && epilogue_supported(node, 0);
}

int64_t packed_b_floats(const GemmUkernel& uk, const GemmShape& g) {
  return ceil_div(g.n, uk.nr) * uk.nr * g.k;
}

template <int kVariant>
Status prepare(const ir::Node& node, Isa isa, std::vector<Tensor>& prepared, std::vector<int64_t>&) {
  const GemmShape g = *gemm_shape(node);
  const GemmUkernel& uk = *gemm_ukernel(isa, kVariant);
  Tensor packed(DataType::kFloat32, {packed_b_floats(uk, g)});
  const float* b = node.input(1)->constant->data<float>();
  for (int64_t n0 = 0, p = 0; n0 < g.n; n0 += uk.nr, ++p) {
    float* panel = packed.data<float>() + p * uk.nr * g.k;
    if (g.trans_b) {
      pack_b_panel_transposed(b, g.k, g.k, g.n, n0, uk.nr, panel);
    } else {
      pack_b_panel(b, g.n, g.k, g.n, n0, uk.nr, panel);
    }
  }
  if (g.alpha != 1.0f)
    for (int64_t i = 0; i < packed.numel(); ++i) packed.data<float>()[i] *= g.alpha;
  prepared.push_back(std::move(packed));
  if (g.bias) {
    Tensor bias(DataType::kFloat32, {g.n});
    const float scale = g.is_gemm ? g.beta : 1.0f;
    for (int64_t i = 0; i < g.n; ++i) bias.data<float>()[i] = scale * g.bias->constant->data<float>()[i];
    prepared.push_back(std::move(bias));
  }
  return Status::ok();
}

template <int kVariant>
int64_t workspace(const ir::Node& node, Isa isa, int threads) {
  const GemmShape g = *gemm_shape(node);
  const GemmUkernel& uk = *gemm_ukernel(isa, kVariant);
  return round_up(g.m, uk.mr) * g.k + 16;  // packed A
}

template <int kVariant>
Status run(const TacticArgs& args) {
  const GemmShape g = *gemm_shape(args.node);
  const GemmUkernel& uk = *gemm_ukernel(args.isa, kVariant);
  Epilogue ep = args.epilogue;
  if (args.prepared.size() > 1) ep.bias_col = args.prepared[1]->data<float>();
  if (args.inputs.size() > 3 && args.inputs[3]) {
    ep.residual = args.inputs[3]->data<float>();
    ep.ldr = g.n;
  }
  const float* a = args.inputs[0]->data<float>();
  const float* b = args.prepared[0]->data<float>();
  float* c = args.outputs[0]->data<float>();
  if (g.m == 1) {  // a matrix-vector product: one pass over the packed B, panels split over threads
    const int64_t panels = ceil_div(g.n, int64_t{uk.nr});
    args.pool.parallel_for(panels, [&](int64_t t, int) {
      const int64_t n0 = t * uk.nr;
      uk.row_panel(g.k, a, b + t * uk.nr * g.k, c + n0, static_cast<int>(std::min<int64_t>(uk.nr, g.n - n0)),
                   ep, n0);
    });
    return Status::ok();
  }
  float* a_packed = args.scratch;
  if (g.trans_a) {
    pack_a_transposed(a, g.m, g.m, g.k, uk.mr, a_packed);
  } else {
    pack_a(a, g.k, g.m, g.k, uk.mr, a_packed);
  }
  // The B panels were packed at build time: no per-thread panel scratch is needed.
  gemm_run(
      uk, args.pool, g.m, g.n, g.k, a_packed,
      [&](int64_t n0, int64_t k0, int64_t, float*) -> const float* {
        return b + (n0 / uk.nr * g.k + k0) * uk.nr;
      },
      c, g.n, ep, nullptr);
  return Status::ok();
}

template <int kVariant>
bool check(const ir::Node& node, Isa isa, std::span<const Tensor* const> prepared, std::span<const int64_t>) {
  const GemmShape g = *gemm_shape(node);
  if (prepared.size() != (g.bias ? 2u : 1u)) return false;
  if (prepared[0]->numel() != packed_b_floats(*gemm_ukernel(isa, kVariant), g)) return false;
  return !g.bias || prepared[1]->numel() == g.n;
}

}  // namespace

#define KILN_GEMM(op, domain, isa, variant, name)                                                       \
  KILN_REGISTER_TACTIC({name, op, domain, isa, supports<variant>, prepare<variant>, workspace<variant>, \
                        run<variant>, check<variant>, 0, 0b110})
#define KILN_GEMM_ALL(op, domain)                                      \
  KILN_GEMM(op, domain, Isa::kAvx512, 0, "gemm.packed_b8x48.avx512");  \
  KILN_GEMM(op, domain, Isa::kAvx512, 1, "gemm.packed_b6x64.avx512");  \
  KILN_GEMM(op, domain, Isa::kAvx512, 2, "gemm.packed_b14x32.avx512"); \
  KILN_GEMM(op, domain, Isa::kAvx2, 0, "gemm.packed_b6x16.avx2")
KILN_GEMM_ALL("Gemm", "");
KILN_GEMM_ALL("MatMul", "");
KILN_GEMM_ALL("FusedGemm", "kiln");
KILN_GEMM_ALL("FusedMatMul", "kiln");

}  // namespace kiln::cpu
