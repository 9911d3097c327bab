// Differential tests of the NN reference kernels (blocked GEMM, im2col convolution, col2im
// transposed convolution) against naive loops written straight from the definitions, at the GEMM's
// tile and block edges; and of the quantisation rounding helpers.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "ops/blocked_gemm.h"
#include "ops/conv_kernel.h"
#include "ops/quant_util.h"

namespace kiln::ops {
namespace {

template <typename T>
std::vector<T> random_values(size_t n, std::mt19937& rng) {
  std::uniform_int_distribution<int> d(-8, 8);  // small integers: float sums are exact
  std::vector<T> v(n);
  for (T& x : v) x = static_cast<T>(d(rng));
  return v;
}

template <typename T>
void check_gemm(int64_t m, int64_t n, int64_t k, bool ta, bool tb, std::mt19937& rng) {
  const std::vector<T> a = random_values<T>(static_cast<size_t>(m * k), rng);
  const std::vector<T> b = random_values<T>(static_cast<size_t>(k * n), rng);
  std::vector<T> c = random_values<T>(static_cast<size_t>(m * n), rng), want = c;
  const MatrixView<T> av{a.data(), ta ? m : k, ta}, bv{b.data(), tb ? k : n, tb};
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      for (int64_t p = 0; p < k; ++p) want[i * n + j] += av.at(i, p) * bv.at(p, j);
    }
  }
  gemm_accumulate<T>(m, n, k, av, bv, c.data(), n);
  for (size_t i = 0; i < c.size(); ++i) {
    ASSERT_EQ(c[i], want[i]) << "m=" << m << " n=" << n << " k=" << k << " ta=" << ta << " tb=" << tb
                             << " at " << i;
  }
}

TEST(BlockedGemm, MatchesNaiveLoopsAtTileAndBlockEdges) {
  std::mt19937 rng(1);
  // The register tile is 4 x 8, the blocks 64 rows, 256 deep and 1024 columns.
  const int64_t ms[] = {1, 3, 4, 5, 63, 65}, ns[] = {1, 7, 8, 9, 1025}, ks[] = {1, 255, 257};
  for (int64_t m : ms) {
    for (int64_t n : ns) {
      for (int64_t k : ks) {
        if (m * n * k > 4'000'000) continue;
        check_gemm<float>(m, n, k, false, false, rng);
        check_gemm<int32_t>(m, n, k, m % 2 == 1, n % 2 == 1, rng);
      }
    }
  }
  for (bool ta : {false, true}) {
    for (bool tb : {false, true}) check_gemm<double>(37, 19, 300, ta, tb, rng);
  }
}

struct ConvCase {
  int64_t batch, cin, cout, group;
  Geometry3d g;
};

// A geometry with the given image dims, kernel, stride, dilation and begin pad; cols derived as Conv does.
Geometry3d conv_geometry(std::array<int64_t, 3> image, std::array<int64_t, 3> kernel,
                         std::array<int64_t, 3> stride, std::array<int64_t, 3> dilation,
                         std::array<int64_t, 3> pad, std::array<int64_t, 3> pad_end) {
  Geometry3d g;
  for (int i = 0; i < 3; ++i) {
    g.image[i] = image[i], g.kernel[i] = kernel[i], g.stride[i] = stride[i], g.dilation[i] = dilation[i];
    g.pad[i] = pad[i], g.pad_end[i] = pad_end[i];
    g.cols[i] = (image[i] + pad[i] + pad_end[i] - (kernel[i] - 1) * dilation[i] - 1) / stride[i] + 1;
  }
  return g;
}

// y[b, m, o] = sum over c in m's group and k of x[b, c, o * s + k * d - p] * w[m, c', k], straight from the
// definition.
std::vector<float> naive_conv(const ConvCase& t, const std::vector<float>& x, const std::vector<float>& w) {
  const Geometry3d& g = t.g;
  const int64_t cin_g = t.cin / t.group, cout_g = t.cout / t.group;
  std::vector<float> y(static_cast<size_t>(t.batch * t.cout * g.col_size()), 0.0f);
  for (int64_t b = 0; b < t.batch; ++b)
    for (int64_t m = 0; m < t.cout; ++m)
      for (int64_t od = 0; od < g.cols[0]; ++od)
        for (int64_t oh = 0; oh < g.cols[1]; ++oh)
          for (int64_t ow = 0; ow < g.cols[2]; ++ow) {
            float sum = 0;
            for (int64_t c = 0; c < cin_g; ++c)
              for (int64_t kd = 0; kd < g.kernel[0]; ++kd)
                for (int64_t kh = 0; kh < g.kernel[1]; ++kh)
                  for (int64_t kw = 0; kw < g.kernel[2]; ++kw) {
                    const int64_t id = od * g.stride[0] + kd * g.dilation[0] - g.pad[0];
                    const int64_t ih = oh * g.stride[1] + kh * g.dilation[1] - g.pad[1];
                    const int64_t iw = ow * g.stride[2] + kw * g.dilation[2] - g.pad[2];
                    if (id < 0 || ih < 0 || iw < 0 || id >= g.image[0] || ih >= g.image[1] ||
                        iw >= g.image[2])
                      continue;
                    const int64_t ci = (m / cout_g) * cin_g + c;
                    sum += x[(((b * t.cin + ci) * g.image[0] + id) * g.image[1] + ih) * g.image[2] + iw] *
                           w[(((m * cin_g + c) * g.kernel[0] + kd) * g.kernel[1] + kh) * g.kernel[2] + kw];
                  }
            y[(((b * t.cout + m) * g.cols[0] + od) * g.cols[1] + oh) * g.cols[2] + ow] = sum;
          }
  return y;
}

