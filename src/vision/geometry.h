// Plane geometry for text detection: convex hull, minimum-area rectangle (rotating calipers),
// quadrilateral ordering and perspective transforms. No OpenCV: these replace cv::convexHull,
// cv::minAreaRect, cv::boxPoints and cv::getPerspectiveTransform with the same conventions.
#pragma once

#include <array>
#include <vector>

namespace kiln::vision {

struct Point {
  float x = 0, y = 0;
};

/// A rectangle of any orientation; `corners` go around it (either direction).
struct RotatedRect {
  std::array<Point, 4> corners;
  float width = 0, height = 0;  // side lengths (corners[0]-corners[1] and corners[1]-corners[2])
  Point center() const;
  float short_side() const { return width < height ? width : height; }
};

/// Convex hull of `points` counter-clockwise in image coordinates (Andrew's monotone chain);
/// collinear points dropped. One or two points come back as they are (deduplicated).
std::vector<Point> convex_hull(std::vector<Point> points);

/// The rectangle of least area enclosing `points` (one of its sides lies on a hull edge).
/// Degenerate inputs give zero-sized sides.
RotatedRect min_area_rect(const std::vector<Point>& points);

/// `r` grown by `d` on every side (same center and orientation).
RotatedRect expand(const RotatedRect& r, float d);

/// PaddleOCR's get_mini_boxes order: corners sorted by x, then the left pair and the right pair
/// each split by y, giving top-left, top-right, bottom-right, bottom-left.
std::array<Point, 4> order_mini_box(const std::array<Point, 4>& corners);

/// PaddleOCR's order_points_clockwise: top-left has the least x + y, bottom-right the greatest;
/// of the other two, top-right has the least y - x.
std::array<Point, 4> order_clockwise(const std::array<Point, 4>& pts);

/// A 3x3 projective transform, row-major: (x', y', w') = H (x, y, 1).
using Homography = std::array<double, 9>;
/// The transform taking each src[i] to dst[i] (cv::getPerspectiveTransform). False when the
/// points are degenerate (three collinear).
bool perspective_transform(const std::array<Point, 4>& src, const std::array<Point, 4>& dst, Homography& h);
Point transform_point(const Homography& h, Point p);

/// Area of a polygon (absolute) and its perimeter.
float polygon_area(const std::vector<Point>& poly);
float polygon_perimeter(const std::vector<Point>& poly);

}  // namespace kiln::vision
