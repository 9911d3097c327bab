// Conv tactics against the reference Conv / kiln.FusedConv: sizes one below, at and one above the
// microkernel tiles (MR = 6 or 8 output channels, NR = 16, 48 or 64 output positions), strides,
// padding, dilation, groups, every epilogue, and special values.
#include "tactic_test_util.h"

namespace kiln::testing {
namespace {

struct ConvCase {
  int64_t n, cin, h, w, cout, k, stride, pad, dilation, group;
};

OneNode conv_node(const ConvCase& c, const std::string& activation = "", std::vector<float> params = {},
                  const std::string& residual = "", bool bias = true, uint32_t seed = 1) {
  const bool fused = !activation.empty() || !residual.empty();
  OneNode t(fused ? "FusedConv" : "Conv", fused ? "kiln" : "");
  t.input(random_f32({c.n, c.cin, c.h, c.w}, seed));
  t.constant(random_f32({c.cout, c.cin / c.group, c.k, c.k}, seed + 1, -0.5f, 0.5f));
  if (bias) {
    t.constant(random_f32({c.cout}, seed + 2));
  } else if (!residual.empty()) {
    t.absent();
  }
  t.attr("kernel_shape", attr_ints({c.k, c.k}));
  t.attr("strides", attr_ints({c.stride, c.stride}));
  t.attr("pads", attr_ints({c.pad, c.pad, c.pad, c.pad}));
  t.attr("dilations", attr_ints({c.dilation, c.dilation}));
  t.attr("group", attr_i(c.group));
  if (fused) {
    t.attr("activation", attr_s(activation));
    if (!params.empty()) t.attr("activation_params", attr_floats(params));
    if (!residual.empty()) {
      t.attr("residual_position", attr_s(residual));
      int64_t oh = (c.h + 2 * c.pad - c.dilation * (c.k - 1) - 1) / c.stride + 1;
      int64_t ow = (c.w + 2 * c.pad - c.dilation * (c.k - 1) - 1) / c.stride + 1;
      t.input(random_f32({c.n, c.cout, oh, ow}, seed + 3));
    }
  }
  return t;
}

TEST(CpuConv, TileEdgesOfOutputChannelsAndPositions) {
  // cout around 6 and 8 (MR), positions around 16, 32, 48 and 64 (NR): 4x4=16, 3x11=33, 7x7=49 ...
  for (int64_t cout : {1, 5, 6, 7, 8, 9, 16, 17}) {
    for (auto [h, w] : std::vector<std::pair<int64_t, int64_t>>{{3, 5},
                                                                {4, 4},
                                                                {1, 17},
                                                                {4, 8},
                                                                {3, 11},
                                                                {1, 31},
                                                                {5, 7},
                                                                {1, 47},
                                                                {6, 8},
                                                                {7, 7},
                                                                {3, 21},
                                                                {8, 8},
                                                                {5, 13}}) {
      for (int64_t k : {1, 3}) {
        ConvCase c{1, 3, h, w, cout, k, 1, k / 2, 1, 1};
        OneNode t = conv_node(c);
        EXPECT_GT(check_tactics(t), 0) << "cout " << cout << " " << h << "x" << w << " k" << k;
      }
    }
  }
}

TEST(CpuConv, StridesPaddingDilationGroupsBatch) {
  const std::vector<ConvCase> cases = {
      {1, 8, 9, 9, 16, 3, 2, 1, 1, 1},  {2, 4, 7, 6, 9, 3, 1, 0, 1, 1},   {1, 3, 15, 15, 8, 7, 2, 3, 1, 1},
      {1, 8, 10, 10, 8, 3, 1, 2, 2, 1}, {1, 8, 6, 6, 12, 3, 1, 1, 1, 2},  {1, 16, 5, 9, 16, 1, 2, 0, 1, 4},
      {1, 4, 12, 5, 7, 5, 1, 2, 1, 1},  {3, 6, 4, 4, 6, 3, 2, 1, 1, 3},   {1, 32, 14, 14, 40, 1, 1, 0, 1, 1},
      {1, 5, 33, 2, 3, 3, 1, 1, 1, 1},  {1, 64, 7, 7, 33, 3, 1, 1, 1, 1},
  };
  for (const ConvCase& c : cases) {
    for (bool bias : {true, false}) {
      OneNode t = conv_node(c, "", {}, "", bias);
      EXPECT_GT(check_tactics(t), 0);
    }
  }
}

TEST(CpuConv, LongKRunsInBlocksOfK) {
  // K past every microkernel's K block (gemm_blocking: 512-1024 rows of B): the implicit im2col
  // packs a slice of (channel, tap) rows starting mid-channel, pointwise convs a slice of channels,
  // the tiles add block after block and the epilogue (residual, ReLU) runs once at the end.
  for (const ConvCase& c :
       std::vector<ConvCase>{{1, 130, 5, 7, 9, 3, 1, 1, 1, 1}, {1, 1100, 4, 5, 17, 1, 1, 0, 1, 1}}) {
    OneNode t = conv_node(c, "Relu", {}, "before");
    EXPECT_GT(check_tactics(t, 1e-4, 1e-4), 0) << c.cin << " channels, k" << c.k;
  }
  // A transposed conv's K is its input channels.
  OneNode t("ConvTranspose", "");
  t.input(random_f32({1, 1100, 2, 3}, 1));
  t.constant(random_f32({1100, 5, 2, 2}, 2, -0.5f, 0.5f));
  t.attr("kernel_shape", attr_ints({2, 2}));
  t.attr("strides", attr_ints({2, 2}));
  EXPECT_GT(check_tactics(t, 1e-4, 1e-4), 0);
}

TEST(CpuConv, EveryFusedEpilogue) {
  ConvCase c{1, 6, 5, 7, 10, 3, 1, 1, 1, 1};
  const std::vector<std::pair<std::string, std::vector<float>>> acts = {
      {"Relu", {}},
      {"Clip", {0, 6}},
      {"LeakyRelu", {0.1f}},
      {"Sigmoid", {}},
      {"HardSigmoid", {0.2f, 0.5f}},
      {"HardSwish", {}},
      {"SiLU", {}},
      {"Tanh", {}},
      {"Gelu", {}},
      {"GeluTanh", {}},
  };
  for (const auto& [act, params] : acts) {
    for (std::string residual : {"", "before", "after"}) {
      SCOPED_TRACE(act + " residual " + residual);
      OneNode t = conv_node(c, act, params, residual);
      EXPECT_GT(check_tactics(t, 2e-4, 2e-5), 0) << act << " residual " << residual;
    }
  }
  OneNode t = conv_node(c, "", {}, "after");  // residual alone
  EXPECT_GT(check_tactics(t), 0);
  // A scalar affine after the activation (before a residual added after it); HardSwish and ReLU
  // take their own inline paths, Sigmoid the general one. A 1x1 takes the GEMM tile's epilogue.
  for (const ConvCase& cc : {c, ConvCase{1, 20, 4, 9, 13, 1, 1, 0, 1, 1}}) {
    for (std::string act : {"HardSwish", "Relu", "Sigmoid"}) {
      for (std::string residual : {"", "before", "after"}) {
        SCOPED_TRACE(act + " residual " + residual + " affine");
        OneNode a = conv_node(cc, act, {}, residual);
        a.attr("output_affine", attr_floats({0.75f, -0.25f}));
        EXPECT_GT(check_tactics(a, 2e-4, 2e-5), 0);
      }
    }
  }
}

TEST(CpuConv, SpecialValuesSaturateLikeTheReference) {
  // Large inputs push sigmoid, tanh and exp to their limits; zeros and exact ties hit the clips.
  ConvCase c{1, 4, 4, 9, 9, 1, 1, 0, 1, 1};
  for (std::string act : {"Sigmoid", "SiLU", "Tanh", "Gelu", "HardSwish"}) {
    SCOPED_TRACE(act);
    OneNode t = conv_node(c, act);
    Tensor& x = t.feeds.begin()->second;
    for (int64_t i = 0; i < x.numel(); ++i)
      x.data<float>()[i] = (i % 5 == 0) ? 0.0f : (i % 2 ? 300.0f : -300.0f) * (i % 7);
    EXPECT_GT(check_tactics(t, 2e-4, 2e-5), 0) << act;
  }
}

TEST(CpuConv, DepthwiseIsLeftToItsOwnTactic) {
  OneNode t = conv_node({1, 8, 6, 6, 8, 3, 1, 1, 1, 8});
  ir::Value* out = t.g->create_value("y");
  t.node->outputs = {out};
  ASSERT_TRUE(ops::infer_graph(*t.g).is_ok());
  for (const cpu::Tactic* tactic : cpu::tactics_for(*t.node, cpu::host_isa()))
    EXPECT_EQ(tactic->name.find("conv2d.gemm"), std::string::npos) << tactic->name;
}

}  // namespace
}  // namespace kiln::testing

