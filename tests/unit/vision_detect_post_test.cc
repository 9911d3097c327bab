// YOLOX decoding, class-aware NMS and the kiln.YoloxPostprocess op around them.
#include <gtest/gtest.h>

#include <cmath>

#include "ops/op.h"
#include "vision/detect_post.h"

namespace kiln::vision {
namespace {

constexpr int kWidth = 5 + 3;  // three classes

// A 16x16 input with strides 8 and 16: 4 + 1 anchors.
YoloxParams tiny() {
  YoloxParams p;
  p.input_width = p.input_height = 16;
  p.strides = {8, 16};
  p.score_threshold = 0.3f;
  return p;
}

std::vector<float> rows(int anchors) {
  return std::vector<float>(static_cast<size_t>(anchors) * kWidth, 0.0f);
}

void set(std::vector<float>& r, int anchor, std::initializer_list<float> v) {
  std::copy(v.begin(), v.end(), r.begin() + anchor * kWidth);
}

TEST(VisionYolox, DecodesOnTheGrids) {
  const YoloxParams p = tiny();
  ASSERT_EQ(yolox_anchor_count(p), 5);
  auto r = rows(5);
  // Anchor 1 is cell (x=1, y=0) of the stride-8 grid; anchor 4 the only stride-16 cell.
  set(r, 1, {0.5f, 0.5f, 0.0f, std::log(2.0f), 0.8f, 0.1f, 0.9f, 0.2f});
  set(r, 4, {0.25f, 0.5f, std::log(0.5f), 0.0f, 0.5f, 0.7f, 0.1f, 0.1f});
  set(r, 2, {0, 0, 0, 0, 0.5f, 0.5f, 0.5f, 0.5f});  // 0.25 < 0.3: filtered out
  const auto d = yolox_decode(r.data(), 5, kWidth, p);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].class_id, 1);
  EXPECT_FLOAT_EQ(d[0].score, 0.8f * 0.9f);
  EXPECT_FLOAT_EQ(d[0].x1, 12 - 4);  // center (1 + 0.5) * 8 = 12, w = 8
  EXPECT_FLOAT_EQ(d[0].y1, 4 - 8);   // center 4, h = 2 * 8 = 16
  EXPECT_FLOAT_EQ(d[0].x2, 12 + 4);
  EXPECT_FLOAT_EQ(d[0].y2, 4 + 8);
  EXPECT_EQ(d[1].class_id, 0);
  EXPECT_FLOAT_EQ(d[1].x1, 4 - 4);  // center 0.25 * 16 = 4, w = 0.5 * 16 = 8
  EXPECT_FLOAT_EQ(d[1].y2, 8 + 8);
}

TEST(VisionYolox, NmsIsClassAwareOrderedAndCapped) {
  std::vector<Detection> c = {{0, 0, 10, 10, 0.6f, 0},
                              {1, 1, 11, 11, 0.9f, 0},    // overlap (IoU 0.68): the 0.9 one wins
                              {0, 0, 10, 10, 0.7f, 1},    // same place, other class: kept
                              {50, 50, 60, 60, 0.7f, 0},  // ties with the class-1 box: earlier first
                              {0, 0, 10, 6, 0.5f, 0}};    // IoU with the winner 0.39 < 0.45: kept
  auto kept = nms_class_aware(c, 0.45f, 100);
  ASSERT_EQ(kept.size(), 4u);
  EXPECT_FLOAT_EQ(kept[0].score, 0.9f);
  EXPECT_EQ(kept[1].class_id, 1);
  EXPECT_EQ(kept[2].x1, 50);
  EXPECT_FLOAT_EQ(kept[3].score, 0.5f);
  EXPECT_EQ(nms_class_aware(c, 0.45f, 2).size(), 2u);
  EXPECT_NEAR(iou(c[0], c[1]), 81.0f / 119.0f, 1e-6);
  EXPECT_EQ(iou({0, 0, 0, 0, 1, 0}, {0, 0, 0, 0, 1, 0}), 0.0f);
}

