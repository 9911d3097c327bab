// kiln.YoloxPostprocess: a YOLOX head's raw output [N, anchors, 5 + classes] -> decoded boxes,
// score filter, class-aware NMS, top-k per image. Outputs in TensorRT's EfficientNMS layout, so
// that shapes stay static:
//   num_detections    int32   [N, 1]
//   detection_boxes   float32 [N, max_detections, 4]  x1, y1, x2, y2 in input pixels
//   detection_scores  float32 [N, max_detections]
//   detection_classes int32   [N, max_detections]
// Slots past num_detections are zero. Attributes: input_width, input_height, strides,
// score_threshold, iou_threshold, max_detections. The math is src/vision/detect_post.cc.
#include "ops/infer_graph.h"
#include "ops/op.h"
#include "ops/postprocess.h"
#include "vision/detect_post.h"

namespace kiln::ops {
namespace {

vision::YoloxParams read_params(const ir::Node& n) {
  vision::YoloxParams p;
  p.input_width = static_cast<int>(n.attr_int("input_width", 640));
  p.input_height = static_cast<int>(n.attr_int("input_height", 640));
  p.strides.clear();
  for (int64_t s : n.attr_ints("strides", {8, 16, 32})) p.strides.push_back(static_cast<int>(s));
  p.score_threshold = n.attr_float("score_threshold", 0.25f);
  p.iou_threshold = n.attr_float("iou_threshold", 0.45f);
  p.max_detections = static_cast<int>(n.attr_int("max_detections", 100));
  return p;
}

Status check_input(const ir::Node& node, const Shape& s, const vision::YoloxParams& p) {
  KILN_RETURN_IF_ERROR(vision::check_yolox_params(p).with_context(node.describe()));
  if (s.size() != 3)
    return invalid_argument(node.describe() + ": the input must be [N, anchors, 5 + classes], got rank " +
                            std::to_string(s.size()));
  const int64_t anchors = vision::yolox_anchor_count(p);
  if (s[1] >= 0 && s[1] != anchors)
    return invalid_argument(node.describe() + ": the input has " + std::to_string(s[1]) + " anchors but a " +
                            std::to_string(p.input_width) + "x" + std::to_string(p.input_height) +
                            " input with these strides gives " + std::to_string(anchors) +
                            "; check input_width, input_height and strides");
  if (s[2] >= 0 && s[2] < 6)
    return invalid_argument(node.describe() + ": rows of " + std::to_string(s[2]) +
                            " values; a YOLOX head gives 4 box + 1 objectness + at least 1 class score");
  return Status::ok();
}

Status infer(InferContext& ctx) {
  if (!ctx.has_input(0) || ctx.dtype(0) != DataType::kFloat32) return ctx.error("input 0 must be float32");
  const vision::YoloxParams p = read_params(ctx.node);
  if (!ctx.input(0).rank_known) return ctx.error("the input's rank must be known");
  KILN_RETURN_IF_ERROR(check_input(ctx.node, ctx.shape(0), p));
  const int64_t n = ctx.shape(0)[0], k = p.max_detections;
  ctx.set_output(0, DataType::kInt32, {n, 1});
  ctx.set_output(1, DataType::kFloat32, {n, k, 4});
  ctx.set_output(2, DataType::kFloat32, {n, k});
  ctx.set_output(3, DataType::kInt32, {n, k});
  return Status::ok();
}

Status run(RunContext& ctx) {
  if (!ctx.has_input(0) || ctx.input(0).dtype() != DataType::kFloat32)
    return ctx.error("input 0 must be float32");
  const Tensor& x = ctx.input(0);
  const vision::YoloxParams p = read_params(ctx.node);
  KILN_RETURN_IF_ERROR(check_input(ctx.node, x.shape(), p));
  const int64_t n = x.dim(0), anchors = x.dim(1), width = x.dim(2), k = p.max_detections;
  Tensor& count = ctx.allocate_output(0, DataType::kInt32, {n, 1});
  Tensor& boxes = ctx.allocate_output(1, DataType::kFloat32, {n, k, 4});
  Tensor& scores = ctx.allocate_output(2, DataType::kFloat32, {n, k});
  Tensor& classes = ctx.allocate_output(3, DataType::kInt32, {n, k});
  for (int64_t b = 0; b < n; ++b) {
    const auto dets = vision::yolox_postprocess(x.data<float>() + b * anchors * width, anchors, width, p);
    count.data<int32_t>()[b] = static_cast<int32_t>(dets.size());
    for (size_t i = 0; i < dets.size(); ++i) {
      float* box = boxes.data<float>() + (b * k + static_cast<int64_t>(i)) * 4;
      box[0] = dets[i].x1, box[1] = dets[i].y1, box[2] = dets[i].x2, box[3] = dets[i].y2;
      scores.data<float>()[b * k + static_cast<int64_t>(i)] = dets[i].score;
      classes.data<int32_t>()[b * k + static_cast<int64_t>(i)] = dets[i].class_id;
    }
  }
  return Status::ok();
}

// Decoding touches every row once (the class argmax dominates); NMS is small next to it.
Cost cost(const ir::Node&, std::span<const TensorType> in, std::span<const TensorType> out) {
  Cost c;
  if (!in.empty() && in[0].shape_known()) {
    const double elems = static_cast<double>(shape_numel(in[0].shape));
    c.flops = elems;
    c.bytes = elems * 4;
  }
  return c;
}

}  // namespace

KILN_REGISTER_OP(
    {.op_type = "YoloxPostprocess", .domain = "kiln", .infer = infer, .reference = run, .cost = cost});

Status append_postprocess(ir::Graph& graph, const std::string& spec) {
  vision::YoloxParams p;
  KILN_RETURN_IF_ERROR(vision::parse_yolox_options(spec, p));
  const std::string what = "--postprocess " + spec;
  if (graph.inputs.size() != 1 || graph.outputs.size() != 1)
    return invalid_argument(
        what + ": the model must have one input (the image) and one output (the head), it has " +
        std::to_string(graph.inputs.size()) + " and " + std::to_string(graph.outputs.size()));
  const ir::Value* image = graph.inputs[0];
  if (image->shape.size() != 4 || image->shape[2] <= 0 || image->shape[3] <= 0)
    return invalid_argument(what + ": the input '" + image->name +
                            "' must be [N, 3, H, W] with H and W known; give --shapes " + image->name +
                            ":1x3x640x640");
  p.input_height = static_cast<int>(image->shape[2]);
  p.input_width = static_cast<int>(image->shape[3]);
  KILN_RETURN_IF_ERROR(vision::check_yolox_params(p).with_context(what));
  auto node = std::make_unique<ir::Node>();
  node->name = "yolox_postprocess";
  node->op_type = "YoloxPostprocess";
  node->domain = "kiln";
  node->opset = 1;
  node->inputs = {graph.outputs[0]};
  for (const char* name : {"num_detections", "detection_boxes", "detection_scores", "detection_classes"}) {
    if (graph.find_value(name))
      return invalid_argument(what + ": the model already has a value named '" + name + "'");
    node->outputs.push_back(graph.get_or_create_value(name));
  }
  auto set_int = [&](const char* key, int64_t v) {
    ir::Attribute a;
    a.kind = ir::Attribute::Kind::kInt;
    a.i = v;
    node->attrs[key] = a;
  };
  auto set_float = [&](const char* key, float v) {
    ir::Attribute a;
    a.kind = ir::Attribute::Kind::kFloat;
    a.f = v;
    node->attrs[key] = a;
  };
  set_int("input_width", p.input_width);
  set_int("input_height", p.input_height);
  set_int("max_detections", p.max_detections);
  set_float("score_threshold", p.score_threshold);
  set_float("iou_threshold", p.iou_threshold);
  ir::Attribute strides;
  strides.kind = ir::Attribute::Kind::kInts;
  for (int s : p.strides) strides.ints.push_back(s);
  node->attrs["strides"] = strides;
  ir::Node* added = graph.add_node(std::move(node));
  graph.outputs = added->outputs;
  graph.opsets.emplace("kiln", 1);
  return infer_graph(graph).with_context(what);
}

}  // namespace kiln::ops
