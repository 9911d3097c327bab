#include "vision/db_postprocess.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>

namespace kiln::vision {
namespace {

int find(std::vector<int>& parent, int i) {
  while (parent[i] != i) i = parent[i] = parent[parent[i]];
  return i;
}

}  // namespace

std::vector<std::vector<Point>> component_boundaries(const std::vector<uint8_t>& mask, int w, int h) {
  // Two-pass labelling with union-find over the already visited 8-neighbours.
  std::vector<int> label(static_cast<size_t>(w) * h, -1), parent;
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const size_t i = static_cast<size_t>(y) * w + x;
      if (!mask[i]) continue;
      int l = -1;
      const int nb[4][2] = {{-1, 0}, {-1, -1}, {0, -1}, {1, -1}};
      for (const auto& d : nb) {
        const int nx = x + d[0], ny = y + d[1];
        if (nx < 0 || nx >= w || ny < 0) continue;
        const int m = label[static_cast<size_t>(ny) * w + nx];
        if (m < 0) continue;
        if (l < 0) {
          l = m;
        } else {
          const int a = find(parent, l), b = find(parent, m);
          if (a != b) parent[std::max(a, b)] = std::min(a, b);
        }
      }
      if (l < 0) {
        l = static_cast<int>(parent.size());
        parent.push_back(l);
      }
      label[i] = l;
    }
  }
  std::vector<int> index(parent.size(), -1);
  std::vector<std::vector<Point>> out;
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const size_t i = static_cast<size_t>(y) * w + x;
      if (label[i] < 0) continue;
      const int root = find(parent, label[i]);
      // A boundary pixel has a 4-neighbour outside the mask (or the image).
      const bool inner = x > 0 && x < w - 1 && y > 0 && y < h - 1 && mask[i - 1] && mask[i + 1] &&
                         mask[i - w] && mask[i + w];
      if (inner) continue;
      if (index[root] < 0) {
        index[root] = static_cast<int>(out.size());
        out.emplace_back();
      }
      out[index[root]].push_back({static_cast<float>(x), static_cast<float>(y)});
    }
  }
  return out;
}

float box_score(const float* prob, int w, int h, const std::array<Point, 4>& box) {
  float fx0 = box[0].x, fx1 = box[0].x, fy0 = box[0].y, fy1 = box[0].y;
  for (const Point& p : box)
    fx0 = std::min(fx0, p.x), fx1 = std::max(fx1, p.x), fy0 = std::min(fy0, p.y), fy1 = std::max(fy1, p.y);
  const int xmin = std::clamp(static_cast<int>(std::floor(fx0)), 0, w - 1);
  const int xmax = std::clamp(static_cast<int>(std::ceil(fx1)), 0, w - 1);
  const int ymin = std::clamp(static_cast<int>(std::floor(fy0)), 0, h - 1);
  const int ymax = std::clamp(static_cast<int>(std::ceil(fy1)), 0, h - 1);
  // Vertices relative to the window, truncated as PaddleOCR's astype(int32) before fillPoly.
  double px[4], py[4];
  for (int k = 0; k < 4; ++k) px[k] = std::trunc(box[k].x - xmin), py[k] = std::trunc(box[k].y - ymin);
  double sum = 0;
  int64_t count = 0;
  for (int y = ymin; y <= ymax; ++y) {
    for (int x = xmin; x <= xmax; ++x) {
      const double qx = x - xmin, qy = y - ymin;
      // Inside a convex quad (either winding) or on its edge: all edge cross products agree.
      int pos = 0, neg = 0;
      for (int k = 0; k < 4; ++k) {
        const int j = (k + 1) % 4;
        const double c = (px[j] - px[k]) * (qy - py[k]) - (py[j] - py[k]) * (qx - px[k]);
        pos += c > 1e-9, neg += c < -1e-9;
      }
      if (pos && neg) continue;
      sum += prob[static_cast<size_t>(y) * w + x];
      ++count;
    }
  }
  return count ? static_cast<float>(sum / count) : 0.0f;
}

std::vector<TextBox> db_postprocess(const float* prob, int w, int h, int src_w, int src_h,
                                    const DbParams& p) {
  std::vector<uint8_t> mask(static_cast<size_t>(w) * h);
  for (size_t i = 0; i < mask.size(); ++i) mask[i] = prob[i] > p.threshold;
  auto regions = component_boundaries(mask, w, h);
  if (static_cast<int>(regions.size()) > p.max_candidates) regions.resize(p.max_candidates);
  std::vector<TextBox> boxes;
  for (const auto& region : regions) {
    const RotatedRect rect = min_area_rect(region);
    if (rect.short_side() < static_cast<float>(p.min_size)) continue;
    const std::array<Point, 4> mini = order_mini_box(rect.corners);
    const float score = box_score(prob, w, h, mini);
    if (score < p.box_threshold) continue;
    // pyclipper's rounded offset of a rectangle by d has, as its minimum-area rectangle, the
    // rectangle grown by d on every side.
    const std::vector<Point> poly(mini.begin(), mini.end());
    const float perimeter = polygon_perimeter(poly);
    const float d = perimeter > 0 ? polygon_area(poly) * p.unclip_ratio / perimeter : 0.0f;
    const RotatedRect grown = expand(rect, d);
    if (grown.short_side() < static_cast<float>(p.min_size + 2)) continue;
    TextBox box;
    box.score = score;
    const std::array<Point, 4> g = order_mini_box(grown.corners);
    for (int k = 0; k < 4; ++k) {
      box.corners[k].x = std::clamp(std::round(g[k].x / w * src_w), 0.0f, static_cast<float>(src_w));
      box.corners[k].y = std::clamp(std::round(g[k].y / h * src_h), 0.0f, static_cast<float>(src_h));
    }
    // PaddleOCR's filter_tag_det_res: clockwise order, clip inside the image, drop slivers.
    box.corners = order_clockwise(box.corners);
    for (Point& c : box.corners) {
      c.x = std::clamp(c.x, 0.0f, static_cast<float>(src_w - 1));
      c.y = std::clamp(c.y, 0.0f, static_cast<float>(src_h - 1));
    }
    const auto side = [](Point a, Point b) { return static_cast<int>(std::hypot(a.x - b.x, a.y - b.y)); };
    if (side(box.corners[0], box.corners[1]) <= 3 || side(box.corners[0], box.corners[3]) <= 3) continue;
    boxes.push_back(box);
  }
  // sorted_boxes: by the top-left corner's y then x; then neighbours on one line (y within 10
  // pixels) are put left to right.
  std::stable_sort(boxes.begin(), boxes.end(), [](const TextBox& a, const TextBox& b) {
    return a.corners[0].y < b.corners[0].y ||
           (a.corners[0].y == b.corners[0].y && a.corners[0].x < b.corners[0].x);
  });
  for (size_t i = 0; i + 1 < boxes.size(); ++i) {
    for (size_t j = i + 1; j-- > 0;) {
      if (std::fabs(boxes[j + 1].corners[0].y - boxes[j].corners[0].y) < 10 &&
          boxes[j + 1].corners[0].x < boxes[j].corners[0].x)
        std::swap(boxes[j], boxes[j + 1]);
      else
        break;
    }
  }
  return boxes;
}

}  // namespace kiln::vision
