#include "profile/svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

namespace kiln::profile {

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

namespace {

std::string num(double v, int precision = 4) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*g", precision, std::isfinite(v) ? v : 0.0);
  return buf;
}

std::string decade_label(int k) {
  if (k >= 0 && k <= 6) return num(std::pow(10.0, k), 7);
  if (k < 0 && k >= -3) return num(std::pow(10.0, k), 3);
  return "1e" + std::to_string(k);
}

constexpr const char* kPalette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

// Log-log axes over whole decades.
struct Axes {
  double left = 80, top = 50, width = 720, height = 480;
  int x_lo = 0, x_hi = 1, y_lo = 0, y_hi = 1;  // decades
  double x(double v) const { return left + (std::log10(v) - x_lo) / (x_hi - x_lo) * width; }
  double y(double v) const { return top + height - (std::log10(v) - y_lo) / (y_hi - y_lo) * height; }
};

void decades(double lo, double hi, int& d_lo, int& d_hi) {
  d_lo = static_cast<int>(std::floor(std::log10(lo / 1.5)));
  d_hi = static_cast<int>(std::ceil(std::log10(hi * 1.5)));
  if (d_hi <= d_lo) d_hi = d_lo + 1;
}

}  // namespace

std::string roofline_svg(const std::vector<LayerPoint>& points, const Ceilings& c, const std::string& title) {
  const double ridge = ridge_point(c);
  double x_min = ridge > 0 ? ridge : 1, x_max = x_min;
  double y_min = c.gflops > 0 ? c.gflops : 1, y_max = y_min;
  int skipped = 0;
  for (const LayerPoint& p : points) {
    if (!p.plottable()) {
      ++skipped;
      continue;
    }
    x_min = std::min(x_min, p.intensity);
    x_max = std::max(x_max, p.intensity);
    y_min = std::min(y_min, p.gflops);
    y_max = std::max(y_max, p.gflops);
  }
  Axes ax;
  decades(x_min, x_max, ax.x_lo, ax.x_hi);
  decades(y_min, y_max, ax.y_lo, ax.y_hi);
  const double legend_x = ax.left + ax.width + 20;
  const double total_w = legend_x + 180, total_h = ax.top + ax.height + 70;

  std::ostringstream s;
  s << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << total_w << "\" height=\"" << total_h
    << "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  s << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  s << "<text x=\"" << ax.left << "\" y=\"28\" font-size=\"16\">" << xml_escape(title) << "</text>\n";

  // Grid and decade labels.
  s << "<g class=\"grid\" stroke=\"#ddd\">\n";
  for (int k = ax.x_lo; k <= ax.x_hi; ++k) {
    double px = ax.x(std::pow(10.0, k));
    s << "<line x1=\"" << num(px, 6) << "\" y1=\"" << ax.top << "\" x2=\"" << num(px, 6) << "\" y2=\""
      << ax.top + ax.height << "\"/>\n";
  }
  for (int k = ax.y_lo; k <= ax.y_hi; ++k) {
    double py = ax.y(std::pow(10.0, k));
    s << "<line x1=\"" << ax.left << "\" y1=\"" << num(py, 6) << "\" x2=\"" << ax.left + ax.width
      << "\" y2=\"" << num(py, 6) << "\"/>\n";
  }
  s << "</g>\n<g class=\"ticks\" fill=\"#333\">\n";
  for (int k = ax.x_lo; k <= ax.x_hi; ++k) {
    s << "<text x=\"" << num(ax.x(std::pow(10.0, k)), 6) << "\" y=\"" << ax.top + ax.height + 18
      << "\" text-anchor=\"middle\">" << decade_label(k) << "</text>\n";
  }
  for (int k = ax.y_lo; k <= ax.y_hi; ++k) {
    s << "<text x=\"" << ax.left - 8 << "\" y=\"" << num(ax.y(std::pow(10.0, k)) + 4, 6)
      << "\" text-anchor=\"end\">" << decade_label(k) << "</text>\n";
  }
  s << "</g>\n";
  s << "<rect x=\"" << ax.left << "\" y=\"" << ax.top << "\" width=\"" << ax.width << "\" height=\""
    << ax.height << "\" fill=\"none\" stroke=\"#333\"/>\n";
  s << "<text x=\"" << ax.left + ax.width / 2 << "\" y=\"" << ax.top + ax.height + 40
    << "\" text-anchor=\"middle\">arithmetic intensity (FLOP/byte)</text>\n";
  s << "<text transform=\"translate(24," << ax.top + ax.height / 2
    << ") rotate(-90)\" text-anchor=\"middle\">achieved GFLOP/s</text>\n";

  // Ceilings: bandwidth x intensity up to the ridge point, then the compute peak.
  if (c.gflops > 0 && c.gbps > 0) {
    double lo = std::pow(10.0, ax.x_lo), hi = std::pow(10.0, ax.x_hi);
    double start = std::max(lo, std::pow(10.0, ax.y_lo) / c.gbps);
    s << "<polyline class=\"ceiling\" fill=\"none\" stroke=\"#000\" stroke-width=\"2\" points=\""
      << num(ax.x(start), 6) << "," << num(ax.y(start * c.gbps), 6) << " " << num(ax.x(ridge), 6) << ","
      << num(ax.y(c.gflops), 6) << " " << num(ax.x(hi), 6) << "," << num(ax.y(c.gflops), 6) << "\"/>\n";
    s << "<text x=\"" << num(ax.x(hi) - 6, 6) << "\" y=\"" << num(ax.y(c.gflops) - 6, 6)
      << "\" text-anchor=\"end\">peak " << num(c.gflops) << " GFLOP/s</text>\n";
    // The bandwidth label follows the sloped ceiling, just above its middle.
    double mid = std::sqrt(start * ridge);
    double angle = std::atan2(ax.y(c.gflops) - ax.y(start * c.gbps), ax.x(ridge) - ax.x(start)) * 180 / M_PI;
    s << "<text transform=\"translate(" << num(ax.x(mid), 6) << "," << num(ax.y(mid * c.gbps), 6)
      << ") rotate(" << num(angle, 4) << ")\" y=\"-6\" text-anchor=\"middle\">" << num(c.gbps)
      << " GB/s</text>\n";
    s << "<text x=\"" << num(ax.x(ridge), 6) << "\" y=\"" << ax.top + ax.height - 6
      << "\" text-anchor=\"middle\" fill=\"#666\">ridge " << num(ridge, 3) << "</text>\n";
  }

  // Layers, largest first so small ones stay clickable on top.
  std::map<std::string, size_t> colour;
  std::vector<const LayerPoint*> order;
  for (const LayerPoint& p : points) {
    if (!colour.count(p.sample.op)) colour.emplace(p.sample.op, colour.size());
    if (p.plottable()) order.push_back(&p);
  }
  std::stable_sort(order.begin(), order.end(),
                   [](const LayerPoint* a, const LayerPoint* b) { return a->share > b->share; });
  s << "<g class=\"layers\">\n";
  for (const LayerPoint* p : order) {
    const char* fill = kPalette[colour[p->sample.op] % std::size(kPalette)];
    double r = 3 + 22 * std::sqrt(p->share);
    s << "<circle class=\"layer\" cx=\"" << num(ax.x(p->intensity), 6) << "\" cy=\""
      << num(ax.y(p->gflops), 6) << "\" r=\"" << num(r, 4) << "\" fill=\"" << fill
      << "\" fill-opacity=\"0.6\" stroke=\"" << fill << "\">"
      << "<title>" << xml_escape(p->sample.name) << " (" << xml_escape(p->sample.op) << ")\n"
      << num(p->sample.time_us) << " us, " << num(p->share * 100, 3) << "% of time\n"
      << num(p->intensity, 3) << " FLOP/B, " << num(p->gflops) << " GFLOP/s, " << num(p->gbps) << " GB/s\n"
      << "efficiency " << num(p->efficiency * 100, 3) << "% (" << (p->memory_bound ? "memory" : "compute")
      << " bound)</title></circle>\n";
  }
  s << "</g>\n";

  // Legend: one swatch per op type, in order of first appearance.
  std::vector<std::pair<size_t, std::string>> ops;
  for (const auto& [op, i] : colour) ops.emplace_back(i, op);
  std::sort(ops.begin(), ops.end());
  s << "<g class=\"legend\">\n";
  double ly = ax.top + 10;
  for (const auto& [i, op] : ops) {
    s << "<circle cx=\"" << legend_x + 6 << "\" cy=\"" << ly - 4 << "\" r=\"5\" fill=\""
      << kPalette[i % std::size(kPalette)] << "\"/><text x=\"" << legend_x + 16 << "\" y=\"" << ly << "\">"
      << xml_escape(op) << "</text>\n";
    ly += 18;
  }
  s << "</g>\n";
  if (skipped > 0) {
    s << "<text x=\"" << ax.left << "\" y=\"" << total_h - 8 << "\" fill=\"#666\">" << skipped
      << " layer(s) without FLOPs, bytes or time are not plotted</text>\n";
  }
  s << "</svg>\n";
  return s.str();
}

}  // namespace kiln::profile
