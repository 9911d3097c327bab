// Gemm / MatMul tactics (constant B packed at build time) against the reference: M, N and K one
// below, at and one above the microkernel tiles, transposes, alpha and beta, bias, epilogues,
// MatMul with batch dims folded into M; MatMul of two activations, one small GEMM per batch.
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
