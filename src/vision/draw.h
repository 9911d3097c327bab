// Annotating images: box outlines and small text labels (stb_easy_font's bitmap strokes).
// Everything is clipped to the image, so any coordinates are safe.
#pragma once

#include <cstdint>
#include <string>

#include "vision/image.h"

namespace kiln::vision {

struct Rgb {
  uint8_t r = 0, g = 0, b = 0;
};

/// A distinct, stable color per class id.
Rgb class_color(int class_id);

void fill_rect(Image& rgb, int x1, int y1, int x2, int y2, Rgb color);
/// The outline of the box [x1, x2] x [y1, y2], `thickness` pixels inwards.
void draw_box(Image& rgb, int x1, int y1, int x2, int y2, Rgb color, int thickness = 2);
/// Text with its top-left at (x, y), each font pixel drawn as `scale` x `scale` pixels.
/// Returns the width drawn in pixels.
int draw_text(Image& rgb, int x, int y, const std::string& text, Rgb color, int scale = 1);
/// Width and height `draw_text` would cover.
int text_width(const std::string& text, int scale = 1);
int text_height(int scale = 1);
/// A label on a filled background: above (x, y) when there is room, else below it.
void draw_label(Image& rgb, int x, int y, const std::string& text, Rgb background);

}  // namespace kiln::vision
