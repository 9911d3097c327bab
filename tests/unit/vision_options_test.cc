// kiln detect's and kiln ocr's options: parsed by CLI11, checked by `parse`.
#include <gtest/gtest.h>

#include "../../tools/vision_options.h"

namespace kiln::cli {
namespace {

TEST(VisionOptions, DetectParsesThresholds) {
  CLI::App app;
  DetectOptions o;
  o.add_to(app);
  app.parse("--images a.jpg --score 0.5 --iou 0.6 --max 7", false);
  vision::YoloxParams p;
  ASSERT_TRUE(o.parse(p));
  EXPECT_EQ(o.images, "a.jpg");
  EXPECT_FLOAT_EQ(p.score_threshold, 0.5f);
  EXPECT_FLOAT_EQ(p.iou_threshold, 0.6f);
  EXPECT_EQ(p.max_detections, 7);
}

TEST(VisionOptions, DetectRejectsOutOfRange) {
  vision::YoloxParams p;
  DetectOptions o;
  o.score = 1.5f;
  Status st = o.parse(p);
  ASSERT_FALSE(st);
  EXPECT_NE(st.message().find("--score"), std::string::npos);
  o = DetectOptions{};
  o.iou = -0.1f;
  EXPECT_FALSE(o.parse(p));
  o = DetectOptions{};
  o.max_detections = 0;
  EXPECT_FALSE(o.parse(p));
  o = DetectOptions{};
  o.repeat = 0;
  EXPECT_FALSE(o.parse(p));
  CLI::App app;
  DetectOptions needs_images;
  needs_images.add_to(app);
  EXPECT_THROW(app.parse("--score 0.3", false), CLI::RequiredError);
}

TEST(VisionOptions, OcrChecksRanges) {
  CLI::App app;
  OcrOptions o;
  o.add_to(app);
  app.parse("--images page.png --threads 2 --no-cls --det-limit 640", false);
  ASSERT_TRUE(o.parse());
  EXPECT_TRUE(o.no_cls);
  EXPECT_EQ(o.det_limit, 640);
  o.threads = 0;
  Status st = o.parse();
  ASSERT_FALSE(st);
  EXPECT_NE(st.message().find("--threads"), std::string::npos);
  o.threads = 1;
  o.det_limit = 16;
  EXPECT_FALSE(o.parse());
}

}  // namespace
}  // namespace kiln::cli