namespace kiln::testing {
namespace {

TEST(CpuDepthwise, KernelsStridesPaddingAndWidthsAroundTheVectors) {
  // Widths around 8 and 16 lanes (and 4 vectors of them), kernels 3 and 5, strides 1 and 2.
  for (int64_t w : {1, 7, 8, 9, 15, 16, 17, 33, 65}) {
    for (int64_t k : {3, 5}) {
      for (int64_t stride : {1, 2}) {
        ConvCase c{2, 6, 5, w, 6, k, stride, k / 2, 1, 6};
        SCOPED_TRACE("w " + std::to_string(w) + " k " + std::to_string(k) + " stride " +
                     std::to_string(stride));
        OneNode t = conv_node(c, "Relu", {}, "after");
        EXPECT_GT(check_tactics(t), 0) << "w " << w << " k " << k << " stride " << stride;
      }
    }
  }
  for (const ConvCase& c : std::vector<ConvCase>{{1, 4, 9, 11, 4, 3, 1, 0, 1, 4},
                                                 {1, 4, 9, 11, 4, 3, 1, 2, 2, 4},
                                                 {1, 3, 10, 19, 3, 3, 3, 1, 1, 3},
                                                 {1, 5, 4, 4, 5, 1, 1, 0, 1, 5}}) {
    SCOPED_TRACE("k " + std::to_string(c.k) + " stride " + std::to_string(c.stride) + " pad " +
                 std::to_string(c.pad) + " dilation " + std::to_string(c.dilation));
    OneNode t = conv_node(c, "HardSwish", {}, "", false);
    EXPECT_GT(check_tactics(t), 0);
  }
}

}  // namespace
}  // namespace kiln::testing

