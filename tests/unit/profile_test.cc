#include <gtest/gtest.h>

#include <regex>

#include "nlohmann/json.hpp"
#include "profile/peak.h"
#include "profile/roofline.h"
#include "profile/stats.h"
#include "profile/svg.h"
#include "profile/trace.h"
#include "runtime/target.h"

namespace kiln::profile {
namespace {

TEST(Stats, PercentilesInterpolateBetweenRanks) {
  std::vector<double> v;
  for (int i = 100; i >= 1; --i) v.push_back(i);  // unsorted on purpose
  Summary s = summarize(v);
  EXPECT_EQ(s.count, 100u);
  EXPECT_DOUBLE_EQ(s.min, 1);
  EXPECT_DOUBLE_EQ(s.max, 100);
  EXPECT_DOUBLE_EQ(s.median, 50.5);
  EXPECT_NEAR(s.p90, 90.1, 1e-9);
  EXPECT_NEAR(s.p99, 99.01, 1e-9);
  EXPECT_DOUBLE_EQ(summarize({3, 1, 2}).median, 2);
}

TEST(Stats, CoefficientOfVariation) {
  Summary s = summarize({2, 4, 4, 4, 5, 5, 7, 9});
  EXPECT_DOUBLE_EQ(s.mean, 5);
  EXPECT_DOUBLE_EQ(s.stddev, 2);
  EXPECT_DOUBLE_EQ(s.cv, 0.4);
  EXPECT_EQ(summarize({}).count, 0u);
}

TEST(Roofline, AttainableOnBothSidesOfTheRidge) {
  Ceilings c{100, 20};  // ridge at 5 FLOP/byte
  EXPECT_DOUBLE_EQ(ridge_point(c), 5);
  EXPECT_DOUBLE_EQ(attainable_gflops(c, 1), 20);    // memory bound: 1 x 20 GB/s
  EXPECT_DOUBLE_EQ(attainable_gflops(c, 2.5), 50);  // still below the ridge
  EXPECT_DOUBLE_EQ(attainable_gflops(c, 5), 100);   // at the ridge both agree
  EXPECT_DOUBLE_EQ(attainable_gflops(c, 40), 100);  // compute bound: the peak
  EXPECT_DOUBLE_EQ(attainable_gflops(c, 0), 0);
}

std::vector<LayerSample> four_layers() {
  return {
      {"dw<1>&\"x\"", "Conv", 100, 2e6, 1e6},   // 2 FLOP/B, 20 GFLOP/s, 10 GB/s
      {"gemm", "MatMul", 20000, 1e9, 1e7},      // 100 FLOP/B, 50 GFLOP/s
      {"reshape", "Reshape", 0, 0, 0},          // nothing to plot
      {"transpose", "Transpose", 100, 0, 1e6},  // moves data only: 10 GB/s
  };
}

TEST(Roofline, PlacesLayersWithEfficiency) {
  Ceilings c{100, 20};
  auto p = place_on_roofline(four_layers(), c);
  ASSERT_EQ(p.size(), 4u);
  EXPECT_DOUBLE_EQ(p[0].intensity, 2);
  EXPECT_DOUBLE_EQ(p[0].gflops, 20);
  EXPECT_DOUBLE_EQ(p[0].gbps, 10);
  EXPECT_DOUBLE_EQ(p[0].attainable, 40);
  EXPECT_DOUBLE_EQ(p[0].efficiency, 0.5);
  EXPECT_TRUE(p[0].memory_bound);
  EXPECT_DOUBLE_EQ(p[1].gflops, 50);
  EXPECT_DOUBLE_EQ(p[1].attainable, 100);
  EXPECT_DOUBLE_EQ(p[1].efficiency, 0.5);
  EXPECT_FALSE(p[1].memory_bound);
  EXPECT_NEAR(p[0].share, 100.0 / 20200.0, 1e-12);
  EXPECT_NEAR(p[1].share, 20000.0 / 20200.0, 1e-12);
  EXPECT_FALSE(p[2].plottable());
  EXPECT_EQ(p[2].efficiency, 0);
  EXPECT_FALSE(p[3].plottable());
  EXPECT_DOUBLE_EQ(p[3].gbps, 10);
  EXPECT_DOUBLE_EQ(p[3].efficiency, 0.5);  // against the 20 GB/s ceiling
  EXPECT_TRUE(p[3].memory_bound);
  // Efficiency is the roofline's minimum time over the measured time.
  EXPECT_DOUBLE_EQ(min_time_us(four_layers()[0], c), 50);     // 2e6 FLOP at 40 GFLOP/s
  EXPECT_DOUBLE_EQ(min_time_us(four_layers()[1], c), 10000);  // 1e9 FLOP at 100 GFLOP/s
  EXPECT_DOUBLE_EQ(min_time_us(four_layers()[3], c), 50);     // 1e6 bytes at 20 GB/s
  EXPECT_EQ(min_time_us(four_layers()[2], c), 0);
}

TEST(Svg, OnePointPerPlottableLayerWithTitles) {
  Ceilings c{100, 20};
  auto points = place_on_roofline(four_layers(), c);
  std::string svg = roofline_svg(points, c, "model <test>");
  std::regex circle("<circle class=\"layer\" cx=\"([0-9.e+-]+)\" cy=\"([0-9.e+-]+)\"");
  std::vector<std::pair<double, double>> xy;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), circle); it != std::sregex_iterator(); ++it) {
    xy.emplace_back(std::stod((*it)[1]), std::stod((*it)[2]));
  }
  ASSERT_EQ(xy.size(), 2u);  // the Reshape and the Transpose have no FLOPs: noted, not drawn
  EXPECT_NE(svg.find("2 layer(s) without FLOPs"), std::string::npos);
  // Drawn largest share first: gemm, then the conv. gemm has the higher intensity (further right)
  // and the higher GFLOP/s (further up, smaller y).
  EXPECT_GT(xy[0].first, xy[1].first);
  EXPECT_LT(xy[0].second, xy[1].second);
  EXPECT_NE(svg.find("<title>dw&lt;1&gt;&amp;&quot;x&quot; (Conv)"), std::string::npos);
  EXPECT_NE(svg.find("<title>gemm (MatMul)"), std::string::npos);
  EXPECT_NE(svg.find("model &lt;test&gt;"), std::string::npos);
  EXPECT_NE(svg.find("class=\"ceiling\""), std::string::npos);
  EXPECT_NE(svg.find("peak 100 GFLOP/s"), std::string::npos);
  EXPECT_NE(svg.find("20 GB/s"), std::string::npos);
  EXPECT_EQ(svg.find("<svg"), 0u);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
}

