// The roofline model: a layer doing `flops` over `bytes` cannot run faster than
// min(peak FLOP/s, intensity x bandwidth), with both ceilings measured on this machine (peak.h).
// Efficiency = achieved / attainable says how far a layer is from what the machine allows.
#pragma once

#include <string>
#include <vector>

namespace kiln::profile {

/// Measured machine ceilings.
struct Ceilings {
  double gflops = 0;  // FP32 FMA throughput, GFLOP/s
  double gbps = 0;    // streaming memory bandwidth, GB/s (1e9 bytes/s)
};

/// Arithmetic intensity (FLOP/byte) at which the two ceilings meet: below it a layer is memory
/// bound, above it compute bound.
double ridge_point(const Ceilings& c);

/// min(peak GFLOP/s, intensity x GB/s): the best a layer of this intensity can do here.
double attainable_gflops(const Ceilings& c, double intensity);

/// One timed layer, as the profiler measured it.
struct LayerSample {
  std::string name;
  std::string op;
  double time_us = 0;  // median time of the layer
  double flops = 0;    // nominal FLOPs (LayerInfo::flops)
  double bytes = 0;    // nominal bytes read and written (LayerInfo::bytes)
};

/// A layer placed on the roofline.
struct LayerPoint {
  LayerSample sample;
  double share = 0;       // of the summed layer times, in [0, 1]
  double intensity = 0;   // FLOP/byte; 0 when bytes is 0
  double gflops = 0;      // achieved; 0 when the time is 0
  double gbps = 0;        // achieved
  double attainable = 0;  // GFLOP/s at this intensity
  /// gflops / attainable; for a layer that only moves data (no FLOPs), gbps / the bandwidth
  /// ceiling; 0 without bytes or time.
  double efficiency = 0;
  bool memory_bound = false;  // intensity below the ridge point (data movement included)
  /// Has FLOPs, bytes and time, so it can sit on log-log axes.
  bool plottable() const { return sample.flops > 0 && sample.bytes > 0 && sample.time_us > 0; }
};

/// The fastest `layer` could run under the ceilings of `c`, in microseconds: its FLOPs at the
/// attainable rate of its intensity, or its bytes at the bandwidth ceiling when it has no FLOPs.
/// Efficiency is this over the measured time. 0 when the layer has no bytes.
double min_time_us(const LayerSample& layer, const Ceilings& c);

/// Places every layer on the roofline of `c` (in the order given).
std::vector<LayerPoint> place_on_roofline(const std::vector<LayerSample>& layers, const Ceilings& c);

}  // namespace kiln::profile