namespace kiln::testing {
namespace {

TEST(CpuConvTranspose, KernelEqualsStrideWithEpilogues) {
  struct Case {
    int64_t n, cin, h, w, cout, k;
  };
  for (const Case& c :
       std::vector<Case>{{1, 24, 5, 7, 24, 2},
                         {2, 3, 4, 9, 1, 2},
                         {1, 8, 3, 3, 9, 3},
                         {1, 5, 17, 2, 7, 2},
                         {1, 400, 6, 5, 6, 2}}) {  // (several blocks over K; tasks of a few input rows)
    for (std::string act : {"", "Relu", "Sigmoid"}) {
      for (bool residual : {false, true}) {
        const bool fused = !act.empty() || residual;
        OneNode t(fused ? "FusedConvTranspose" : "ConvTranspose", fused ? "kiln" : "");
        t.input(random_f32({c.n, c.cin, c.h, c.w}, 1));
        t.constant(random_f32({c.cin, c.cout, c.k, c.k}, 2, -0.5f, 0.5f));
        t.constant(random_f32({c.cout}, 3));
        t.attr("kernel_shape", attr_ints({c.k, c.k}));
        t.attr("strides", attr_ints({c.k, c.k}));
        if (fused) {
          t.attr("activation", attr_s(act));
          if (residual) {
            t.attr("residual_position", attr_s("before"));
            t.input(random_f32({c.n, c.cout, c.h * c.k, c.w * c.k}, 4));
          }
        }
        EXPECT_GT(check_tactics(t), 0)
            << c.cin << "->" << c.cout << " k" << c.k << " " << act << " " << residual;
      }
    }
  }
}

}  // namespace
}  // namespace kiln::testing

namespace kiln::testing {
namespace {

// Winograd F(2,3) and F(4,3): output sizes around the tiles (2 and 4) and the GEMM panels (tiles
// counts around NR), padding 0 and 1, channels around MR, every epilogue. F(4,3) amplifies rounding
// (its transforms have entries up to 8 and 1/24), hence the looser relative bound.
TEST(CpuWinograd, TileEdgesPaddingAndEpilogues) {
  for (int64_t hw : {3, 4, 5, 7, 8, 9, 13, 14, 28}) {
    for (int64_t pad : {0, 1}) {
      for (int64_t cout : {5, 8, 17}) {
        if (hw + 2 * pad < 3) continue;
        SCOPED_TRACE("hw " + std::to_string(hw) + " pad " + std::to_string(pad) + " cout " +
                     std::to_string(cout));
        ConvCase c{1, 6, hw, hw + 1, cout, 3, 1, pad, 1, 1};
        OneNode t = conv_node(c, "Relu", {}, "after");
        EXPECT_GT(check_tactics(t, 1e-3, 1e-4), 0);
      }
    }
  }
  ConvCase wide{2, 32, 20, 23, 24, 3, 1, 1, 1, 1};
  for (std::string act : {"SiLU", "HardSwish", "Clip"}) {
    OneNode t =
        conv_node(wide, act, act == "Clip" ? std::vector<float>{0, 6} : std::vector<float>{}, "before");
    EXPECT_GT(check_tactics(t, 1e-3, 1e-4), 0) << act;
  }
}

TEST(CpuWinograd, IsOfferedFor3x3Stride1Only) {
  for (const ConvCase& c : std::vector<ConvCase>{
           {1, 4, 8, 8, 4, 3, 2, 1, 1, 1}, {1, 4, 8, 8, 4, 5, 1, 2, 1, 1}, {1, 4, 8, 8, 4, 3, 1, 2, 2, 1}}) {
    OneNode t = conv_node(c);
    ir::Value* out = t.g->create_value("y");
    t.node->outputs = {out};
    ASSERT_TRUE(ops::infer_graph(*t.g).is_ok());
    for (const cpu::Tactic* tactic : cpu::tactics_for(*t.node, cpu::host_isa()))
      EXPECT_EQ(tactic->name.find("winograd"), std::string::npos) << tactic->name;
  }
}

}  // namespace
}  // namespace kiln::testing
