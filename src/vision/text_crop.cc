#include "vision/text_crop.h"

#include <algorithm>
#include <cmath>

namespace kiln::vision {

Image warp_perspective(const Image& img, const Homography& h, int out_w, int out_h) {
  Image out(out_w, out_h, img.channels);
  const int c = img.channels;
  for (int y = 0; y < out_h; ++y) {
    uint8_t* dst = out.row(y);
    for (int x = 0; x < out_w; ++x, dst += c) {
      const Point s = transform_point(h, {static_cast<float>(x), static_cast<float>(y)});
      const float sx = std::clamp(s.x, 0.0f, static_cast<float>(img.width - 1));
      const float sy = std::clamp(s.y, 0.0f, static_cast<float>(img.height - 1));
      const int x0 = static_cast<int>(sx), y0 = static_cast<int>(sy);
      const int x1 = std::min(x0 + 1, img.width - 1), y1 = std::min(y0 + 1, img.height - 1);
      const float fx = sx - x0, fy = sy - y0;
      const uint8_t* a = img.row(y0) + x0 * c;
      const uint8_t* b = img.row(y0) + x1 * c;
      const uint8_t* d = img.row(y1) + x0 * c;
      const uint8_t* e = img.row(y1) + x1 * c;
      for (int k = 0; k < c; ++k) {
        const float top = a[k] + (b[k] - a[k]) * fx, bottom = d[k] + (e[k] - d[k]) * fx;
        dst[k] = static_cast<uint8_t>(std::clamp(std::lround(top + (bottom - top) * fy), 0L, 255L));
      }
    }
  }
  return out;
}

Image rotate_180(const Image& img) {
  Image out(img.width, img.height, img.channels);
  const int c = img.channels;
  for (int y = 0; y < img.height; ++y)
    for (int x = 0; x < img.width; ++x)
      std::copy_n(img.row(y) + x * c, c, out.row(img.height - 1 - y) + (img.width - 1 - x) * c);
  return out;
}

Image rotate_90_ccw(const Image& img) {
  Image out(img.height, img.width, img.channels);
  const int c = img.channels;
  for (int y = 0; y < out.height; ++y)
    for (int x = 0; x < out.width; ++x)
      std::copy_n(img.row(x) + (img.width - 1 - y) * c, c, out.row(y) + x * c);
  return out;
}

Expected<Image> crop_text(const Image& image, const std::array<Point, 4>& q) {
  auto len = [](Point a, Point b) { return std::hypot(a.x - b.x, a.y - b.y); };
  const int w = static_cast<int>(std::max(len(q[0], q[1]), len(q[2], q[3])));
  const int h = static_cast<int>(std::max(len(q[0], q[3]), len(q[1], q[2])));
  if (w < 1 || h < 1) return invalid_argument("text box of zero size");
  // The map from the output rectangle to the quad: sampling goes output -> source.
  const std::array<Point, 4> rect = {Point{0, 0}, Point{float(w), 0}, Point{float(w), float(h)},
                                     Point{0, float(h)}};
  Homography m;
  if (!perspective_transform(rect, q, m))
    return invalid_argument("text box is degenerate (collinear corners)");
  Image crop = warp_perspective(image, m, w, h);
  if (static_cast<float>(h) / static_cast<float>(w) >= 1.5f) crop = rotate_90_ccw(crop);
  return crop;
}

}  // namespace kiln::vision
