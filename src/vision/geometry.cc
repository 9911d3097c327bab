#include "vision/geometry.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace kiln::vision {
namespace {

double cross(Point o, Point a, Point b) {
  return (double(a.x) - o.x) * (double(b.y) - o.y) - (double(a.y) - o.y) * (double(b.x) - o.x);
}

float dist(Point a, Point b) { return std::hypot(a.x - b.x, a.y - b.y); }

}  // namespace

Point RotatedRect::center() const {
  return {(corners[0].x + corners[2].x) * 0.5f, (corners[0].y + corners[2].y) * 0.5f};
}

std::vector<Point> convex_hull(std::vector<Point> p) {
  std::sort(p.begin(), p.end(), [](Point a, Point b) { return a.x < b.x || (a.x == b.x && a.y < b.y); });
  p.erase(std::unique(p.begin(), p.end(), [](Point a, Point b) { return a.x == b.x && a.y == b.y; }),
          p.end());
  if (p.size() < 3) return p;
  std::vector<Point> hull(2 * p.size());
  size_t k = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    while (k >= 2 && cross(hull[k - 2], hull[k - 1], p[i]) <= 0) --k;
    hull[k++] = p[i];
  }
  for (size_t i = p.size() - 1, t = k + 1; i-- > 0;) {
    while (k >= t && cross(hull[k - 2], hull[k - 1], p[i]) <= 0) --k;
    hull[k++] = p[i];
  }
  hull.resize(k - 1);
  return hull;
}

RotatedRect min_area_rect(const std::vector<Point>& points) {
  const std::vector<Point> hull = convex_hull(points);
  RotatedRect best;
  if (hull.empty()) return best;
  if (hull.size() == 1) {
    best.corners = {hull[0], hull[0], hull[0], hull[0]};
    return best;
  }
  double best_area = std::numeric_limits<double>::infinity();
  const size_t n = hull.size();
  for (size_t i = 0; i < n; ++i) {
    const Point a = hull[i], b = hull[(i + 1) % n];
    double ux = double(b.x) - a.x, uy = double(b.y) - a.y;
    const double len = std::hypot(ux, uy);
    if (len == 0) continue;
    ux /= len, uy /= len;
    // Extent of the hull along the edge (u) and across it (v = u rotated by 90 degrees).
    double umin = 0, umax = 0, vmin = 0, vmax = 0;
    for (const Point& p : hull) {
      const double dx = double(p.x) - a.x, dy = double(p.y) - a.y;
      const double u = dx * ux + dy * uy, v = -dx * uy + dy * ux;
      umin = std::min(umin, u), umax = std::max(umax, u), vmin = std::min(vmin, v), vmax = std::max(vmax, v);
    }
    const double area = (umax - umin) * (vmax - vmin);
    if (area < best_area) {
      best_area = area;
      auto at = [&](double u, double v) {
        return Point{static_cast<float>(a.x + u * ux - v * uy), static_cast<float>(a.y + u * uy + v * ux)};
      };
      best.corners = {at(umin, vmin), at(umax, vmin), at(umax, vmax), at(umin, vmax)};
      best.width = static_cast<float>(umax - umin);
      best.height = static_cast<float>(vmax - vmin);
    }
  }
  return best;
}

RotatedRect expand(const RotatedRect& r, float d) {
  RotatedRect out = r;
  const Point c = r.center();
  // Unit vectors along the two sides (zero for a zero-length side: it grows along the normal of
  // the other side, or both axes for a point).
  auto unit = [](Point a, Point b, Point fallback) {
    const float len = dist(a, b);
    return len > 0 ? Point{(b.x - a.x) / len, (b.y - a.y) / len} : fallback;
  };
  Point u = unit(r.corners[0], r.corners[1], Point{1, 0});
  Point v = unit(r.corners[1], r.corners[2], Point{-u.y, u.x});
  if (dist(r.corners[0], r.corners[1]) == 0 && dist(r.corners[1], r.corners[2]) > 0) u = Point{v.y, -v.x};
  const float hw = r.width * 0.5f + d, hh = r.height * 0.5f + d;
  auto at = [&](float su, float sv) {
    return Point{c.x + su * hw * u.x + sv * hh * v.x, c.y + su * hw * u.y + sv * hh * v.y};
  };
  out.corners = {at(-1, -1), at(1, -1), at(1, 1), at(-1, 1)};
  out.width = 2 * hw;
  out.height = 2 * hh;
  return out;
}

