#include "profile/roofline.h"

#include <algorithm>

namespace kiln::profile {

double ridge_point(const Ceilings& c) { return c.gbps > 0 ? c.gflops / c.gbps : 0; }

double attainable_gflops(const Ceilings& c, double intensity) {
  return std::min(c.gflops, std::max(intensity, 0.0) * c.gbps);
}

double min_time_us(const LayerSample& layer, const Ceilings& c) {
  if (layer.bytes <= 0) return 0;
  if (layer.flops > 0) {
    double rate = attainable_gflops(c, layer.flops / layer.bytes);
    return rate > 0 ? layer.flops / rate * 1e-3 : 0;
  }
  return c.gbps > 0 ? layer.bytes / c.gbps * 1e-3 : 0;  // data movement only
}

std::vector<LayerPoint> place_on_roofline(const std::vector<LayerSample>& layers, const Ceilings& c) {
  double total_us = 0;
  for (const LayerSample& l : layers) total_us += std::max(l.time_us, 0.0);
  double ridge = ridge_point(c);
  std::vector<LayerPoint> out;
  out.reserve(layers.size());
  for (const LayerSample& l : layers) {
    LayerPoint p;
    p.sample = l;
    p.share = total_us > 0 ? std::max(l.time_us, 0.0) / total_us : 0;
    p.intensity = l.bytes > 0 ? l.flops / l.bytes : 0;
    if (l.time_us > 0) {
      // FLOPs per microsecond / 1e3 = GFLOP/s.
      p.gflops = l.flops / l.time_us * 1e-3;
      p.gbps = l.bytes / l.time_us * 1e-3;
    }
    p.attainable = attainable_gflops(c, p.intensity);
    if (l.time_us > 0) p.efficiency = min_time_us(l, c) / l.time_us;
    p.memory_bound = p.intensity < ridge;
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace kiln::profile
