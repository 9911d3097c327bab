#include "vision/detect_post.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>

namespace kiln::vision {

int64_t yolox_anchor_count(const YoloxParams& p) {
  int64_t n = 0;
  for (int s : p.strides)
    if (s > 0) n += static_cast<int64_t>(p.input_height / s) * (p.input_width / s);
  return n;
}

Status check_yolox_params(const YoloxParams& p) {
  if (p.input_width <= 0 || p.input_height <= 0)
    return invalid_argument("YOLOX post-processing: the input size must be positive");
  if (p.strides.empty()) return invalid_argument("YOLOX post-processing: give at least one stride");
  for (int s : p.strides)
    if (s <= 0 || p.input_width % s != 0 || p.input_height % s != 0)
      return invalid_argument("YOLOX post-processing: stride " + std::to_string(s) +
                              " does not divide the input " + std::to_string(p.input_width) + "x" +
                              std::to_string(p.input_height));
  if (p.max_detections <= 0)
    return invalid_argument("YOLOX post-processing: max detections must be positive");
  if (!(p.iou_threshold >= 0 && p.iou_threshold <= 1))
    return invalid_argument("YOLOX post-processing: the IoU threshold must lie in [0, 1]");
  return Status::ok();
}

std::vector<Detection> yolox_decode(const float* rows, int64_t anchors, int64_t width, const YoloxParams& p) {
  std::vector<Detection> out;
  int64_t a = 0;
  for (int s : p.strides) {
    const int gw = p.input_width / s, gh = p.input_height / s;
    const float stride = static_cast<float>(s);
    for (int gy = 0; gy < gh; ++gy) {
      for (int gx = 0; gx < gw && a < anchors; ++gx, ++a) {
        const float* r = rows + a * width;
        // The best class first: objectness is shared, so it is the best of obj * cls too.
        const float* cls = r + 5;
        const int64_t best = std::max_element(cls, r + width) - cls;
        const float score = r[4] * cls[best];
        if (!(score >= p.score_threshold)) continue;
        const float cx = (r[0] + static_cast<float>(gx)) * stride;
        const float cy = (r[1] + static_cast<float>(gy)) * stride;
        const float w = std::exp(r[2]) * stride;
        const float h = std::exp(r[3]) * stride;
        out.push_back(
            {cx - w * 0.5f, cy - h * 0.5f, cx + w * 0.5f, cy + h * 0.5f, score, static_cast<int>(best)});
      }
    }
  }
  return out;
}

float iou(const Detection& a, const Detection& b) {
  const float iw = std::max(0.0f, std::min(a.x2, b.x2) - std::max(a.x1, b.x1));
  const float ih = std::max(0.0f, std::min(a.y2, b.y2) - std::max(a.y1, b.y1));
  const float inter = iw * ih;
  const float area_a = (a.x2 - a.x1) * (a.y2 - a.y1), area_b = (b.x2 - b.x1) * (b.y2 - b.y1);
  const float uni = area_a + area_b - inter;
  return uni > 0 ? inter / uni : 0.0f;
}

std::vector<Detection> nms_class_aware(const std::vector<Detection>& c, float iou_threshold,
                                       int max_detections) {
  std::vector<int> order(c.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int i, int j) { return c[i].score > c[j].score; });
  // Suppression never crosses classes, so each class is its own list; the kept boxes of all
  // classes, in global score order, are the result.
  std::vector<std::vector<int>> kept_by_class;
  std::vector<Detection> out;
  for (int i : order) {
    if (static_cast<int>(out.size()) >= max_detections) break;
    const Detection& d = c[i];
    if (d.class_id < 0) continue;
    if (static_cast<size_t>(d.class_id) >= kept_by_class.size()) kept_by_class.resize(d.class_id + 1);
    bool keep = true;
    for (int k : kept_by_class[d.class_id])
      if (iou(c[k], d) > iou_threshold) {
        keep = false;
        break;
      }
    if (!keep) continue;
    kept_by_class[d.class_id].push_back(i);
    out.push_back(d);
  }
  return out;
}

std::vector<Detection> yolox_postprocess(const float* rows, int64_t anchors, int64_t width,
                                         const YoloxParams& p) {
  return nms_class_aware(yolox_decode(rows, anchors, width, p), p.iou_threshold, p.max_detections);
}

Status parse_yolox_options(const std::string& text, YoloxParams& p) {
  const std::string head = text.substr(0, text.find(':'));
  if (head != "yolox")
    return invalid_argument("post-processing '" + text + "' is unknown; the one kiln has is 'yolox'");
  if (head.size() == text.size()) return Status::ok();
  std::stringstream items(text.substr(head.size() + 1));
  std::string item;
  while (std::getline(items, item, ',')) {
    const size_t eq = item.find('=');
    const std::string key = item.substr(0, eq), value = eq == std::string::npos ? "" : item.substr(eq + 1);
    char* end = nullptr;
    const double v = std::strtod(value.c_str(), &end);
    if (value.empty() || *end != '\0' || !std::isfinite(v))
      return invalid_argument("post-processing '" + text + "': '" + item + "' is not KEY=NUMBER");
    if (key == "score")
      p.score_threshold = static_cast<float>(v);
    else if (key == "iou")
      p.iou_threshold = static_cast<float>(v);
    else if (key == "max")
      p.max_detections = static_cast<int>(v);
    else
      return invalid_argument("post-processing '" + text + "': unknown key '" + key +
                              "' (use score, iou, max)");
  }
  return check_yolox_params(p);
}

}  // namespace kiln::vision
