// The blocked layout (ops/blocked_layout.h) and its tactics: the reorders round-trip, the
// BlockedConv reference is FusedConv's, and the direct / depthwise / reorder tactics agree with the
// references at the edges of their tiles (output groups of 1-4 blocks split evenly, tiles of 1-12
// pixels, tiles that cross row ends, border pixels, channels one below, at and one above a block)
// for blocks of 8 (AVX2) and, where the CPU has AVX-512, 16. Input padding lanes hold garbage:
// readers must ignore them.
#include "cpu/amx.h"
#include "ops/blocked_layout.h"
#include "tactic_test_util.h"

namespace kiln::testing {
namespace {

// A blocked tensor of `planar`'s values, its padding lanes filled with finite garbage.
Tensor blocked_of(const Tensor& planar, int64_t block, uint32_t seed) {
  Tensor b(DataType::kFloat32, ops::blocked_shape(planar.shape(), block));
  int64_t spatial = 1;
  for (size_t i = 2; i < planar.shape().size(); ++i) spatial *= planar.shape()[i];
  ops::to_blocked(planar.data<float>(), b.data<float>(), planar.shape()[0], planar.shape()[1], spatial,
                  block);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-100, 100);
  const int64_t c = planar.shape()[1];
  for (int64_t i = 0; i < b.numel(); ++i) {
    const int64_t lane = i % block, blk = (i / block / spatial) % b.shape()[1];
    if (blk * block + lane >= c) b.data<float>()[i] = dist(rng);
  }
  return b;
}

// Element i of a blocked output of `channels` channels is a real channel (not padding).
std::function<bool(int64_t)> real_lanes(const Shape& blocked, int64_t channels) {
  int64_t spatial = 1;
  for (size_t i = 2; i + 1 < blocked.size(); ++i) spatial *= blocked[i];
  const int64_t block = blocked.back(), blocks = blocked[1];
  return [=](int64_t i) { return ((i / block / spatial) % blocks) * block + i % block < channels; };
}

// The block widths this machine has kernels for: 8 (AVX2) and, with AVX-512, 16. A blocked op of
// 16 lanes has no tactic on an AVX2-only CPU, so checking it there would test nothing.
std::vector<int64_t> test_blocks() {
  if (cpu::host_isa() >= cpu::Isa::kAvx512) return {8, 16};
  return {8};
}

struct Case {
  int64_t cin, h, w, cout, k, stride, pad, dilation, group;
  int64_t batch = 1;
};

// What a tactic's rounding may add to an output's error beyond check_tactics' bounds, from its
// window's products x * w (no bias), indexed like the blocked output; doubled for the steepest
// activation (HardSwish: 1.5).
// - bf16x3: each operand is hi + lo to within 2^-18 of itself and the dropped lo * lo is 2^-18 of
//   the product, so each product is within 3 * 2^-18 of exact (FP32's own rounding of K sums,
//   K * 2^-24, on top): that times sum |x w|.
// - FP32 (every other tactic): summing the K products in another order than the reference rounds
//   each partial sum; the errors add up like a random walk over partial sums of size up to
//   sqrt(K) * rms(x w), so 4 * 2^-24 * sqrt(K) * sqrt(sum (x w)^2). Only large K shows it: a sum of
//   5760 products (640 channels x 9 taps) that cancels to 0.02 is 1.3e-5 off either way, above the
//   element-wise atol of 1e-5; with 144 products the allowance is below that atol.
struct RoundingAllowance {
  std::vector<double> bf16x3, fp32;
};
RoundingAllowance rounding_allowance(const Case& c, const Tensor& x, const Tensor& w, int64_t block,
                                     int64_t oh, int64_t ow) {
  const int64_t blocks = (c.cout + block - 1) / block, cg = c.cin / c.group, k = cg * c.k * c.k;
  const double per_product = 2 * (3 * std::ldexp(1.0, -18) + static_cast<double>(k) * std::ldexp(1.0, -24));
  const double per_rms = 2 * 4 * std::ldexp(1.0, -24) * std::sqrt(static_cast<double>(k));
  RoundingAllowance out;
  out.bf16x3.assign(static_cast<size_t>(c.batch * blocks * oh * ow * block), 0.0);
  out.fp32 = out.bf16x3;
  const float *xd = x.data<float>(), *wd = w.data<float>();
  for (int64_t n = 0; n < c.batch; ++n)
    for (int64_t co = 0; co < c.cout; ++co)
      for (int64_t oy = 0; oy < oh; ++oy)
        for (int64_t ox = 0; ox < ow; ++ox) {
          double sum = 0, squares = 0;
          for (int64_t ci = 0; ci < cg; ++ci)
            for (int64_t ky = 0; ky < c.k; ++ky)
              for (int64_t kx = 0; kx < c.k; ++kx) {
                const int64_t iy = oy * c.stride - c.pad + ky * c.dilation;
                const int64_t ix = ox * c.stride - c.pad + kx * c.dilation;
                if (iy < 0 || iy >= c.h || ix < 0 || ix >= c.w) continue;
                const int64_t cx = co / (c.cout / c.group) * cg + ci;
                const double p = double(xd[((n * c.cin + cx) * c.h + iy) * c.w + ix]) *
                                 double(wd[((co * cg + ci) * c.k + ky) * c.k + kx]);
                sum += std::abs(p);
                squares += p * p;
              }
          const auto at =
              static_cast<size_t>((((n * blocks + co / block) * oh + oy) * ow + ox) * block + co % block);
          out.bf16x3[at] = per_product * sum;
          out.fp32[at] = per_rms * std::sqrt(squares);
        }
  return out;
}

// `must_run`: a tactic that must be among those checked (on a machine with its ISA).
int check_blocked_conv(const Case& c, int64_t block, const std::string& activation = "",
                       std::vector<float> params = {}, const std::string& residual = "", uint32_t seed = 1,
                       bool planar_input = false, const std::string& must_run = "",
                       const std::vector<float>& affine = {}) {
  OneNode t(ops::kBlockedConv, "kiln");
  const Tensor x = random_f32({c.batch, c.cin, c.h, c.w}, seed);
  t.input(planar_input ? x : blocked_of(x, block, seed + 10));
  const Tensor w = random_f32({c.cout, c.cin / c.group, c.k, c.k}, seed + 1, -0.5f, 0.5f);
  t.constant(w);
  t.constant(random_f32({c.cout}, seed + 2));
  t.attr("kernel_shape", attr_ints({c.k, c.k}));
  t.attr("strides", attr_ints({c.stride, c.stride}));
  t.attr("pads", attr_ints({c.pad, c.pad, c.pad, c.pad}));
  t.attr("dilations", attr_ints({c.dilation, c.dilation}));
  t.attr("group", attr_i(c.group));
  t.attr("block", attr_i(block));
  if (!activation.empty()) t.attr("activation", attr_s(activation));
  if (!params.empty()) t.attr("activation_params", attr_floats(params));
  if (!affine.empty()) t.attr("output_affine", attr_floats(affine));
  const int64_t oh = (c.h + 2 * c.pad - c.dilation * (c.k - 1) - 1) / c.stride + 1;
  const int64_t ow = (c.w + 2 * c.pad - c.dilation * (c.k - 1) - 1) / c.stride + 1;
  if (!residual.empty()) {
    t.attr("residual_position", attr_s(residual));
    t.input(blocked_of(random_f32({c.batch, c.cout, oh, ow}, seed + 3), block, seed + 11));
  }
  const Shape out = ops::blocked_shape({c.batch, c.cout, oh, ow}, block);
  RoundingAllowance allowance;  // made on first use
  const int ran =
      check_tactics(t, 1e-4, 1e-5, real_lanes(out, c.cout), [&](const std::string& name, int64_t i) {
        if (allowance.fp32.empty()) allowance = rounding_allowance(c, x, w, block, oh, ow);
        const auto& a = name.find("bf16x3") == std::string::npos ? allowance.fp32 : allowance.bf16x3;
        return a[static_cast<size_t>(i)];
      });
  if (!must_run.empty() && cpu::find_tactic(must_run) && cpu::host_isa() >= cpu::find_tactic(must_run)->isa) {
    bool found = false;
    for (const cpu::Tactic* tactic : cpu::tactics_for(*t.node, cpu::host_isa()))
      found |= tactic->name == must_run;
    EXPECT_TRUE(found) << must_run << " does not support the case";
  }
  return ran;
}

TEST(CpuBlocked, ReordersRoundTripAndZeroThePadding) {
  for (int64_t block : test_blocks()) {
    for (int64_t c : {1, 7, 8, 9, 16, 17, 40}) {
      for (Shape spatial : std::vector<Shape>{{1, 1}, {3, 5}, {7, 7}, {50}}) {
        Shape shape{2, c};
        shape.insert(shape.end(), spatial.begin(), spatial.end());
        const Tensor x = random_f32(shape, 3);
        OneNode in(ops::kToBlocked, "kiln");
        in.input(x);
        in.attr("block", attr_i(block));
        EXPECT_GT(check_tactics(in, 0, 0), 0) << "block " << block << " c " << c;
        OneNode out(ops::kToPlanar, "kiln");
        out.input(blocked_of(x, block, 4));
        out.attr("channels", attr_i(c));
        EXPECT_GT(check_tactics(out, 0, 0), 0) << "block " << block << " c " << c;
        // The reference round trip is exact and pads with zeros.
        Tensor b(DataType::kFloat32, ops::blocked_shape(shape, block)), back(DataType::kFloat32, shape);
        const int64_t n_spatial = x.numel() / (2 * c);
        ops::to_blocked(x.data<float>(), b.data<float>(), 2, c, n_spatial, block);
        ops::to_planar(b.data<float>(), back.data<float>(), 2, c, n_spatial, block);
        for (int64_t i = 0; i < x.numel(); ++i) ASSERT_EQ(back.data<float>()[i], x.data<float>()[i]);
        auto real = real_lanes(b.shape(), c);
        for (int64_t i = 0; i < b.numel(); ++i) {
          if (!real(i)) {
            ASSERT_EQ(b.data<float>()[i], 0.0f);
          }
        }
      }
    }
  }
}

TEST(CpuBlocked, DirectTileEdgesOfGroupsAndRows) {
  for (int64_t block : test_blocks()) {
    // Output blocks 1..5 (groups of 4 or 2 and a remainder), widths around the 6-pixel tile.
    for (int64_t cout : {int64_t{5}, block, block + 1, 3 * block, 4 * block + 3}) {
      for (int64_t w : {1, 5, 6, 7, 13}) {
        for (int64_t k : {1, 3}) {
          Case c{block + 1, 3, w, cout, k, 1, k / 2, 1, 1};
          EXPECT_GT(check_blocked_conv(c, block), 0) << "block " << block << " cout " << cout << " w " << w;
        }
      }
    }
  }
}

TEST(CpuBlocked, DirectGroupsSplitEvenlyAndTilesCrossRowEnds) {
  // 6, 9 and 10 output blocks (AVX-512 groups 3+3, 3+3+3, 4+3+3; AVX2 2+2+2, ...), one or two
  // blocks (tiles of up to 12 pixels). Flat planes: pointwise, unpadded stride 2 and narrow padded
  // copies, whose tiles run across row ends (7 x 7 = 49 pixels: 6+6+6+6+5+5+5+5+5).
  for (int64_t block : test_blocks()) {
    for (int64_t blocks : {1, 2, 6, 9, 10}) {
      for (auto [h, w, k, stride, pad] : std::vector<std::array<int64_t, 5>>{{7, 7, 1, 1, 0},
                                                                             {5, 13, 1, 1, 0},
                                                                             {9, 11, 1, 2, 0},
                                                                             {7, 7, 3, 1, 1},
                                                                             {3, 13, 3, 1, 1},
                                                                             {8, 5, 3, 2, 1}}) {
        Case c{block + 5, h, w, blocks * block - 3, k, stride, pad, 1, 1};
        EXPECT_GT(check_blocked_conv(c, block, "Relu", {}, "before"), 0)
            << "block " << block << " out blocks " << blocks << " " << h << "x" << w << " k " << k;
      }
    }
  }
}

TEST(CpuBlocked, DirectRunsTakeRowBorders) {
  // Rows wide enough that the border columns are not copied into a padded plane: on AVX2 the asm
  // runs take whole rows, the left border pixel's first tap run for the other pixels of its tile
  // and the right one's last tap for the first (run_borders): stride 1 (both borders) and 2 (left
  // only, or both on an odd width), tiles of 2 blocks x 6 and 1 block x 12 (3 output blocks),
  // one pass over K or several (a residual before the activation joins the first).
  for (int64_t block : test_blocks()) {
    for (int64_t cin : {2 * block, 40 * block}) {
      for (auto [h, w, stride] : std::vector<std::array<int64_t, 3>>{{4, 46, 1}, {5, 40, 2}, {3, 81, 2}}) {
        Case c{cin, h, w, 3 * block, 3, stride, 1, 1, 1};
        EXPECT_GT(check_blocked_conv(c, block, "Relu", {}, "before"), 0)
            << "block " << block << " cin " << cin << " " << h << "x" << w << " stride " << stride;
      }
    }
  }
}

TEST(CpuBlocked, PointwiseRunsTilesPassesAndEpilogues) {
  // The direct kernel's pointwise runs (1x1, stride 1, each tile whole in one function): one input
  // block, one and a half (a partial last block: its real lanes only), three, and 70 less 3
  // channels (passes over K, partial sums kept in y, the last pass ending on a partial block), planes
  // of 1 to 49 pixels (tiles of 6 and 5, or 12 and 11 for a group of one block, and fewer through
  // the table), output groups of one (partial), one and a half (AVX-512: the half block at half
  // width), two and four (the last of one channel) blocks; every activation, with a residual
  // before (joining the first pass, written over) or after it, and the affine after it.
  const std::vector<std::pair<std::string, std::vector<float>>> acts = {{"Relu", {}},
                                                                        {"Clip", {-0.5f, 0.7f}},
                                                                        {"LeakyRelu", {0.1f}},
                                                                        {"SiLU", {}},
                                                                        {"HardSwish", {}},
                                                                        {"Sigmoid", {}},
                                                                        {"", {}},
                                                                        {"HardSigmoid", {0.2f, 0.5f}},
                                                                        {"Tanh", {}},
                                                                        {"Gelu", {}}};
  size_t next = 0;
  for (int64_t block : test_blocks()) {
    for (int64_t cin : {block, block + block / 2, 3 * block, 70 * block - 3}) {
      for (auto [h, w] :
           std::vector<std::array<int64_t, 2>>{{1, 1}, {1, 5}, {2, 3}, {1, 11}, {7, 7}, {3, 13}, {2, 12}}) {
        for (int64_t cout : {int64_t{3}, block + block / 2, 2 * block, 3 * block + 1}) {
          for (const std::string residual : {"", "before", "after"}) {
            const auto& [act, params] = acts[next++ % acts.size()];
            const std::vector<float> affine =
                next % 4 == 0 ? std::vector<float>{0.75f, -0.25f} : std::vector<float>{};
            EXPECT_GT(check_blocked_conv({cin, h, w, cout, 1, 1, 0, 1, 1}, block, act, params, residual, 1,
                                         false, "", affine),
                      0)
                << "block " << block << " cin " << cin << " " << h << "x" << w << " cout " << cout << " "
                << act << " " << residual << (affine.empty() ? "" : " affine");
          }
        }
      }
    }
  }
}

TEST(CpuBlocked, WindowRunsCrossRowEndsOverPassesAndEpilogues) {
  // The direct kernel's window runs (AVX2: 3-wide kernels over a flat plane, tiles of 2 blocks x 6
  // or 5 pixels that may cross row ends): unpadded layers and zero-padded copies (narrow rows),
  // stride 1 and 2, outputs of 1 to 196 pixels (rows narrower than a tile, one row of 14, tiles
  // split 6 + 5, fewer through the table), one input block, a partial one (three blocks, the last
  // missing two channels: the asm runs), and 40 (two passes over K, partial sums kept in y), 2 or 4
  // output blocks and 3 (a last group of one block: the asm runs), activations with a residual
  // before or after, and the affine.
  const std::vector<std::pair<std::string, std::vector<float>>> acts = {
      {"Relu", {}}, {"SiLU", {}}, {"", {}}, {"HardSwish", {}}, {"Clip", {-0.5f, 0.7f}}, {"Sigmoid", {}}};
  size_t next = 0;
  for (int64_t block : test_blocks()) {
    for (int64_t cin : {block, 3 * block - 2, 40 * block}) {
      for (auto [h, w, k, stride, pad] : std::vector<std::array<int64_t, 5>>{{3, 3, 3, 1, 0},
                                                                             {4, 9, 3, 1, 0},
                                                                             {9, 5, 3, 2, 0},
                                                                             {7, 7, 3, 1, 1},
                                                                             {14, 14, 3, 1, 1},
                                                                             {14, 14, 3, 2, 1},
                                                                             {28, 28, 3, 2, 1},
                                                                             {3, 16, 3, 1, 0}}) {
        for (int64_t cout : {2 * block, 3 * block, 4 * block - 3}) {
          const auto& [act, params] = acts[next % acts.size()];
          const std::string residual = next % 3 == 0 ? "" : next % 3 == 1 ? "before" : "after";
          const std::vector<float> affine =
              next % 5 == 0 ? std::vector<float>{0.75f, -0.25f} : std::vector<float>{};
          ++next;
          const Case c{cin, h, w, cout, k, stride, pad, 1, 1};
          EXPECT_GT(check_blocked_conv(c, block, act, params, residual, 1, false, "", affine), 0)
              << "block " << block << " cin " << cin << " " << h << "x" << w << " k " << k << " stride "
              << stride << " pad " << pad << " cout " << cout << " " << act << " " << residual;
        }
      }
    }
  }
}

TEST(CpuBlocked, WindowRunsTakePlanarImages) {
  // The window runs over a first layer's planar image, 3 or 7 taps per kernel row (AVX2;
  // MobileNetV2's 3x3 and ResNet's 7x7 stride 2): zero-padded (the direct kernel's copy) and
  // unpadded planes, stride 1 and 2, 1 and 3 channels, outputs of 2 x 7 to 16 x 16 (tiles across
  // row ends, 6 + 5), 2 or 4 output blocks and 3 (a last group of one block: the asm runs), an
  // activation and a residual.
  for (int64_t block : test_blocks()) {
    for (int64_t k : {3, 7}) {
      for (int64_t cin : {1, 3}) {
        for (auto [h, w, stride, padded] : std::vector<std::array<int64_t, 4>>{
                 {23, 23, 2, 1}, {9, 20, 2, 0}, {16, 16, 1, 1}, {8, 13, 1, 0}}) {
          for (int64_t cout : {2 * block, 3 * block, 4 * block - 1}) {
            const Case c{cin, h, w, cout, k, stride, padded * (k / 2), 1, 1};
            EXPECT_GT(check_blocked_conv(c, block, "Relu", {}, cout == 3 * block ? "after" : "", 1, true), 0)
                << "block " << block << " k " << k << " cin " << cin << " " << h << "x" << w << " stride "
                << stride << " padded " << padded << " cout " << cout;
          }
        }
      }
    }
  }
}

TEST(CpuBlocked, QuadPointwiseTilesPassesAndEpilogues) {
  // The quad kernel (four input channels per broadcast, AVX-512): input channels below, at and
  // above a block and 600 (38 blocks: two passes over K, partial sums kept in y between them),
  // planes of 1 to 49 pixels (tiles of 1-6), one partial or three output blocks, the epilogue with
  // a residual before (joining the first pass; also written over) or after the activation; stride 2
  // (tiles cross output rows, each pixel's input two columns on).
  if (cpu::host_isa() < cpu::Isa::kAvx512) GTEST_SKIP() << "no AVX-512 here";
  for (int64_t cin : {5, 16, 21, 600}) {
    for (auto [h, w, stride] : std::vector<std::array<int64_t, 3>>{
             {1, 1, 1}, {1, 5, 1}, {2, 3, 1}, {1, 7, 1}, {7, 7, 1}, {3, 13, 1}, {7, 7, 2}, {9, 14, 2}}) {
      for (int64_t cout : {3, 40}) {
        for (const std::string residual : {"", "before", "after"}) {
          Case c{cin, h, w, cout, 1, stride, 0, 1, 1};
          EXPECT_GT(check_blocked_conv(c, 16, residual.empty() ? "Clip" : "Relu",
                                       residual.empty() ? std::vector<float>{0, 6} : std::vector<float>{},
                                       residual, 1, false, "blocked.quad.avx512"),
                    0)
              << "cin " << cin << " " << h << "x" << w << " stride " << stride << " cout " << cout << " "
              << residual;
        }
      }
    }
  }
}

TEST(CpuBlocked, AmxBf16x3RowBlocksPairsStepsAndEpilogues) {
  if (!cpu::amx_usable()) GTEST_SKIP() << "no AMX-BF16 here";
  // Rows: 1, 30, 36 (32 + 4 per image, two images), 49, 400 pixels (tasks of 1-5 blocks of 32, the
  // last short); output blocks 1-5 (pairs, one with a single block; pairs split over tasks where
  // rows are few); K slices odd and even (3 input blocks of 1x1; 9 taps of one block); 3x3
  // padded, strided and dilated windows and a 7x7 stride-2 one.
  struct AmxCase {
    Case c;
    const char* act;
    const char* residual;
  };
  for (const AmxCase& a : std::vector<AmxCase>{{{17, 20, 20, 80, 1, 1, 0, 1, 1}, "Relu", ""},
                                               {{40, 7, 7, 48, 1, 1, 0, 1, 1}, "Clip", "before"},
                                               {{16, 9, 11, 33, 3, 2, 1, 1, 1}, "HardSwish", ""},
                                               {{20, 8, 8, 32, 3, 1, 2, 2, 1}, "", "after"},
                                               {{33, 6, 6, 16, 1, 1, 0, 1, 1, 2}, "Relu", "before"},
                                               {{16, 1, 1, 16, 1, 1, 0, 1, 1}, "", ""},
                                               {{16, 13, 13, 16, 7, 2, 3, 1, 1}, "Relu", "after"}}) {
    const Case& c = a.c;
    const std::vector<float> params =
        std::string(a.act) == "Clip" ? std::vector<float>{0, 6} : std::vector<float>{};
    EXPECT_GT(check_blocked_conv(c, 16, a.act, params, a.residual, 5, false, "blocked.amx_bf16x3"), 0)
        << c.cin << "x" << c.h << "x" << c.w << " -> " << c.cout << " k " << c.k << " batch " << c.batch;
  }
}

TEST(CpuBlocked, NoInputChannelsIsLeftToTheReference) {
  // The kernels write their output in their passes over K; with no input channel there is none.
  Case c{0, 3, 4, 5, 1, 1, 0, 1, 1};
  EXPECT_EQ(check_blocked_conv(c, 16), 0);
}

TEST(CpuBlocked, DirectStridesPaddingDilationAndPointwisePlanes) {
  const std::vector<Case> cases = {
      {3, 9, 9, 16, 3, 2, 1, 1, 1},
      {16, 7, 6, 9, 3, 1, 0, 1, 1},
      {5, 15, 15, 8, 7, 2, 3, 1, 1},
      {8, 10, 10, 8, 3, 1, 2, 2, 1},
      {32, 14, 14, 40, 1, 1, 0, 1, 1},
      {24, 9, 11, 20, 1, 2, 0, 1, 1},
      {17, 4, 4, 33, 5, 1, 2, 1, 1},
      {40, 7, 7, 64, 3, 1, 1, 1, 1},
      {16, 2, 2, 16, 3, 1, 1, 1, 1},
      {16, 5, 5, 24, 1, 1, 1, 1, 1},
      {9, 6, 13, 70, 2, 2, 0, 1, 1},
      // Enough input channels for several passes over K (weights kept to ~32 KB per pass).
      {136, 3, 5, 20, 1, 1, 0, 1, 1},
      {520, 2, 3, 12, 1, 1, 0, 1, 1},
      {70, 4, 9, 40, 3, 1, 1, 1, 1},
  };
  for (int64_t block : test_blocks())
    for (const Case& c : cases)
      EXPECT_GT(check_blocked_conv(c, block), 0) << "block " << block << " cin " << c.cin;
}

TEST(CpuBlocked, DirectWideRowsTakeTheBorderTilesNarrowRowsThePaddedCopy) {
  // Rows of 40+ columns keep one-pixel border tiles; narrower ones copy the input into a padded
  // buffer first (scratch). Both, at and around the 6-pixel tile, with and without a residual.
  for (int64_t block : test_blocks()) {
    for (int64_t w : {7, 12, 31, 32, 33, 40, 41, 47}) {
      for (auto [k, stride, pad] :
           std::vector<std::array<int64_t, 3>>{{3, 1, 1}, {3, 2, 1}, {5, 1, 2}, {7, 2, 3}}) {
        Case c{block + 3, 4, w, 2 * block + 1, k, stride, pad, 1, 1};
        EXPECT_GT(check_blocked_conv(c, block, "Relu", {}, "after"), 0)
            << "block " << block << " w " << w << " k " << k << " s " << stride;
      }
    }
  }
}

TEST(CpuBlocked, DirectReadsAPlanarImage) {
  // A first layer: 1 to 10 planar channels in, blocked out, padded or not, strided, any epilogue.
  for (int64_t block : test_blocks()) {
    for (int64_t cin : {1, 3, 10, 12}) {  // 12: YOLOX's stem after its space-to-depth
      for (auto [h, w, k, stride, pad] : std::vector<std::array<int64_t, 5>>{
               {9, 9, 3, 2, 1},
               {16, 50, 7, 2, 3},
               {5, 100, 7, 2, 3},  // rows of 50: a 12-pixel tile's rows split too (AVX2)
               {6, 13, 5, 2, 2},
               {5, 8, 1, 1, 0},
               {12, 40, 3, 1, 1},
               {18, 20, 15, 1, 7}}) {  // 5 x 15 x 15 > 2048 taps: no offset table, taps per row
        Case c{cin, h, w, block * 2 + 5, k, stride, pad, 1, 1};
        EXPECT_GT(check_blocked_conv(c, block, "Clip", {0, 6}, "", 1, true), 0)
            << "block " << block << " cin " << cin << " w " << w << " k " << k;
      }
    }
  }
}

TEST(CpuBlocked, DepthwiseKernelsStridesAndBorders) {
  for (int64_t block : test_blocks()) {
    for (int64_t ch : {block - 1, block, 3 * block + 1}) {
      for (auto [k, stride, pad, dil] : std::vector<std::array<int64_t, 4>>{{3, 1, 1, 1},
                                                                            {3, 2, 1, 1},
                                                                            {5, 1, 2, 1},
                                                                            {5, 2, 2, 1},
                                                                            {3, 1, 2, 2},
                                                                            {3, 2, 0, 1},
                                                                            {3, 1, 3, 1}}) {
        // Rows take even tiles of up to 8 (1 to 7 alone, 8 + 7, 3 x 8, 4 x 8 + 7 at stride 1) at
        // stride 1 and 2, border pixels in the first and last (their columns outside read as zeros);
        // a padding as wide as the kernel (whole windows outside) takes the general path.
        for (int64_t w : {1, 7, 8, 9, 17, 26, 41}) {
          if (w + 2 * pad < dil * (k - 1) + 1) continue;  // no output column
          Case c{ch, 5, w, ch, k, stride, pad, dil, ch};
          EXPECT_GT(check_blocked_conv(c, block), 0)
              << "block " << block << " ch " << ch << " k " << k << " s " << stride << " w " << w;
        }
      }
    }
  }
}

TEST(CpuBlocked, EveryEpilogue) {
  const std::vector<std::pair<std::string, std::vector<float>>> acts = {
      {"", {}},        {"Relu", {}}, {"Clip", {0, 6}},  {"LeakyRelu", {0.1f}},
      {"Sigmoid", {}}, {"SiLU", {}}, {"HardSwish", {}}, {"HardSigmoid", {0.2f, 0.5f}},
      {"Tanh", {}},    {"Gelu", {}}, {"GeluTanh", {}},
  };
  for (int64_t block : test_blocks()) {
    for (const auto& [act, params] : acts) {
      for (const std::string residual : {"", "before", "after"}) {
        if (act.empty() && residual.empty()) continue;
        EXPECT_GT(check_blocked_conv({20, 6, 7, 20, 3, 1, 1, 1, 1}, block, act, params, residual), 0) << act;
        EXPECT_GT(check_blocked_conv({20, 6, 7, 20, 3, 2, 1, 1, 20}, block, act, params, residual), 0) << act;
      }
    }
  }
}

TEST(CpuBlocked, OutputAffineAfterTheActivation) {
  // aff(act(y)) [+ R after]: the direct (3x3 and 1x1, with Winograd among the tactics) and
  // depthwise kernels, HardSwish's inline path and the general one.
  const std::vector<Case> cases = {
      {20, 6, 7, 20, 3, 1, 1, 1, 1}, {20, 6, 7, 20, 3, 2, 1, 1, 20}, {24, 5, 9, 16, 1, 1, 0, 1, 1}};
  for (int64_t block : test_blocks())
    for (const Case& c : cases)
      for (const std::string act : {"HardSwish", "Sigmoid"})
        for (const std::string residual : {"", "before", "after"})
          EXPECT_GT(check_blocked_conv(c, block, act, {}, residual, 1, false, "", {0.75f, -0.25f}), 0)
              << "block " << block << " k " << c.k << " group " << c.group << " " << act << " " << residual;
}

TEST(CpuBlocked, ResidualBlocksWriteOverTheirResidual) {
  // The memory plan may give a residual block's output the residual's bytes (ops::Memory::kInPlace;
  // check_tactics runs every tactic that way too): the direct kernel must read each residual
  // element before its first pass over K stores partial sums there. Several passes: 300 channels
  // of a 1x1 (19 blocks of 16), 40 of a 3x3 (3 blocks, ~36 KB of weights each); with Winograd and
  // depthwise, and "after" (the residual after the activation: not written over).
  const std::vector<Case> cases = {{300, 5, 7, 40, 1, 1, 0, 1, 1},
                                   {40, 9, 6, 70, 3, 1, 1, 1, 1},
                                   {40, 6, 13, 40, 3, 2, 1, 1, 1},
                                   {48, 7, 9, 48, 3, 1, 1, 1, 48}};
  for (int64_t block : test_blocks())
    for (const Case& c : cases)
      for (const std::string position : {"before", "after"})
        EXPECT_GT(check_blocked_conv(c, block, "Relu", {}, position), 0)
            << "block " << block << " " << position;
  // Not when the residual is also the conv's input.
  OneNode t(ops::kBlockedConv, "kiln");
  t.input(blocked_of(random_f32({1, 16, 4, 4}, 1), 16, 2));
  t.constant(random_f32({16, 16, 1, 1}, 3));
  t.absent();
  t.node->inputs.push_back(t.node->inputs[0]);
  t.attr("block", attr_i(16));
  EXPECT_EQ(ops::find_op("kiln", ops::kBlockedConv)->in_place_input(*t.node), -1);
  t.node->inputs[3] = t.g->create_value("r");
  EXPECT_EQ(ops::find_op("kiln", ops::kBlockedConv)->in_place_input(*t.node), 3);
  t.attr("residual_position", attr_s("after"));
  EXPECT_EQ(ops::find_op("kiln", ops::kBlockedConv)->in_place_input(*t.node), -1);
}

TEST(CpuBlocked, ReferenceIsFusedConvOnThePlanarValues) {
  // The blocked reference against FusedConv directly, padding lanes included (they come out zero).
  OneNode planar("FusedConv", "kiln");
  const Tensor x = random_f32({1, 10, 5, 6}, 7), w = random_f32({12, 10, 3, 3}, 8), b = random_f32({12}, 9);
  planar.input(x);
  planar.constant(w);
  planar.constant(b);
  planar.attr("pads", attr_ints({1, 1, 1, 1}));
  planar.attr("activation", attr_s("Relu"));
  ir::Value* py = planar.g->create_value("y");
  planar.node->outputs = {py};
  ASSERT_TRUE(ops::infer_graph(*planar.g).is_ok());
  ops::RunContext prc(*planar.node, {&x, &w, &b}, nullptr);
  ASSERT_TRUE(ops::find_op("kiln", "FusedConv")->reference(prc).is_ok());
  const Tensor want = blocked_of(prc.output(0), 16, 0);  // only its real lanes are compared

  OneNode blocked(ops::kBlockedConv, "kiln");
  const Tensor xb = blocked_of(x, 16, 5);
  blocked.input(xb);
  blocked.constant(w);
  blocked.constant(b);
  blocked.attr("pads", attr_ints({1, 1, 1, 1}));
  blocked.attr("activation", attr_s("Relu"));
  blocked.attr("block", attr_i(16));
  ir::Value* by = blocked.g->create_value("y");
  blocked.node->outputs = {by};
  ASSERT_TRUE(ops::infer_graph(*blocked.g).is_ok());
  EXPECT_EQ(by->shape, (Shape{1, 1, 5, 6, 16}));
  ops::RunContext brc(*blocked.node, {&xb, &w, &b}, nullptr);
  ASSERT_TRUE(ops::find_op("kiln", ops::kBlockedConv)->reference(brc).is_ok());
  const Tensor& got = brc.output(0);
  auto real = real_lanes(got.shape(), 12);
  for (int64_t i = 0; i < got.numel(); ++i) {
    if (real(i)) {
      EXPECT_EQ(got.data<float>()[i], want.data<float>()[i]) << i;
    } else {
      EXPECT_EQ(got.data<float>()[i], 0.0f) << i;
    }
  }
}

TEST(CpuBlocked, ShapeErrorsNameTheNode) {
  OneNode t(ops::kBlockedConv, "kiln");
  t.input(random_f32({1, 2, 4, 4, 16}, 1));  // 2 blocks, but W says 10 input channels
  t.constant(random_f32({8, 10, 3, 3}, 2));
  t.attr("block", attr_i(16));
  ir::Value* y = t.g->create_value("y");
  t.node->outputs = {y};
  Status st = ops::infer_graph(*t.g);
  EXPECT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find("BlockedConv"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("10 channels"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace kiln::testing

namespace kiln::testing {
namespace {

TEST(CpuBlocked, MaxPoolOfBlockedPlanes) {
  for (int64_t block : test_blocks()) {
    for (auto [k, stride, pad, ceil] : std::vector<std::array<int64_t, 4>>{{3, 2, 1, 0},
                                                                           {2, 2, 0, 0},
                                                                           {3, 2, 1, 1},
                                                                           {5, 1, 2, 0},
                                                                           {9, 1, 4, 0},
                                                                           {3, 1, 0, 0},
                                                                           {13, 1, 6, 0},
                                                                           {5, 2, 2, 1}}) {
      for (int64_t w : {5, 8, 13}) {
        OneNode t("MaxPool", "");
        t.input(blocked_of(random_f32({2, block + 3, 7, w}, 5), block, 6));
        t.attr("kernel_shape", attr_ints({k, k, 1}));
        t.attr("strides", attr_ints({stride, stride, 1}));
        t.attr("pads", attr_ints({pad, pad, 0, pad, pad, 0}));
        t.attr("ceil_mode", attr_i(ceil));
        // Windows of 5 and more take the two-pass path. Padding lanes hold garbage in and out:
        // compared like everything else (max of garbage).
        EXPECT_GT(check_tactics(t, 0, 0), 0) << "block " << block << " k " << k << " w " << w;
      }
    }
  }
}

}  // namespace
}  // namespace kiln::testing

namespace kiln::testing {
namespace {

TEST(CpuBlocked, NearestResizeOfBlockedPlanesKeepsTheLanes) {
  struct Case {
    Shape in;
    std::vector<float> scales;
    std::string transform, rounding;
  };
  const std::vector<Case> cases = {
      {{1, 2, 5, 7, 16}, {1, 1, 2, 2, 1}, "asymmetric", "floor"},
      {{2, 1, 5, 7, 8}, {1, 1, 3, 1.5f, 1}, "half_pixel", "round_prefer_floor"},
      {{1, 3, 9, 8, 16}, {1, 1, 0.5f, 0.75f, 1}, "asymmetric", "ceil"},
  };
  for (const Case& c : cases) {
    OneNode t("Resize", "");
    t.node->opset = 13;
    t.input(random_f32(c.in, 2));
    t.absent();
    Tensor s(DataType::kFloat32, {5});
    for (int i = 0; i < 5; ++i) s.data<float>()[i] = c.scales[i];
    t.constant(std::move(s));
    t.attr("mode", attr_s("nearest"));
    t.attr("coordinate_transformation_mode", attr_s(c.transform));
    t.attr("nearest_mode", attr_s(c.rounding));
    EXPECT_GT(check_tactics(t, 0, 0), 0) << c.transform;
  }
}

}  // namespace
}  // namespace kiln::testing

namespace kiln::testing {
namespace {

TEST(CpuBlocked, WinogradTilesBandsAndEpilogues) {
  // Outputs not a multiple of the 4x4 tile, padding 0 to 2, several bands of tile rows (a 50x40
  // map of 64 channels is two), residuals and activations. Held to 2e-4 of the output's range
  // (tactic_test_util.h), like the planar F(4,3).
  struct W {
    int64_t cin, h, w, cout, pad;
    std::string act, residual;
  };
  const std::vector<W> cases = {{16, 4, 4, 16, 1, "", ""},
                                {5, 7, 9, 17, 1, "Relu", ""},
                                {20, 6, 13, 33, 0, "", "after"},
                                {17, 3, 5, 8, 2, "SiLU", "before"},
                                {64, 50, 40, 64, 1, "Relu", "after"},
                                {40, 1, 1, 24, 1, "", ""}};
  for (int64_t block : test_blocks()) {
    for (const W& c : cases) {
      Case cc{c.cin, c.h, c.w, c.cout, 3, 1, c.pad, 1, 1};
      EXPECT_GT(check_blocked_conv(cc, block, c.act, {}, c.residual), 0)
          << "block " << block << " " << c.h << "x" << c.w;
    }
  }
  // It is offered for 3x3 stride 1 only, next to the direct kernel.
  for (auto [k, stride] : std::vector<std::pair<int64_t, int64_t>>{{3, 1}, {3, 2}, {1, 1}, {5, 1}}) {
    OneNode t(ops::kBlockedConv, "kiln");
    t.input(blocked_of(random_f32({1, 16, 8, 8}, 1), 16, 2));
    t.constant(random_f32({16, 16, k, k}, 3));
    t.attr("kernel_shape", attr_ints({k, k}));
    t.attr("strides", attr_ints({stride, stride}));
    t.attr("block", attr_i(16));
    ir::Value* y = t.g->create_value("y");
    t.node->outputs = {y};
    ASSERT_TRUE(ops::infer_graph(*t.g).is_ok());
    bool winograd = false;
    for (const cpu::Tactic* tactic : cpu::tactics_for(*t.node, cpu::Isa::kAvx512))
      winograd = winograd || tactic->name == "blocked.winograd4x4.avx512";
    EXPECT_EQ(winograd, k == 3 && stride == 1) << "k " << k << " stride " << stride;
  }
}

}  // namespace
}  // namespace kiln::testing