std::array<Point, 4> order_mini_box(const std::array<Point, 4>& corners) {
  std::array<Point, 4> p = corners;
  std::stable_sort(p.begin(), p.end(), [](Point a, Point b) { return a.x < b.x; });
  const int i1 = p[1].y > p[0].y ? 0 : 1, i4 = p[1].y > p[0].y ? 1 : 0;
  const int i2 = p[3].y > p[2].y ? 2 : 3, i3 = p[3].y > p[2].y ? 3 : 2;
  return {p[i1], p[i2], p[i3], p[i4]};
}

std::array<Point, 4> order_clockwise(const std::array<Point, 4>& pts) {
  int tl = 0, br = 0;
  for (int i = 1; i < 4; ++i) {
    if (pts[i].x + pts[i].y < pts[tl].x + pts[tl].y) tl = i;
    if (pts[i].x + pts[i].y > pts[br].x + pts[br].y) br = i;
  }
  if (tl == br) br = (tl + 1) % 4;  // all sums equal (degenerate): any distinct choice
  int rest[2], k = 0;
  for (int i = 0; i < 4; ++i)
    if (i != tl && i != br) rest[k++] = i;
  const float d0 = pts[rest[0]].y - pts[rest[0]].x, d1 = pts[rest[1]].y - pts[rest[1]].x;
  const int tr = d0 <= d1 ? rest[0] : rest[1], bl = d0 <= d1 ? rest[1] : rest[0];
  return {pts[tl], pts[tr], pts[br], pts[bl]};
}

bool perspective_transform(const std::array<Point, 4>& src, const std::array<Point, 4>& dst, Homography& h) {
  // Eight equations in h0..h7 (h8 = 1), solved by Gaussian elimination with partial pivoting.
  double a[8][9] = {};
  for (int i = 0; i < 4; ++i) {
    const double x = src[i].x, y = src[i].y, u = dst[i].x, v = dst[i].y;
    double r0[9] = {x, y, 1, 0, 0, 0, -x * u, -y * u, u};
    double r1[9] = {0, 0, 0, x, y, 1, -x * v, -y * v, v};
    std::copy(r0, r0 + 9, a[i]);
    std::copy(r1, r1 + 9, a[i + 4]);
  }
  for (int c = 0; c < 8; ++c) {
    int piv = c;
    for (int r = c + 1; r < 8; ++r)
      if (std::fabs(a[r][c]) > std::fabs(a[piv][c])) piv = r;
    if (std::fabs(a[piv][c]) < 1e-12) return false;
    std::swap(a[c], a[piv]);
    for (int r = 0; r < 8; ++r) {
      if (r == c) continue;
      const double f = a[r][c] / a[c][c];
      for (int k = c; k < 9; ++k) a[r][k] -= f * a[c][k];
    }
  }
  for (int i = 0; i < 8; ++i) h[i] = a[i][8] / a[i][i];
  h[8] = 1;
  return true;
}

Point transform_point(const Homography& h, Point p) {
  const double w = h[6] * p.x + h[7] * p.y + h[8];
  const double s = w != 0 ? 1.0 / w : 0.0;
  return {static_cast<float>((h[0] * p.x + h[1] * p.y + h[2]) * s),
          static_cast<float>((h[3] * p.x + h[4] * p.y + h[5]) * s)};
}

float polygon_area(const std::vector<Point>& poly) {
  double s = 0;
  for (size_t i = 0; i < poly.size(); ++i) {
    const Point a = poly[i], b = poly[(i + 1) % poly.size()];
    s += double(a.x) * b.y - double(b.x) * a.y;
  }
  return static_cast<float>(std::fabs(s) * 0.5);
}

float polygon_perimeter(const std::vector<Point>& poly) {
  float s = 0;
  for (size_t i = 0; i < poly.size(); ++i) s += dist(poly[i], poly[(i + 1) % poly.size()]);
  return s;
}

}  // namespace kiln::vision
