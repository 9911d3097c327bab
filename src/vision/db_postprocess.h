// Text boxes from a DB (Differentiable Binarization) probability map, as PaddleOCR's
// DBPostProcess does: threshold -> regions -> minimum-area rectangle -> mean probability inside
// -> unclip (grow by area * ratio / perimeter) -> rectangle again -> source image coordinates.
//
// Regions are 8-connected components of the thresholded map, whose outer boundary pixels stand
// for cv::findContours' contour (the same minimum-area rectangle: it depends on the hull only).
// Holes inside a region are not separate boxes (RETR_LIST would add them; text blobs rarely
// have any, and they would be scored down).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "vision/geometry.h"

namespace kiln::vision {

struct DbParams {
  float threshold = 0.3f;      // probability -> text pixel
  float box_threshold = 0.6f;  // keep boxes whose mean probability inside is at least this
  float unclip_ratio = 1.5f;   // how far boxes grow: area * ratio / perimeter
  int min_size = 3;            // drop boxes whose short side is below this (map pixels)
  int max_candidates = 1000;
};

struct TextBox {
  std::array<Point, 4> corners;  // top-left, top-right, bottom-right, bottom-left (source pixels)
  float score = 0;               // mean probability inside, before unclipping
};

/// Boxes of a `map_w` x `map_h` probability map that covers a `src_w` x `src_h` image, in
/// reading order (top to bottom, left to right within a line; PaddleOCR's sorted_boxes).
std::vector<TextBox> db_postprocess(const float* prob, int map_w, int map_h, int src_w, int src_h,
                                    const DbParams& p);

/// Mean of `prob` over the pixels inside the polygon `box` (map coordinates, vertices truncated
/// to integers and edges included, like cv::fillPoly).
float box_score(const float* prob, int map_w, int map_h, const std::array<Point, 4>& box);

/// Outer boundary pixels of each 8-connected component of `mask` (w x h, nonzero = set), in
/// component order of their first pixel in raster order.
std::vector<std::vector<Point>> component_boundaries(const std::vector<uint8_t>& mask, int w, int h);

}  // namespace kiln::vision
