#include "vision/draw.h"

#include <algorithm>
#include <vector>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#include <stb/stb_easy_font.h>
#pragma GCC diagnostic pop

namespace kiln::vision {

Rgb class_color(int class_id) {
  // Golden-ratio hue steps keep neighbouring class ids apart.
  const float h =
      static_cast<float>((class_id * 0.618033988749895) - static_cast<int>(class_id * 0.618033988749895));
  const float s = 0.85f, v = 0.95f;
  const int i = static_cast<int>(h * 6);
  const float f = h * 6 - static_cast<float>(i), p = v * (1 - s), q = v * (1 - f * s),
              t = v * (1 - (1 - f) * s);
  float r = v, g = t, b = p;
  switch (i % 6) {
    case 1:
      r = q, g = v, b = p;
      break;
    case 2:
      r = p, g = v, b = t;
      break;
    case 3:
      r = p, g = q, b = v;
      break;
    case 4:
      r = t, g = p, b = v;
      break;
    case 5:
      r = v, g = p, b = q;
      break;
    default:
      break;
  }
  return {static_cast<uint8_t>(r * 255), static_cast<uint8_t>(g * 255), static_cast<uint8_t>(b * 255)};
}

void fill_rect(Image& img, int x1, int y1, int x2, int y2, Rgb c) {
  x1 = std::max(x1, 0), y1 = std::max(y1, 0);
  x2 = std::min(x2, img.width - 1), y2 = std::min(y2, img.height - 1);
  for (int y = y1; y <= y2; ++y) {
    uint8_t* p = img.row(y) + static_cast<size_t>(x1) * img.channels;
    for (int x = x1; x <= x2; ++x, p += img.channels) p[0] = c.r, p[1] = c.g, p[2] = c.b;
  }
}

void draw_box(Image& img, int x1, int y1, int x2, int y2, Rgb c, int t) {
  if (x2 < x1 || y2 < y1) return;
  fill_rect(img, x1, y1, x2, y1 + t - 1, c);
  fill_rect(img, x1, y2 - t + 1, x2, y2, c);
  fill_rect(img, x1, y1, x1 + t - 1, y2, c);
  fill_rect(img, x2 - t + 1, y1, x2, y2, c);
}

int text_width(const std::string& text, int scale) {
  return stb_easy_font_width(const_cast<char*>(text.c_str())) * scale;
}
int text_height(int scale) { return 12 * scale; }

int draw_text(Image& img, int x, int y, const std::string& text, Rgb c, int scale) {
  // stb_easy_font emits axis-aligned quads of 4 vertices (x, y, z, rgba: 16 bytes each).
  std::vector<char> buffer(text.size() * 16 * 270 + 64);
  const int quads = stb_easy_font_print(0, 0, const_cast<char*>(text.c_str()), nullptr, buffer.data(),
                                        static_cast<int>(buffer.size()));
  struct Vertex {
    float x, y, z;
    unsigned char rgba[4];
  };
  const auto* v = reinterpret_cast<const Vertex*>(buffer.data());
  for (int q = 0; q < quads; ++q, v += 4) {
    const int qx1 = x + static_cast<int>(v[0].x) * scale, qy1 = y + static_cast<int>(v[0].y) * scale;
    const int qx2 = x + static_cast<int>(v[2].x) * scale - 1, qy2 = y + static_cast<int>(v[2].y) * scale - 1;
    fill_rect(img, qx1, qy1, qx2, qy2, c);
  }
  return text_width(text, scale);
}

void draw_label(Image& img, int x, int y, const std::string& text, Rgb bg) {
  const int w = text_width(text) + 4, h = text_height() - 1;
  const int top = y - h >= 0 ? y - h : y;
  fill_rect(img, x, top, x + w - 1, top + h - 1, bg);
  const bool light = bg.r * 299 + bg.g * 587 + bg.b * 114 > 128000;
  draw_text(img, x + 2, top + 1, text, light ? Rgb{0, 0, 0} : Rgb{255, 255, 255});
}

}  // namespace kiln::vision