TEST(Trace, ParsesAsJsonWithOneEventPerLayer) {
  std::vector<TraceEvent> events = {
      {"conv \"1\"\n", "Conv", 0, 12.5, 0, {{"op", "Conv"}, {"outputs", "1x32x112x112"}}},
      {"relu\\2", "Relu", 12.5, 3.25, 0, {{"op", "Relu"}}},
      {"ctl\x01", "Add", 15.75, 1, 0, {}},
  };
  auto j = nlohmann::json::parse(chrome_trace_json(events, "mobilenet"));
  std::vector<nlohmann::json> x;
  for (const auto& e : j.at("traceEvents"))
    if (e.at("ph") == "X") x.push_back(e);
  ASSERT_EQ(x.size(), 3u);
  EXPECT_EQ(x[0].at("name"), "conv \"1\"\n");
  EXPECT_EQ(x[1].at("name"), "relu\\2");
  EXPECT_EQ(x[2].at("name"), "ctl\x01");
  EXPECT_DOUBLE_EQ(x[1].at("ts").get<double>(), 12.5);
  EXPECT_DOUBLE_EQ(x[1].at("dur").get<double>(), 3.25);
  EXPECT_EQ(x[0].at("cat"), "Conv");
  EXPECT_EQ(x[0].at("args").at("outputs"), "1x32x112x112");
  EXPECT_TRUE(x[2].at("args").empty());
}

TEST(Peak, MeasuresPositiveCeilingsWithTheCpusWidestFma) {
  uint64_t f = runtime::detect_target(1).features;
  std::string expect = (f & runtime::kAvx512f)                         ? "avx512f"
                       : ((f & runtime::kAvx2) && (f & runtime::kFma)) ? "avx2+fma"
                                                                       : "scalar";
  EXPECT_EQ(fma_isa(), expect);
  // Loose lower bounds: any x86 core of the last decade beats them by far; a kernel that does no
  // work or a wrong FLOP count (off by the vector width) would not.
  double gflops = measure_fma_gflops(1, 0.05).per_cpu;
  EXPECT_GT(gflops, expect == "scalar" ? 1.0 : 10.0);
  EXPECT_LT(gflops, 1000.0);  // one core cannot do a TFLOP/s of FP32
  auto gbps = measure_stream_gbps(1, 64 << 20, 0.05);
  ASSERT_TRUE(gbps) << gbps.status().message();
  EXPECT_GT(gbps->per_cpu, 1.0);
  EXPECT_LT(gbps->per_cpu, 1000.0);
  EXPECT_GT(gbps->cpu_share, 0.0);
  EXPECT_LE(gbps->cpu_share, 1.01);
  EXPECT_FALSE(measure_stream_gbps(4, 64, 0.01));  // smaller than one cache line per thread
}

}  // namespace
}  // namespace kiln::profile
