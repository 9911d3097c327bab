// The MaxPool, AveragePool and row (Softmax, GlobalAveragePool, LayerNormalization) tactics
// against the reference. Pools: window sizes of the models (3x3
// stride 2, SPP 5/9/13 stride 1, PP-OCR's 3x2 / stride (3, 2)), padding (even and not), ceil mode,
// dilation, count_include_pad, widths around the vector lengths.
#include "tactic_test_util.h"

namespace kiln::testing {
namespace {

// A pool of `op` over a random [2, 3, h, w] input with the given window attributes.
struct PoolWindow {
  int64_t h, w, kh, kw, sh, sw, pt, pl, pb, pr, dilation, ceil;
};
OneNode pool_node(const std::string& op, int opset, const PoolWindow& c) {
  OneNode t(op, "");
  t.node->opset = opset;
  t.input(random_f32({2, 3, c.h, c.w}, 1, -3, 3));
  t.attr("kernel_shape", attr_ints({c.kh, c.kw}));
  t.attr("strides", attr_ints({c.sh, c.sw}));
  t.attr("pads", attr_ints({c.pt, c.pl, c.pb, c.pr}));
  t.attr("dilations", attr_ints({c.dilation, c.dilation}));
  t.attr("ceil_mode", attr_i(c.ceil));
  return t;
}

TEST(CpuMaxPool, WindowsStridesPaddingCeilAndWidths) {
  struct Case {
    int64_t h, w, k, stride, pad, dilation, ceil;
  };
  const std::vector<Case> cases = {{9, 17, 3, 2, 1, 1, 0},   {20, 20, 5, 1, 2, 1, 0}, {20, 20, 9, 1, 4, 1, 0},
                                   {20, 20, 13, 1, 6, 1, 0}, {7, 33, 3, 2, 0, 1, 1},  {8, 16, 2, 2, 0, 1, 0},
                                   {10, 15, 3, 1, 2, 2, 0},  {11, 40, 3, 3, 1, 1, 1}, {5, 65, 3, 1, 1, 1, 0}};
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string("k") + std::to_string(c.k) + " s" + std::to_string(c.stride) + " w" +
                 std::to_string(c.w));
    OneNode t =
        pool_node("MaxPool", 12,
                  {c.h, c.w, c.k, c.k, c.stride, c.stride, c.pad, c.pad, c.pad, c.pad, c.dilation, c.ceil});
    EXPECT_GT(check_tactics(t, 0, 0), 0);
  }
}

TEST(CpuAveragePool, WindowsPaddingCeilAndWhatCounts) {
  // {h, w, kh, kw, sh, sw, pads (t, l, b, r), dilation, ceil}; every case with and without
  // count_include_pad. Averages divide exactly as the reference does: held to 1 ulp-ish.
  const std::vector<PoolWindow> cases = {
      {3, 80, 3, 2, 3, 2, 0, 0, 0, 0, 1, 0},  {9, 17, 3, 3, 2, 2, 1, 1, 1, 1, 1, 0},
      {7, 33, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1},  {10, 15, 3, 3, 1, 1, 2, 2, 2, 2, 2, 0},
      {11, 40, 3, 3, 3, 3, 1, 0, 2, 1, 1, 1}, {5, 65, 2, 2, 1, 1, 1, 1, 0, 0, 1, 0},
      {6, 7, 5, 5, 1, 1, 2, 2, 2, 2, 1, 0},   {8, 16, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1}};
  for (const PoolWindow& c : cases) {
    for (int include : {0, 1}) {
      SCOPED_TRACE(std::string("k") + std::to_string(c.kh) + "x" + std::to_string(c.kw) + " s" +
                   std::to_string(c.sh) + " w" + std::to_string(c.w) + " ceil " + std::to_string(c.ceil) +
                   " include " + std::to_string(include));
      OneNode t = pool_node("AveragePool", 19, c);
      t.attr("count_include_pad", attr_i(include));
      EXPECT_GT(check_tactics(t, 1e-6, 1e-7), 0);
    }
  }
}

}  // namespace
}  // namespace kiln::testing

