// Fused pre-processing: sampling tables, every ISA against the scalar kernels (bit for bit on the
// 8-bit values), an independent floating-point bilinear oracle, padding, channel order, threads
// and errors.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "vision/preprocess.h"

namespace kiln::vision {
namespace {

Image random_image(int w, int h, uint32_t seed) {
  Image img(w, h, 3);
  std::mt19937 rng(seed);
  for (auto& p : img.pixels) p = static_cast<uint8_t>(rng());
  return img;
}

// Normalization that keeps the 8-bit value visible: out = pixel.
PreprocessSpec identity_spec(ResizeGeometry g) {
  PreprocessSpec s;
  s.geometry = g;
  return s;
}

std::vector<float> run(const Image& img, const PreprocessSpec& spec, const detail::ResizeKernels* k = nullptr,
                       ThreadPool* pool = nullptr) {
  auto p = Preprocessor::create(img.width, img.height, spec, k);
  EXPECT_TRUE(p) << p.status().message();
  std::vector<float> out(p->output_floats(), -1.0f);
  Status st = p->run(img.view(), out.data(), pool);
  EXPECT_TRUE(st) << st.message();
  return out;
}

// OpenCV's INTER_LINEAR in exact arithmetic: half-pixel centers, edges clamped.
double bilinear(const Image& img, int c, double sx, double sy) {
  sx = std::max(sx, 0.0), sy = std::max(sy, 0.0);
  int x0 = static_cast<int>(std::floor(sx)), y0 = static_cast<int>(std::floor(sy));
  double fx = sx - x0, fy = sy - y0;
  if (x0 >= img.width - 1) x0 = img.width - 1, fx = 0;
  if (y0 >= img.height - 1) y0 = img.height - 1, fy = 0;
  const int x1 = std::min(x0 + 1, img.width - 1), y1 = std::min(y0 + 1, img.height - 1);
  auto at = [&](int x, int y) { return static_cast<double>(img.row(y)[x * 3 + c]); };
  return (at(x0, y0) * (1 - fx) + at(x1, y0) * fx) * (1 - fy) +
         (at(x0, y1) * (1 - fx) + at(x1, y1) * fx) * fy;
}

TEST(VisionPreprocess, TablesFollowOpenCvRules) {
  // 4 -> 2: every dst pixel sits between two source pixels, half and half.
  auto t = detail::make_tables(4, 4, 2, 2);
  EXPECT_EQ(t.xofs0[0], 0);
  EXPECT_EQ(t.xofs1[0], 3);
  EXPECT_EQ(t.alpha[0], 1024 | (1024 << 16));
  EXPECT_EQ(t.xofs0[1], 6);
  // 2 -> 4 upscaling: the first dst pixel maps left of the first source pixel: clamped, weight 1.
  t = detail::make_tables(2, 2, 4, 4);
  EXPECT_EQ(t.xofs0[0], 0);
  EXPECT_EQ(t.alpha[0], 2048);
  EXPECT_EQ(t.xofs0[3], 3);  // right edge: the last pixel alone
  EXPECT_EQ(t.alpha[3], 2048);
  EXPECT_EQ(t.perm_lanes, 16);
  // Byte-permute groups: 16 columns from one 128-byte window while their taps fit, else pairs of
  // blocks whose taps fit 64 bytes each (7 + 7 at 3x), else none (gathers).
  EXPECT_EQ(detail::make_tables(1920, 1, 640, 1).perm_lanes, 14);
  EXPECT_EQ(detail::make_tables(400, 1, 30, 1).perm_lanes, 0);
  // Rows are clamped but keep their weights (0.75 / 0.25 at the top edge).
  EXPECT_EQ(t.yofs0[0], 0);
  EXPECT_EQ(t.yofs1[0], 0);
  EXPECT_EQ(t.beta0[0], 512);
  EXPECT_EQ(t.beta1[0], 1536);
  // Gathers stop where a 4-byte load at the right tap would pass 3 * width: dst 8 has its right
  // tap at source pixel 9, bytes 27..30.
  t = detail::make_tables(10, 1, 10, 1);
  EXPECT_EQ(t.x_gather_end, 8);
}

TEST(VisionPreprocess, LetterboxGeometry) {
  auto g = letterbox(1920, 1280, 640, 640, Placement::kCenter);
  EXPECT_EQ(g.resized_width, 640);
  EXPECT_EQ(g.resized_height, 426);  // int(1280 * 640 / 1920): truncated like YOLOX
  EXPECT_EQ(g.offset_x, 0);
  EXPECT_EQ(g.offset_y, 107);
  g = letterbox(1920, 1280, 960, 608, Placement::kTopLeft);
  EXPECT_EQ(g.resized_width, 912);
  EXPECT_EQ(g.resized_height, 608);
  EXPECT_EQ(g.offset_x, 0);
  EXPECT_FLOAT_EQ(g.to_source_x(456, 1920), 960.0f);
  auto k = keep_ratio(300, 100, 0.5);
  EXPECT_EQ(k.out_width, 150);
  EXPECT_EQ(k.out_height, 50);
}

// Sizes around the SIMD blocks (8 and 16 columns in the horizontal pass, 16 and 32 in the
// vertical), up- and downscaling (permute blocks of 16, 8 and none), odd offsets.
struct Case {
  int sw, sh, ow, oh;
  Placement place;
};
const Case kCases[] = {{64, 48, 15, 9, Placement::kCenter},        {64, 48, 16, 16, Placement::kTopLeft},
                       {64, 48, 17, 33, Placement::kCenter},       {40, 30, 31, 31, Placement::kCenter},
                       {40, 30, 32, 32, Placement::kTopLeft},      {40, 30, 33, 65, Placement::kCenter},
                       {7, 5, 64, 64, Placement::kCenter},         {1, 1, 8, 8, Placement::kCenter},
                       {200, 3, 97, 50, Placement::kCenter},       {333, 217, 160, 96, Placement::kCenter},
                       {1920, 1280, 640, 640, Placement::kCenter}, {400, 20, 30, 10, Placement::kCenter}};

TEST(VisionPreprocess, EveryIsaMatchesScalar) {
  std::vector<const detail::ResizeKernels*> isas = {detail::avx2_kernels()};
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw"))
    isas.push_back(detail::avx512_kernels());
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vbmi"))
    isas.push_back(detail::avx512vbmi_kernels());
  if (!__builtin_cpu_supports("avx2")) isas.clear();
  for (const Case& c : kCases) {
    const Image img = random_image(c.sw, c.sh, c.sw * 131 + c.ow);
    PreprocessSpec spec = identity_spec(letterbox(c.sw, c.sh, c.ow, c.oh, c.place));
    const auto ref = run(img, spec, &detail::scalar_kernels());
    for (const auto* isa : isas) {
      const auto got = run(img, spec, isa);
      for (size_t i = 0; i < ref.size(); ++i)
        ASSERT_EQ(got[i], ref[i]) << isa->isa << " " << c.sw << "x" << c.sh << " -> " << c.ow << "x" << c.oh
                                  << " at " << i;
    }
  }
}

TEST(VisionPreprocess, WithinOneUnitOfExactBilinear) {
  for (const Case& c : kCases) {
    const Image img = random_image(c.sw, c.sh, 7 + c.oh);
    const ResizeGeometry g = stretch(c.ow, c.oh);
    const auto out = run(img, identity_spec(g));
    const double scale_x = double(c.sw) / c.ow, scale_y = double(c.sh) / c.oh;
    double worst = 0;
    for (int ch = 0; ch < 3; ++ch)
      for (int y = 0; y < c.oh; ++y)
        for (int x = 0; x < c.ow; ++x) {
          const double want = bilinear(img, ch, (x + 0.5) * scale_x - 0.5, (y + 0.5) * scale_y - 0.5);
          worst = std::max(worst, std::fabs(out[(ch * c.oh + y) * c.ow + x] - want));
        }
    EXPECT_LE(worst, 1.0) << c.sw << "x" << c.sh << " -> " << c.ow << "x" << c.oh;
  }
}

TEST(VisionPreprocess, PaddingChannelOrderAndNormalization) {
  Image img(10, 5, 3);  // one color: R=200, G=100, B=50
  for (int i = 0; i < 50; ++i)
    img.pixels[i * 3] = 200, img.pixels[i * 3 + 1] = 100, img.pixels[i * 3 + 2] = 50;
  PreprocessSpec s;
  s.geometry = letterbox(10, 5, 8, 8, Placement::kCenter);  // 8x4 image, rows 2..5
  s.input_order = ChannelOrder::kRGB;
  s.output_order = ChannelOrder::kBGR;
  s.scale = 1.0f / 255.0f;
  s.mean = {0.1f, 0.2f, 0.3f};
  s.std = {0.5f, 0.25f, 2.0f};
  s.pad_pixel = {10, 20, 30};
  const auto out = run(img, s);
  const float bgr[3] = {50, 100, 200};
  for (int c = 0; c < 3; ++c) {
    const float image_value = (bgr[c] / 255.0f - s.mean[c]) / s.std[c];
    const float pad_value = (s.pad_pixel[c] / 255.0f - s.mean[c]) / s.std[c];
    for (int y = 0; y < 8; ++y) {
      const float want = (y >= 2 && y < 6) ? image_value : pad_value;
      for (int x = 0; x < 8; ++x)
        EXPECT_NEAR(out[(c * 8 + y) * 8 + x], want, 1e-5) << c << " " << y << " " << x;
    }
  }
  s.pad_value = 0.0f;  // PaddleOCR's raw zero padding
  const auto zero_pad = run(img, s);
  EXPECT_EQ(zero_pad[0], 0.0f);
  EXPECT_NEAR(zero_pad[2 * 8], (50 / 255.0f - 0.1f) / 0.5f, 1e-5);
}

TEST(VisionPreprocess, ThreadsGiveTheSameBytes) {
  const Image img = random_image(333, 217, 3);
  const PreprocessSpec s = identity_spec(letterbox(333, 217, 160, 160, Placement::kCenter));
  ThreadPool pool(3);
  EXPECT_EQ(run(img, s, nullptr, &pool), run(img, s));
}

TEST(VisionPreprocess, StridedRows) {
  const Image img = random_image(20, 10, 5);
  std::vector<uint8_t> padded(static_cast<size_t>(10) * 64, 0xAB);
  for (int y = 0; y < 10; ++y) std::copy_n(img.row(y), 60, padded.data() + y * 64);
  const PreprocessSpec s = identity_spec(stretch(13, 7));
  auto p = Preprocessor::create(20, 10, s);
  ASSERT_TRUE(p);
  std::vector<float> out(p->output_floats());
  ASSERT_TRUE(p->run(ImageView{padded.data(), 20, 10, 3, 64}, out.data()));
  EXPECT_EQ(out, run(img, s));
}

TEST(VisionPreprocess, ErrorsSayWhatIsWrong) {
  PreprocessSpec s = identity_spec(stretch(8, 8));
  auto p = Preprocessor::create(0, 5, s);
  ASSERT_FALSE(p);
  EXPECT_NE(p.status().message().find("empty"), std::string::npos);
  s.geometry = {8, 8, 9, 8, 0, 0};
  p = Preprocessor::create(4, 4, s);
  ASSERT_FALSE(p);
  EXPECT_NE(p.status().message().find("does not fit"), std::string::npos);
  s = identity_spec(stretch(8, 8));
  s.std[1] = 0;
  EXPECT_FALSE(Preprocessor::create(4, 4, s));
  s.std[1] = 1;
  p = Preprocessor::create(4, 4, s);
  ASSERT_TRUE(p);
  const Image other = random_image(5, 4, 1);
  std::vector<float> out(p->output_floats());
  Status st = p->run(other.view(), out.data());
  ASSERT_FALSE(st);
  EXPECT_NE(st.message().find("5x4"), std::string::npos);
  Image gray(4, 4, 1);
  st = p->run(gray.view(), out.data());
  ASSERT_FALSE(st);
  EXPECT_NE(st.message().find("channels"), std::string::npos);
}

}  // namespace
}  // namespace kiln::vision
