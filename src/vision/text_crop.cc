#include "vision/text_crop.h"

#include <algorithm>
#include <cmath>

namespace kiln::vision {

// Samples at 1/32-pixel positions, as OpenCV's warpPerspective (INTER_BITS = 5) does, so that
// crops match cv::warpPerspective within one unit.
Image warp_perspective(const Image& img, const Homography& h, int out_w, int out_h) {
  Image out(out_w, out_h, img.channels);
  const int c = img.channels;
  for (int y = 0; y < out_h; ++y) {
    uint8_t* dst = out.row(y);
    for (int x = 0; x < out_w; ++x, dst += c) {
      // In double and rounded half to even, as OpenCV computes the 1/32 positions.
      const double w = h[6] * x + h[7] * y + h[8];
      const double iw = w != 0 ? 32.0 / w : 0.0;
      const long qx = std::lrint(std::clamp((h[0] * x + h[1] * y + h[2]) * iw, -32.0, 32.0 * img.width));
      const long qy = std::lrint(std::clamp((h[3] * x + h[4] * y + h[5]) * iw, -32.0, 32.0 * img.height));
      const float fx = static_cast<float>(qx & 31) / 32.0f, fy = static_cast<float>(qy & 31) / 32.0f;
      // Taps outside the image repeat the border pixel (BORDER_REPLICATE).
      const int x0 = std::clamp(static_cast<int>(qx >> 5), 0, img.width - 1);
      const int y0 = std::clamp(static_cast<int>(qy >> 5), 0, img.height - 1);
      const int x1 = std::clamp(static_cast<int>(qx >> 5) + 1, 0, img.width - 1);
      const int y1 = std::clamp(static_cast<int>(qy >> 5) + 1, 0, img.height - 1);
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
