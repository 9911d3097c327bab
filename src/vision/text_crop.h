// Cutting a detected text box out of the image, upright: a perspective warp of the quad onto a
// rectangle (PaddleOCR's get_rotate_crop_image), turned 90 degrees when it stands tall.
#pragma once

#include <array>

#include "kiln/status.h"
#include "vision/geometry.h"
#include "vision/image.h"

namespace kiln::vision {

/// The quad (top-left, top-right, bottom-right, bottom-left) warped to a rectangle as wide as
/// its longer horizontal edge and as tall as its longer vertical one, sampled bilinearly with
/// replicated borders; rotated 90 degrees counter-clockwise when height / width >= 1.5.
Expected<Image> crop_text(const Image& image, const std::array<Point, 4>& quad);

/// `image` turned 180 degrees (the direction classifier's correction).
Image rotate_180(const Image& image);
/// `image` turned 90 degrees counter-clockwise (numpy's rot90).
Image rotate_90_ccw(const Image& image);

/// Bilinear warp: out(x, y) = image(h(x, y)), borders replicated.
Image warp_perspective(const Image& image, const Homography& h, int out_w, int out_h);

}  // namespace kiln::vision
