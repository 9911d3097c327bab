// kiln's vision code against OpenCV, the reference it replaces (OpenCV is linked by this test
// only, never by kiln): resize on many sizes and scales, minimum-area rectangles, DB regions
// against cv::findContours, perspective transforms and warps.
#include <gtest/gtest.h>

#include <cmath>
#include <opencv2/imgproc.hpp>
#include <random>

#include "vision/db_postprocess.h"
#include "vision/geometry.h"
#include "vision/preprocess.h"
#include "vision/text_crop.h"

namespace kiln::vision {
namespace {

cv::Mat random_mat(int w, int h, std::mt19937& rng) {
  cv::Mat m(h, w, CV_8UC3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w * 3; ++x) m.ptr<uint8_t>(y)[x] = static_cast<uint8_t>(rng());
  return m;
}

// Every kernel this CPU runs, on random sizes shrinking and growing, stays within one unit of
// cv::resize(INTER_LINEAR); the largest difference seen is reported.
TEST(VisionVsOpenCv, ResizeWithinOneUnit) {
  std::mt19937 rng(11);
  std::vector<const detail::ResizeKernels*> isas = {&detail::scalar_kernels()};
  if (__builtin_cpu_supports("avx2")) isas.push_back(detail::avx2_kernels());
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw"))
    isas.push_back(detail::avx512_kernels());
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vbmi"))
    isas.push_back(detail::avx512vbmi_kernels());
  int worst = 0;
  for (int trial = 0; trial < 60; ++trial) {
    const int sw = 1 + static_cast<int>(rng() % 400), sh = 1 + static_cast<int>(rng() % 300);
    const int dw = 1 + static_cast<int>(rng() % 300), dh = 1 + static_cast<int>(rng() % 200);
    const cv::Mat src = random_mat(sw, sh, rng);
    cv::Mat ref;
    cv::resize(src, ref, cv::Size(dw, dh), 0, 0, cv::INTER_LINEAR);
    PreprocessSpec spec;
    spec.geometry = stretch(dw, dh);
    spec.input_order = spec.output_order = ChannelOrder::kBGR;
    for (const auto* isa : isas) {
      auto pre = Preprocessor::create(sw, sh, spec, isa);
      ASSERT_TRUE(pre);
      std::vector<float> out(pre->output_floats());
      ASSERT_TRUE(pre->run(ImageView{src.data, sw, sh, 3, src.step[0]}, out.data()));
      for (int c = 0; c < 3; ++c)
        for (int y = 0; y < dh; ++y)
          for (int x = 0; x < dw; ++x) {
            const int d =
                std::abs(static_cast<int>(out[(c * dh + y) * dw + x]) - ref.ptr<uint8_t>(y)[x * 3 + c]);
            worst = std::max(worst, d);
            ASSERT_LE(d, 1) << isa->isa << " " << sw << "x" << sh << " -> " << dw << "x" << dh << " at " << x
                            << "," << y << "," << c;
          }
    }
  }
  std::printf("largest difference from cv::resize over 60 random sizes: %d\n", worst);
}

TEST(VisionVsOpenCv, MinAreaRectMatches) {
  std::mt19937 rng(3);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<cv::Point2f> cv_pts;
    std::vector<Point> pts;
    const int n = 3 + static_cast<int>(rng() % 30);
    const float cx = 200, cy = 100, a = static_cast<float>(rng() % 180) * 3.14159f / 180,
                len = 20 + rng() % 200;
    for (int i = 0; i < n; ++i) {
      // Points scattered around a rotated line, like a text region's pixels.
      const float t = (static_cast<float>(rng() % 1000) / 1000 - 0.5f) * len;
      const float s = (static_cast<float>(rng() % 1000) / 1000 - 0.5f) * 12;
      const float x = std::round(cx + t * std::cos(a) - s * std::sin(a));
      const float y = std::round(cy + t * std::sin(a) + s * std::cos(a));
      cv_pts.emplace_back(x, y);
      pts.push_back({x, y});
    }
    const cv::RotatedRect ref = cv::minAreaRect(cv_pts);
    const RotatedRect got = min_area_rect(pts);
    const float ref_area = ref.size.width * ref.size.height, got_area = got.width * got.height;
    ASSERT_NEAR(got_area, ref_area, 1e-3f * std::max(1.0f, ref_area)) << "trial " << trial;
    ASSERT_NEAR(got.short_side(), std::min(ref.size.width, ref.size.height), 1e-2f) << "trial " << trial;
    ASSERT_NEAR(got.center().x, ref.center.x, 1e-2f) << "trial " << trial;
    ASSERT_NEAR(got.center().y, ref.center.y, 1e-2f) << "trial " << trial;
  }
}

// The rectangle of each region's boundary pixels equals cv::minAreaRect of its cv::findContours
// outer contour.
TEST(VisionVsOpenCv, RegionsMatchFindContours) {
  std::mt19937 rng(8);
  const int w = 120, h = 80;
  cv::Mat mask = cv::Mat::zeros(h, w, CV_8U);
  for (int k = 0; k < 12; ++k) {
    const cv::RotatedRect r({static_cast<float>(rng() % w), static_cast<float>(rng() % h)},
                            {static_cast<float>(4 + rng() % 30), static_cast<float>(2 + rng() % 8)},
                            static_cast<float>(rng() % 180));
    cv::Point2f p[4];
    r.points(p);
    std::vector<cv::Point> poly(p, p + 4);
    cv::fillConvexPoly(mask, poly, 1);
  }
  std::vector<std::vector<cv::Point>> contours;
  cv::findContours(mask.clone(), contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
  std::vector<uint8_t> m(mask.data, mask.data + w * h);
  const auto regions = component_boundaries(m, w, h);
  ASSERT_EQ(regions.size(), contours.size());
  std::vector<float> ref_areas, got_areas;
  for (const auto& c : contours) {
    const cv::RotatedRect r = cv::minAreaRect(c);
    ref_areas.push_back(r.size.width * r.size.height);
  }
  for (const auto& r : regions) {
    const RotatedRect rect = min_area_rect(r);
    got_areas.push_back(rect.width * rect.height);
  }
  std::sort(ref_areas.begin(), ref_areas.end());
  std::sort(got_areas.begin(), got_areas.end());
  for (size_t i = 0; i < ref_areas.size(); ++i)
    EXPECT_NEAR(got_areas[i], ref_areas[i], 1e-2f * std::max(1.0f, ref_areas[i]));
}

TEST(VisionVsOpenCv, PerspectiveTransformAndWarp) {
  const std::array<Point, 4> quad = {Point{31, 12}, Point{190, 30}, Point{185, 71}, Point{25, 50}};
  const std::array<Point, 4> rect = {Point{0, 0}, Point{160, 0}, Point{160, 40}, Point{0, 40}};
  Homography h;
  ASSERT_TRUE(perspective_transform(rect, quad, h));
  std::vector<cv::Point2f> cq, cr;
  for (int i = 0; i < 4; ++i) cq.emplace_back(quad[i].x, quad[i].y), cr.emplace_back(rect[i].x, rect[i].y);
  const cv::Mat m = cv::getPerspectiveTransform(cr, cq);
  for (int i = 0; i < 9; ++i)
    EXPECT_NEAR(h[i], m.at<double>(i / 3, i % 3), 1e-6 * std::max(1.0, std::fabs(h[i])));
  std::mt19937 rng(4);
  const cv::Mat src = random_mat(220, 90, rng);
  Image img(220, 90, 3);
  std::copy(src.data, src.data + img.pixels.size(), img.pixels.begin());
  const Image got = warp_perspective(img, h, 160, 40);
  cv::Mat ref;
  cv::warpPerspective(src, ref, m, cv::Size(160, 40), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP,
                      cv::BORDER_REPLICATE);
  int worst = 0;
  for (int y = 0; y < 40; ++y)
    for (int x = 0; x < 160 * 3; ++x) {
      const int d = std::abs(got.row(y)[x] - ref.ptr<uint8_t>(y)[x]);
      worst = std::max(worst, d);
    }
  // Both sample at 1/32 pixel; OpenCV's 15-bit fixed-point weights round a little differently.
  EXPECT_LE(worst, 1);
}

}  // namespace
}  // namespace kiln::vision
