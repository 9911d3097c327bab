// NonMaxSuppression: per batch and class, greedily keeps the highest-scoring boxes, dropping
// those whose IoU with a kept box exceeds iou_threshold, up to max_output_boxes_per_class, and
// only boxes scoring above score_threshold. Output [num_selected, 3] rows of
// (batch, class, box index), batch-major, then class, then selection order. As in ONNX Runtime,
// equal scores keep the lower box index first. The output length depends on the values, so infer
// knows it only when every input value is known.
#include <algorithm>
#include <numeric>

#include "ops/util.h"

namespace kiln::ops {
namespace {

struct Box {
  float y1, x1, y2, x2;  // min and max corners
};

Box box_at(const std::vector<float>& b, int64_t i, bool center) {
  const float* p = b.data() + i * 4;
  if (center) {  // [x_center, y_center, width, height]
    return {p[1] - p[3] / 2, p[0] - p[2] / 2, p[1] + p[3] / 2, p[0] + p[2] / 2};
  }
  // [y1, x1, y2, x2] with the corners in either order.
  return {std::min(p[0], p[2]), std::min(p[1], p[3]), std::max(p[0], p[2]), std::max(p[1], p[3])};
}

bool suppresses(const Box& a, const Box& b, float iou_threshold) {
  const float ih = std::min(a.y2, b.y2) - std::max(a.y1, b.y1);
  const float iw = std::min(a.x2, b.x2) - std::max(a.x1, b.x1);
  if (ih <= 0 || iw <= 0) return false;
  const float inter = ih * iw;
  const float area_a = (a.y2 - a.y1) * (a.x2 - a.x1), area_b = (b.y2 - b.y1) * (b.x2 - b.x1);
  const float uni = area_a + area_b - inter;
  if (area_a <= 0 || area_b <= 0 || uni <= 0) return false;
  return inter / uni > iou_threshold;
}

// The selected (batch, class, box) triples, flattened.
Expected<std::vector<int64_t>> select(const ir::Node& node, const Tensor& boxes, const Tensor& scores,
                                      const Tensor* max_out, const Tensor* iou, const Tensor* score_thr) {
  if (boxes.rank() != 3 || boxes.dim(2) != 4 || scores.rank() != 3 || scores.dim(0) != boxes.dim(0) ||
      scores.dim(2) != boxes.dim(1)) {
    return invalid_argument(node.describe() +
                            ": expects boxes [batch, boxes, 4] and scores [batch, classes, boxes]; got " +
                            shape_str(boxes.shape()) + " and " + shape_str(scores.shape()));
  }
  const int64_t num_batches = boxes.dim(0), num_boxes = boxes.dim(1), num_classes = scores.dim(1);
  const int64_t limit =
      max_out != nullptr && max_out->numel() > 0 ? std::max<int64_t>(max_out->as_int64(0), 0) : 0;
  const float iou_threshold =
      iou != nullptr && iou->numel() > 0 ? static_cast<float>(iou->as_double(0)) : 0.f;
  const bool has_score_thr = score_thr != nullptr && score_thr->numel() > 0;
  const float score_threshold = has_score_thr ? static_cast<float>(score_thr->as_double(0)) : 0.f;
  const bool center = node.attr_int("center_point_box", 0) != 0;
  const std::vector<float> b = boxes.to_float_vector();
  const std::vector<float> s = scores.to_float_vector();
  std::vector<int64_t> out;
  std::vector<int64_t> order;
  std::vector<Box> kept;
  for (int64_t n = 0; n < num_batches; ++n) {
    for (int64_t c = 0; c < num_classes; ++c) {
      const float* cs = s.data() + (n * num_classes + c) * num_boxes;
      order.clear();
      for (int64_t i = 0; i < num_boxes; ++i) {
        if (!has_score_thr || cs[i] > score_threshold) order.push_back(i);
      }
      std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t bb) { return cs[a] > cs[bb]; });
      kept.clear();
      for (int64_t i : order) {
        if (static_cast<int64_t>(kept.size()) >= limit) break;
        const Box cand = box_at(b, n * num_boxes + i, center);
        bool drop = false;
        for (const Box& k : kept) drop = drop || suppresses(k, cand, iou_threshold);
        if (drop) continue;
        kept.push_back(cand);
        out.insert(out.end(), {n, c, i});
      }
    }
  }
  return out;
}

const Tensor* optional_value(const InferContext& ctx, size_t i) {
  return ctx.has_input(i) ? ctx.value(i) : nullptr;
}

Status infer(InferContext& ctx) {
  const Tensor* boxes = ctx.value(0);
  const Tensor* scores = ctx.value(1);
  bool all_known = boxes != nullptr && scores != nullptr;
  for (size_t i = 2; i < 5; ++i) all_known = all_known && (!ctx.has_input(i) || ctx.value(i) != nullptr);
  if (!all_known) {
    ctx.set_output(0, DataType::kInt64, {-1, 3});
    return Status::ok();
  }
  KILN_ASSIGN_OR_RETURN(auto sel, select(ctx.node, *boxes, *scores, optional_value(ctx, 2),
                                         optional_value(ctx, 3), optional_value(ctx, 4)));
  ctx.set_output(0, DataType::kInt64, {static_cast<int64_t>(sel.size() / 3), 3});
  return Status::ok();
}

Status run(RunContext& ctx) {
  auto opt = [&](size_t i) { return ctx.has_input(i) ? &ctx.input(i) : nullptr; };
  KILN_ASSIGN_OR_RETURN(auto sel, select(ctx.node, ctx.input(0), ctx.input(1), opt(2), opt(3), opt(4)));
  Tensor& y = ctx.allocate_output(0, DataType::kInt64, {static_cast<int64_t>(sel.size() / 3), 3});
  std::copy(sel.begin(), sel.end(), y.data<int64_t>());
  return Status::ok();
}

}  // namespace

KILN_REGISTER_OP({.op_type = "NonMaxSuppression", .infer = infer, .reference = run});

}  // namespace kiln::ops
