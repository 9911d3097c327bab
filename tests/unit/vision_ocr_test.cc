// The OCR pipeline's pieces: hull and minimum-area rectangle, box ordering, perspective
// transforms, DB post-processing on a synthetic map, crops and CTC decoding.
#include <gtest/gtest.h>

#include <cmath>

#include "vision/ctc_decode.h"
#include "vision/db_postprocess.h"
#include "vision/geometry.h"
#include "vision/text_crop.h"

namespace kiln::vision {
namespace {

TEST(VisionGeometry, HullAndMinAreaRectOfARotatedRectangle) {
  // Corners of a 20 x 6 rectangle turned by 30 degrees, plus interior points.
  const float a = 0.5235988f, c = std::cos(a), s = std::sin(a);
  std::vector<Point> pts;
  auto at = [&](float u, float v) { return Point{100 + u * c - v * s, 50 + u * s + v * c}; };
  for (float u : {0.0f, 20.0f})
    for (float v : {0.0f, 6.0f}) pts.push_back(at(u, v));
  for (float u = 1; u < 20; u += 3)
    for (float v = 1; v < 6; v += 2) pts.push_back(at(u, v));
  EXPECT_EQ(convex_hull(pts).size(), 4u);
  const RotatedRect r = min_area_rect(pts);
  EXPECT_NEAR(std::max(r.width, r.height), 20, 1e-3);
  EXPECT_NEAR(std::min(r.width, r.height), 6, 1e-3);
  EXPECT_NEAR(r.center().x, 100 + 10 * c - 3 * s, 1e-3);
  const RotatedRect g = expand(r, 2);
  EXPECT_NEAR(g.short_side(), 10, 1e-3);
  EXPECT_NEAR(g.center().y, r.center().y, 1e-3);
  // Degenerate inputs: a point and a segment.
  EXPECT_EQ(min_area_rect(std::vector<Point>{Point{3, 4}}).short_side(), 0);
  const RotatedRect seg = min_area_rect(std::vector<Point>{Point{0, 0}, Point{5, 0}, Point{10, 0}});
  EXPECT_NEAR(std::max(seg.width, seg.height), 10, 1e-6);
  EXPECT_EQ(seg.short_side(), 0);
}

TEST(VisionGeometry, BoxOrderings) {
  const std::array<Point, 4> shuffled = {Point{10, 5}, Point{0, 5}, Point{10, 0}, Point{0, 0}};
  const auto m = order_mini_box(shuffled);
  EXPECT_EQ(m[0].x, 0);  // top-left, top-right, bottom-right, bottom-left
  EXPECT_EQ(m[0].y, 0);
  EXPECT_EQ(m[1].x, 10);
  EXPECT_EQ(m[1].y, 0);
  EXPECT_EQ(m[2].y, 5);
  EXPECT_EQ(m[3].x, 0);
  const auto cw = order_clockwise(shuffled);
  EXPECT_EQ(cw[1].x, 10);
  EXPECT_EQ(cw[1].y, 0);
  EXPECT_EQ(cw[3].x, 0);
  EXPECT_EQ(cw[3].y, 5);
}

TEST(VisionGeometry, PerspectiveTransformMapsCorners) {
  const std::array<Point, 4> src = {Point{0, 0}, Point{100, 0}, Point{100, 30}, Point{0, 30}};
  const std::array<Point, 4> dst = {Point{12, 7}, Point{110, 20}, Point{104, 52}, Point{8, 40}};
  Homography h;
  ASSERT_TRUE(perspective_transform(src, dst, h));
  for (int i = 0; i < 4; ++i) {
    const Point p = transform_point(h, src[i]);
    EXPECT_NEAR(p.x, dst[i].x, 1e-3);
    EXPECT_NEAR(p.y, dst[i].y, 1e-3);
  }
  const std::array<Point, 4> line = {Point{0, 0}, Point{1, 1}, Point{2, 2}, Point{3, 3}};
  EXPECT_FALSE(perspective_transform(line, dst, h));
}

TEST(VisionDb, TwoTextBlocksInReadingOrder) {
  // A 64 x 32 map over a 128 x 64 image: a line at the bottom, one at the top right, one at the
  // top left, and a speck too small to keep.
  const int w = 64, h = 32;
  std::vector<float> prob(w * h, 0.05f);
  auto block = [&](int x0, int y0, int x1, int y1, float v) {
    for (int y = y0; y <= y1; ++y)
      for (int x = x0; x <= x1; ++x) prob[y * w + x] = v;
  };
  block(5, 20, 50, 27, 0.9f);
  block(34, 4, 58, 10, 0.8f);
  block(4, 5, 28, 11, 0.95f);
  block(60, 28, 61, 29, 0.99f);
  const auto boxes = db_postprocess(prob.data(), w, h, 128, 64, DbParams{});
  ASSERT_EQ(boxes.size(), 3u);
  EXPECT_LT(boxes[0].corners[0].x, boxes[1].corners[0].x);  // the two top lines, left first
  EXPECT_GT(boxes[2].corners[0].y, boxes[1].corners[3].y);  // then the bottom line
  EXPECT_NEAR(boxes[0].score, 0.95f, 1e-4);
  // The left block spans map pixels 4..28 (centers) and grows by area * 1.5 / perimeter.
  const float d = 24.0f * 6 * 1.5f / (2 * (24 + 6));
  EXPECT_NEAR(boxes[0].corners[0].x, std::round((4 - d) * 2), 1.0);
  EXPECT_NEAR(boxes[0].corners[1].x, std::round((28 + d) * 2), 1.0);
  // A region scored below the box threshold is dropped.
  block(34, 4, 58, 10, 0.35f);
  EXPECT_EQ(db_postprocess(prob.data(), w, h, 128, 64, DbParams{}).size(), 2u);
}

TEST(VisionDb, ComponentsAreEightConnected) {
  // Two diagonal pixels touch; a third stands apart.
  std::vector<uint8_t> m = {1, 0, 0, 0,  //
                            0, 1, 0, 1,  //
                            0, 0, 0, 0};
  EXPECT_EQ(component_boundaries(m, 4, 3).size(), 2u);
}

TEST(VisionCrop, AxisAlignedCropAndRotations) {
  Image img(8, 6, 3);
  for (int y = 0; y < 6; ++y)
    for (int x = 0; x < 8; ++x) img.row(y)[x * 3] = static_cast<uint8_t>(y * 10 + x);
  auto crop = crop_text(img, {Point{2, 1}, Point{6, 1}, Point{6, 3}, Point{2, 3}});
  ASSERT_TRUE(crop);
  ASSERT_EQ(crop->width, 4);
  ASSERT_EQ(crop->height, 2);
  EXPECT_EQ(crop->row(0)[0], 12);
  EXPECT_EQ(crop->row(1)[3 * 3], 25);
  // Tall boxes come back turned to lie horizontally.
  auto tall = crop_text(img, {Point{1, 0}, Point{3, 0}, Point{3, 5}, Point{1, 5}});
  ASSERT_TRUE(tall);
  EXPECT_EQ(tall->width, 5);
  EXPECT_EQ(tall->height, 2);
  EXPECT_EQ(tall->row(0)[0], img.row(0)[2 * 3]);  // ccw: the top row comes from the right column
  const Image r = rotate_180(img);
  EXPECT_EQ(r.row(0)[0], img.row(5)[7 * 3]);
  EXPECT_FALSE(crop_text(img, {Point{1, 1}, Point{1, 1}, Point{1, 1}, Point{1, 1}}));
}

TEST(VisionCtc, GreedyDecodeMergesRepeatsAndDropsBlanks) {
  const CtcDictionary dict({"a", "b"});  // 0 blank, 1 a, 2 b, 3 space
  ASSERT_EQ(dict.classes(), 4u);
  // a a blank a b space b -> "aab b"
  const int best[] = {1, 1, 0, 1, 2, 3, 2};
  std::vector<float> p(7 * 4, 0.0f);
  for (int t = 0; t < 7; ++t) p[t * 4 + best[t]] = t == 0 ? 0.5f : 1.0f;
  const CtcResult r = ctc_greedy_decode(p.data(), 7, 4, dict);
  EXPECT_EQ(r.text, "aab b");
  EXPECT_NEAR(r.score, (0.5f + 1 + 1 + 1 + 1) / 5, 1e-6);
  EXPECT_FALSE(CtcDictionary::load("/nonexistent/keys.txt"));
}

}  // namespace
}  // namespace kiln::vision
