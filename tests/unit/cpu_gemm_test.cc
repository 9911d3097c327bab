// Gemm / MatMul tactics (constant B packed at build time) against the reference: M, N and K one
// below, at and one above the microkernel tiles, transposes, alpha and beta, bias, epilogues,
// MatMul with batch dims folded into M; MatMul of two activations, one small GEMM per batch; the
// GEMM driver's cache blocks (K, column panels, row tiles) cut small so every edge is crossed.
#include "cpu/kernels/gemm_driver.h"
#include "ops/activation.h"
#include "ops/fused_layer.h"
#include "tactic_test_util.h"

namespace kiln::testing {
namespace {

TEST(CpuGemm, TileEdgesTransposesAlphaBeta) {
  for (int64_t m : {1, 5, 6, 7, 8, 9}) {
    for (int64_t n : {1, 15, 16, 17, 33, 47, 48, 49, 63, 64, 65}) {
      for (int64_t k : {1, 3, 64}) {  // m = 1 runs the row-panel kernel: k odd and even
        for (int trans : {0, 1, 2, 3}) {
          OneNode t("Gemm", "");
          const bool ta = trans & 1, tb = trans & 2;
          t.input(random_f32(ta ? Shape{k, m} : Shape{m, k}, 1));
          t.constant(random_f32(tb ? Shape{n, k} : Shape{k, n}, 2));
          t.constant(random_f32({n}, 3));
          t.attr("transA", attr_i(ta));
          t.attr("transB", attr_i(tb));
          t.attr("alpha", attr_f(0.75f));
          t.attr("beta", attr_f(1.5f));
          EXPECT_GT(check_tactics(t), 0) << m << "x" << n << "x" << k << " trans " << trans;
        }
      }
    }
  }
}

TEST(CpuGemm, DriverBlocksOfKPanelsAndRowsAddUpAndFinishOnce) {
  // Blocks far smaller than gemm_blocking's, so a small GEMM crosses every kind of block edge: K in
  // blocks of 16 (the last one short), 2 column panels per packed block, 2 row tiles per A block.
  // The epilogue (bias, residual, activation, affine) must run once, on the sum of every K block,
  // in whole tiles (unrolled) and edge tiles alike: every activation, inline or called, with the
  // residual before and after it.
  struct Case {
    ops::Activation act;
    std::vector<float> params;
    bool before, affine;
  };
  using A = ops::Activation;
  const std::vector<Case> cases = {{A::kRelu, {}, true, false},
                                   {A::kNone, {}, false, false},
                                   {A::kClip, {-0.5f, 0.7f}, false, false},
                                   {A::kLeakyRelu, {0.1f}, true, false},
                                   {A::kHardSwish, {}, false, true},
                                   {A::kHardSwish, {}, true, false},
                                   {A::kSiLU, {}, false, false},
                                   {A::kSigmoid, {}, true, true},
                                   {A::kHardSigmoid, {0.2f, 0.5f}, false, false},
                                   {A::kTanh, {}, true, false},
                                   {A::kGelu, {}, false, false},
                                   {A::kGeluTanh, {}, true, true}};
  for (int variant = 0; const cpu::GemmUkernel* uk = cpu::gemm_ukernel(cpu::host_isa(), variant); ++variant) {
    for (int threads : {1, 2}) {
      for (const Case& cs : cases) {
        cpu::ThreadPool pool(threads);
        const int64_t m = 3 * uk->mr + 1, n = 5 * uk->nr - 3, k = 37;
        const Tensor a = random_f32({m, k}, 1), b = random_f32({k, n}, 2), bias = random_f32({m}, 3);
        const Tensor residual = random_f32({m, n}, 4);
        std::vector<float> a_packed(cpu::round_up(m, uk->mr) * k);
        cpu::pack_a(a.data<float>(), k, m, k, uk->mr, a_packed.data());
        const cpu::GemmBlocking blocking{16, 2, 2};
        std::vector<float> scratch_store(blocking.scratch_floats(uk->nr) * threads + 16);
        float* scratch =
            scratch_store.data() + (16 - reinterpret_cast<uintptr_t>(scratch_store.data()) / 4 % 16) % 16;
        cpu::Epilogue ep;
        ep.bias_row = bias.data<float>();
        ep.residual = residual.data<float>();
        ep.ldr = n;
        ep.residual_before = cs.before;
        ep.activation = static_cast<int>(cs.act);
        if (cs.params.size() > 0) ep.alpha = cs.params[0];
        if (cs.params.size() > 1) ep.beta = cs.params[1];
        ep.affine = cs.affine;
        ep.scale = 0.75f;
        ep.shift = -0.25f;
        std::vector<float> c(m * n, std::nanf(""));
        cpu::gemm_run(
            *uk, pool, m, n, k, a_packed.data(),
            [&](int64_t n0, int64_t k0, int64_t k1, float* out) -> const float* {
              cpu::pack_b_panel(b.data<float>() + k0 * n, n, k1 - k0, n, n0, uk->nr, out);
              return out;
            },
            c.data(), n, ep, scratch, &blocking);
        for (int64_t i = 0; i < m; ++i)
          for (int64_t j = 0; j < n; ++j) {
            const double r = residual.data<float>()[i * n + j];
            double sum = bias.data<float>()[i] + (cs.before ? r : 0.0);
            for (int64_t p = 0; p < k; ++p)
              sum += double(a.data<float>()[i * k + p]) * b.data<float>()[p * n + j];
            double want = ops::activate<double>(cs.act, cs.params, sum);
            if (cs.affine) want = want * ep.scale + ep.shift;
            if (!cs.before) want += r;
            ASSERT_NEAR(c[i * n + j], want, 1e-4)
                << uk->mr << "x" << uk->nr << " threads " << threads << " " << ops::activation_name(cs.act)
                << (cs.affine ? " affine" : "") << (cs.before ? " before" : " after") << " at " << i << ","
                << j;
          }
      }
    }
  }
}

TEST(CpuGemm, LongKRunsInBlocksOfK) {
  // K past every microkernel's K block: B packed at build time is read a slice of rows at a time.
  for (int64_t k : {1100, 2100}) {
    OneNode t("Gemm", "");
    t.input(random_f32({9, k}, 1));
    t.constant(random_f32({k, 49}, 2));
    t.constant(random_f32({49}, 3));
    EXPECT_GT(check_tactics(t, 1e-4, 1e-4), 0) << "k " << k;
  }
}

TEST(CpuGemm, EmptyKStillWritesTheBias) {
  OneNode t("Gemm", "");
  t.input(random_f32({3, 0}, 1));
  t.constant(random_f32({0, 50}, 2));
  t.constant(random_f32({50}, 3));
  EXPECT_GT(check_tactics(t), 0);
}

TEST(CpuGemm, MatMulWithBatchDimsAndFusedEpilogue) {
  {
    OneNode t("MatMul", "");
    t.input(random_f32({2, 3, 5, 40}, 1));
    t.constant(random_f32({40, 33}, 2));
    EXPECT_GT(check_tactics(t), 0);
  }
  for (int64_t rows : {25, 1}) {  // one row: a matrix-vector product with the epilogue fused
    for (std::string act : {"", "Relu", "Gelu", "SiLU"}) {
      OneNode t("FusedMatMul", "kiln");
      t.input(random_f32({1, rows, 48}, 1));
      t.constant(random_f32({48, 70}, 2));
      t.constant(random_f32({70}, 3));
      t.input(random_f32({1, rows, 70}, 4));
      t.attr("activation", attr_s(act));
      t.attr("residual_position", attr_s("after"));
      EXPECT_GT(check_tactics(t), 0) << act << " rows " << rows;
    }
  }
}

TEST(CpuGemm, MatMulOfTwoActivationsPerBatch) {
  // Both operands computed (attention's Q K^T, weights x V): M, K and N one below, at and one above
  // the tiles (8 x 48 on AVX-512, 6 x 16 on AVX2), batch dims, one B for every batch.
  struct Case {
    Shape a, b;
  };
  const std::vector<Case> cases = {{{1, 8, 40, 15}, {1, 8, 15, 40}}, {{1, 8, 40, 40}, {1, 8, 40, 15}},
                                   {{3, 7, 5}, {3, 5, 47}},          {{2, 9, 17}, {2, 17, 49}},
                                   {{4, 6, 16}, {16, 48}},           {{5, 1, 33}, {5, 33, 17}}};
  for (const Case& c : cases) {
    OneNode t("MatMul", "");
    t.input(random_f32(c.a, 1));
    t.input(random_f32(c.b, 2));
    EXPECT_GT(check_tactics(t, 1e-4, 1e-5), 0) << shape_str(c.a) << " x " << shape_str(c.b);
  }
}

TEST(CpuGemm, BroadcastBiasOtherThanColumnsIsLeftToTheReference) {
  OneNode t("Gemm", "");
  t.input(random_f32({4, 8}, 1));
  t.constant(random_f32({8, 5}, 2));
  t.constant(random_f32({4, 1}, 3));  // per-row C
  ir::Value* out = t.g->create_value("y");
  t.node->outputs = {out};
  ASSERT_TRUE(ops::infer_graph(*t.g).is_ok());
  EXPECT_TRUE(cpu::tactics_for(*t.node, cpu::host_isa()).empty());
}

}  // namespace
}  // namespace kiln::testing