namespace kiln::testing {
namespace {

TEST(CpuRows, SoftmaxAlongContiguousRowsAndGlobalAveragePool) {
  for (int64_t n : {1, 7, 8, 9, 16, 17, 80, 6625}) {
    for (int opset : {11, 13}) {
      SCOPED_TRACE("softmax n " + std::to_string(n) + " opset " + std::to_string(opset));
      OneNode t("Softmax", "");
      t.node->opset = opset;
      t.input(random_f32({3, n}, 1, -20, 20));
      EXPECT_GT(check_tactics(t, 1e-5, 1e-7), 0);
    }
  }
  OneNode axis1("Softmax", "");  // a row along axis 1 of [2, 5, 3] is strided: the reference's
  axis1.input(random_f32({2, 5, 3}, 1));
  axis1.attr("axis", attr_i(1));
  ir::Value* out = axis1.g->create_value("y");
  axis1.node->outputs = {out};
  ASSERT_TRUE(ops::infer_graph(*axis1.g).is_ok());
  EXPECT_TRUE(cpu::tactics_for(*axis1.node, cpu::host_isa()).empty());
  for (auto [h, w] : std::vector<std::pair<int64_t, int64_t>>{{1, 1}, {3, 5}, {4, 4}, {7, 7}, {20, 33}}) {
    OneNode t("GlobalAveragePool", "");
    t.input(random_f32({2, 3, h, w}, 2));
    EXPECT_GT(check_tactics(t, 1e-5, 1e-6), 0) << h << "x" << w;
  }
}

}  // namespace
}  // namespace kiln::testing

namespace kiln::testing {
namespace {

TEST(CpuRows, LayerNormOverTrailingDims) {
  // Rows around the vector widths (PP-OCRv4 rec's 120, a transformer's 768), normalized over the
  // last axis or the last two, Scale and B constants or activations, B absent, a mean of 10 (the
  // two-pass variance keeps it accurate; far larger ones leave float sums, the reference's too, with
  // errors of their own) and another epsilon.
  struct Case {
    Shape x;
    int64_t axis;
    bool bias, constants;
    float offset, epsilon;
  };
  const std::vector<Case> cases = {
      {{3, 1}, -1, true, true, 0, 1e-5f},       {{2, 7}, -1, true, true, 0, 1e-5f},
      {{5, 16}, -1, false, true, 0, 1e-5f},     {{1, 40, 120}, -1, true, false, 0, 1e-5f},
      {{2, 3, 17}, 1, true, true, 0, 1e-6f},    {{4, 768}, -1, true, true, 10, 1e-5f},
      {{2, 2, 9, 5}, 2, false, false, 3, 1e-3f}};
  for (const Case& c : cases) {
    SCOPED_TRACE("x " + shape_str(c.x) + " axis " + std::to_string(c.axis));
    OneNode t("LayerNormalization", "");
    t.input(random_f32(c.x, 3, c.offset - 2, c.offset + 2));
    const int64_t a = c.axis < 0 ? c.axis + static_cast<int64_t>(c.x.size()) : c.axis;
    const Shape norm(c.x.begin() + a, c.x.end());
    if (c.constants)
      t.constant(random_f32(norm, 4, 0.5f, 1.5f));
    else
      t.input(random_f32(norm, 4, 0.5f, 1.5f));
    if (c.bias) {
      if (c.constants)
        t.constant(random_f32(norm, 5));
      else
        t.input(random_f32(norm, 5));
    }
    t.attr("axis", attr_i(c.axis));
    t.attr("epsilon", attr_f(c.epsilon));
    EXPECT_GT(check_tactics(t, 1e-4, 2e-5), 0);
  }
}

}  // namespace
}  // namespace kiln::testing