TEST(VisionYolox, ParsesOptions) {
  YoloxParams p;
  ASSERT_TRUE(parse_yolox_options("yolox:score=0.5,iou=0.6,max=7", p));
  EXPECT_FLOAT_EQ(p.score_threshold, 0.5f);
  EXPECT_FLOAT_EQ(p.iou_threshold, 0.6f);
  EXPECT_EQ(p.max_detections, 7);
  EXPECT_FALSE(parse_yolox_options("ssd", p));
  Status st = parse_yolox_options("yolox:score=x", p);
  ASSERT_FALSE(st);
  EXPECT_NE(st.message().find("score=x"), std::string::npos);
  EXPECT_FALSE(parse_yolox_options("yolox:depth=3", p));
}

TEST(VisionYolox, OpMatchesTheLibraryPerImage) {
  const ops::OpDef* def = ops::find_op("kiln", "YoloxPostprocess");
  ASSERT_NE(def, nullptr);
  ir::Graph g;
  ir::Node node;
  node.name = "post";
  node.op_type = "YoloxPostprocess";
  node.domain = "kiln";
  auto set_int = [&](const char* k, int64_t v) {
    ir::Attribute a;
    a.kind = ir::Attribute::Kind::kInt;
    a.i = v;
    node.attrs[k] = a;
  };
  set_int("input_width", 16);
  set_int("input_height", 16);
  set_int("max_detections", 3);
  ir::Attribute strides;
  strides.kind = ir::Attribute::Kind::kInts;
  strides.ints = {8, 16};
  node.attrs["strides"] = strides;
  ir::Attribute score;
  score.kind = ir::Attribute::Kind::kFloat;
  score.f = 0.3f;
  node.attrs["score_threshold"] = score;
  for (const char* n : {"count", "boxes", "scores", "classes"})
    node.outputs.push_back(g.get_or_create_value(n));
  // Two images: the second has boxes, the first none.
  Tensor x(DataType::kFloat32, {2, 5, kWidth});
  auto r = rows(5);
  set(r, 1, {0.5f, 0.5f, 0.0f, 0.0f, 0.8f, 0.1f, 0.9f, 0.2f});
  set(r, 3, {0.5f, 0.5f, 0.0f, 0.0f, 0.9f, 0.1f, 0.1f, 0.9f});
  std::copy(r.begin(), r.end(), x.data<float>() + 5 * kWidth);

  ops::InferContext ictx(node, {ops::TensorType{DataType::kFloat32, {2, 5, kWidth}, true}}, {nullptr});
  ASSERT_TRUE(def->infer(ictx));
  EXPECT_EQ(ictx.outputs[1].shape, (Shape{2, 3, 4}));
  EXPECT_EQ(ictx.outputs[3].dtype, DataType::kInt32);

  ops::RunContext ctx(node, {&x}, nullptr);
  ASSERT_TRUE(def->reference(ctx));
  EXPECT_EQ(ctx.output(0).data<int32_t>()[0], 0);
  ASSERT_EQ(ctx.output(0).data<int32_t>()[1], 2);
  const auto want = yolox_postprocess(r.data(), 5, kWidth, tiny());
  ASSERT_EQ(want.size(), 2u);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(ctx.output(1).data<float>()[(3 + i) * 4 + 0], want[i].x1);
    EXPECT_EQ(ctx.output(1).data<float>()[(3 + i) * 4 + 3], want[i].y2);
    EXPECT_EQ(ctx.output(2).data<float>()[3 + i], want[i].score);
    EXPECT_EQ(ctx.output(3).data<int32_t>()[3 + i], want[i].class_id);
  }
  EXPECT_EQ(ctx.output(2).data<float>()[5], 0.0f);  // unused slot

  // A head whose anchor count does not fit the input size is refused at build time.
  ops::InferContext bad(node, {ops::TensorType{DataType::kFloat32, {1, 6, kWidth}, true}}, {nullptr});
  Status st = def->infer(bad);
  ASSERT_FALSE(st);
  EXPECT_NE(st.message().find("anchors"), std::string::npos);
}

}  // namespace
}  // namespace kiln::vision