std::vector<ConvCase> conv_cases() {
  return {
      {2, 3, 4, 1, conv_geometry({1, 1, 11}, {1, 1, 3}, {1, 1, 2}, {1, 1, 1}, {0, 0, 1}, {0, 0, 2})},  // 1-D
      {1, 4, 6, 2,
       conv_geometry({1, 9, 10}, {1, 3, 3}, {1, 2, 1}, {1, 1, 2}, {0, 1, 2}, {0, 0, 1})},  // groups
      {1, 8, 8, 8,
       conv_geometry({1, 7, 7}, {1, 3, 3}, {1, 1, 1}, {1, 1, 1}, {0, 1, 1}, {0, 1, 1})},  // depthwise
      {1, 5, 7, 1,
       conv_geometry({1, 6, 6}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {0, 0, 0}, {0, 0, 0})},  // pointwise
      {2, 2, 3, 1, conv_geometry({4, 5, 6}, {2, 3, 2}, {2, 1, 3}, {1, 2, 1}, {1, 0, 1}, {0, 2, 1})},  // 3-D
  };
}

TEST(ConvKernel, MatchesTheDefinition) {
  std::mt19937 rng(2);
  for (const ConvCase& t : conv_cases()) {
    const std::vector<float> x =
        random_values<float>(static_cast<size_t>(t.batch * t.cin * t.g.image_size()), rng);
    const std::vector<float> w =
        random_values<float>(static_cast<size_t>(t.cout * (t.cin / t.group) * t.g.kernel_size()), rng);
    std::vector<float> y(static_cast<size_t>(t.batch * t.cout * t.g.col_size()), 0.0f);
    conv_forward<float>(t.g, ConvShape{t.batch, t.cin, t.cout, t.group}, x.data(), w.data(), y.data());
    EXPECT_EQ(y, naive_conv(t, x, w)) << "case with cin " << t.cin << ", group " << t.group;
  }
}

// ConvTranspose is the adjoint of Conv: <conv_transpose(u), v> == <u, conv(v)> with the same weights
// seen as [cin, cout / group, k] by the transpose (here the conv's cout becomes the transpose's input).
TEST(ConvKernel, TransposeIsTheAdjointOfConv) {
  std::mt19937 rng(3);
  for (const ConvCase& t : conv_cases()) {
    const ConvShape conv{t.batch, t.cin, t.cout, t.group}, trans{t.batch, t.cout, t.cin, t.group};
    const std::vector<float> v =
        random_values<float>(static_cast<size_t>(t.batch * t.cin * t.g.image_size()), rng);
    const std::vector<float> u =
        random_values<float>(static_cast<size_t>(t.batch * t.cout * t.g.col_size()), rng);
    const std::vector<float> w =
        random_values<float>(static_cast<size_t>(t.cout * (t.cin / t.group) * t.g.kernel_size()), rng);
    std::vector<float> conv_v(u.size(), 0.0f), trans_u(v.size(), 0.0f);
    conv_forward<float>(t.g, conv, v.data(), w.data(), conv_v.data());
    conv_transpose_forward<float>(t.g, trans, u.data(), w.data(), trans_u.data());
    double lhs = 0, rhs = 0;
    for (size_t i = 0; i < v.size(); ++i) lhs += double(trans_u[i]) * v[i];
    for (size_t i = 0; i < u.size(); ++i) rhs += double(u[i]) * conv_v[i];
    EXPECT_EQ(lhs, rhs) << "case with cin " << t.cin << ", group " << t.group;
  }
}

TEST(Quant, RoundsHalfToEvenAndSaturates) {
  EXPECT_EQ(saturate_round<uint8_t>(2.5f), 2);
  EXPECT_EQ(saturate_round<uint8_t>(3.5f), 4);
  EXPECT_EQ(saturate_round<int8_t>(-2.5f), -2);
  EXPECT_EQ(saturate_round<int8_t>(-3.5f), -4);
  EXPECT_EQ(saturate_round<uint8_t>(300.0f), 255);
  EXPECT_EQ(saturate_round<uint8_t>(-1.0f), 0);
  EXPECT_EQ(saturate_round<int8_t>(-129.0f), -128);
  EXPECT_EQ(saturate_round<int16_t>(40000.0f), 32767);
  EXPECT_EQ(saturate_round<uint8_t>(NAN), 0);
}

TEST(Quant, BlockedParameterLayoutIndexesBlocksAlongTheAxis) {
  ir::Node node;
  node.op_type = "QuantizeLinear";
  auto q = quant_param_layout(node, {2, 5, 3}, {2, 2, 3}, 1, 3);  // blocks of 3 along dim 1: [0, 3), [3, 5)
  ASSERT_TRUE(q.has_value());
  EXPECT_EQ(q->index(0, 2, 1), 1);              // block 0 of row 0, column 1
  EXPECT_EQ(q->index(0, 3, 1), 3 + 1);          // block 1
  EXPECT_EQ(q->index(1, 4, 2), 2 * 3 + 3 + 2);  // row 1, block 1, column 2
  EXPECT_FALSE(quant_param_layout(node, {2, 5, 3}, {2, 1, 3}, 1, 3).has_value());  // wrong block count
  auto per_axis = quant_param_layout(node, {2, 5, 3}, {5}, 1, 0);
  ASSERT_TRUE(per_axis.has_value());
  EXPECT_EQ(per_axis->index(1, 4, 2), 4);
  EXPECT_FALSE(quant_param_layout(node, {2, 5, 3}, {3}, 1, 0).has_value());
}

}  // namespace
}  // namespace kiln::ops
