// MatMul of two activations (attention's Q K^T and weights x V): A [batch..., M, K] times B
// [batch..., K, N] (or one B [K, N] for every batch), static float32 shapes. Each batch is one
// small GEMM (A packed into MR-row panels, B one NR-column panel at a time, both in the thread's
// scratch), the batches spread over the threads. A constant B is gemm.cc's (packed at build time).
#include "cpu/kernels/gemm_driver.h"
#include "cpu/tactic.h"

namespace kiln::cpu {
namespace {

// {batches, M, K, N, B shared by every batch (0/1)}.
std::optional<std::vector<int64_t>> matmul_dims(const ir::Node& node) {
  const ir::Value *a = node.input(0), *b = node.input(1),
                  *y = node.outputs.empty() ? nullptr : node.outputs[0];
  if (!is_static_f32(a) || !is_static_f32(b) || !is_static_f32(y) || b->is_constant()) return std::nullopt;
  if (a->shape.size() < 2 || b->shape.size() < 2 || y->shape.size() != a->shape.size()) return std::nullopt;
  const size_t r = a->shape.size();
  const int64_t m = a->shape[r - 2], k = a->shape[r - 1];
  const int64_t n = b->shape.back();
  if (b->shape[b->shape.size() - 2] != k || y->shape[r - 2] != m || y->shape[r - 1] != n) return std::nullopt;
  const Shape batch(a->shape.begin(), a->shape.end() - 2);
  const bool shared = b->shape.size() == 2;
  if (!shared && (b->shape.size() != r || !std::equal(batch.begin(), batch.end(), b->shape.begin())))
    return std::nullopt;
  if (!std::equal(batch.begin(), batch.end(), y->shape.begin())) return std::nullopt;
  if (m <= 0 || n <= 0 || k <= 0) return std::nullopt;
  return std::vector<int64_t>{shape_numel(batch), m, k, n, shared ? 1 : 0};
}

template <int kVariant>
bool supports(const ir::Node& node, Isa isa) {
  return gemm_ukernel(isa, kVariant) && matmul_dims(node).has_value();
}

using Params = ParamsOnly<matmul_dims>;

// Per thread: A packed, then one B panel of the whole K.
int64_t thread_floats(const GemmUkernel& uk, int64_t m, int64_t k) {
  return round_up(round_up(m, uk.mr) * k, 16) + k * uk.nr + 16;
}

template <int kVariant>
int64_t workspace(const ir::Node& node, Isa isa, int threads) {
  const auto d = *matmul_dims(node);
  return thread_floats(*gemm_ukernel(isa, kVariant), d[1], d[2]) * threads + 16;
}

template <int kVariant>
Status run(const TacticArgs& a) {
  const int64_t batches = a.params[0], m = a.params[1], k = a.params[2], n = a.params[3];
  const bool shared = a.params[4] != 0;
  const GemmUkernel& uk = *gemm_ukernel(a.isa, kVariant);
  const float* x = a.inputs[0]->data<float>();
  const float* w = a.inputs[1]->data<float>();
  float* y = a.outputs[0]->data<float>();
  const int64_t per_thread = thread_floats(uk, m, k);
  const Epilogue none;
  a.pool.parallel_for(batches, [&](int64_t bi, int thread) {
    float* a_packed = a.scratch + per_thread * thread;
    float* panel = a_packed + round_up(round_up(m, uk.mr) * k, 16);
    pack_a(x + bi * m * k, k, m, k, uk.mr, a_packed);
    const float* b = w + (shared ? 0 : bi * k * n);
    float* c = y + bi * m * n;
    for (int64_t n0 = 0; n0 < n; n0 += uk.nr) {
      pack_b_panel(b, n, k, n, n0, uk.nr, panel);
      const int n_count = static_cast<int>(std::min<int64_t>(uk.nr, n - n0));
      for (int64_t m0 = 0; m0 < m; m0 += uk.mr) {
        const int m_count = static_cast<int>(std::min<int64_t>(uk.mr, m - m0));
        uk.tile(k, a_packed + m0 * k, panel, c + m0 * n + n0, n, m_count, n_count, none, m0, n0, false);
      }
    }
  });
  return Status::ok();
}

}  // namespace

#define KILN_MATMUL(isa, variant, name)                                                                  \
  KILN_REGISTER_TACTIC({name, "MatMul", "", isa, supports<variant>, Params::prepare, workspace<variant>, \
                        run<variant>, Params::check})
KILN_MATMUL(Isa::kAvx512, 0, "matmul.gemm8x48.avx512");
KILN_MATMUL(Isa::kAvx2, 0, "matmul.gemm6x16.avx2");

}  // namespace kiln::cpu
