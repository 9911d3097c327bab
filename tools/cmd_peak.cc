// kiln peak [--threads T[,T...]] [--seconds S] [--stream-mib M] [--json]
// Measures this machine's ceilings per thread count: FP32 FMA throughput and streaming memory
// bandwidth, summed over T threads running together. These are the roofline's ceilings.
#include <iomanip>
#include <iostream>
#include <thread>

#include "command.h"
#include "engine_options.h"
#include "nlohmann/json.hpp"
#include "profile/peak.h"
#include "profile/roofline.h"
#include "runtime/target.h"

namespace kiln::cli {
namespace {

struct PeakCommand {
  PeakOptions peak;
  bool json = false;
};

int run_peak(const PeakCommand& o) {
  if (Status st = o.peak.parse(); !st) {
    std::cerr << "kiln peak: " << st.message() << "\n";
    return 2;
  }
  runtime::Target target = runtime::detect_target(1);
  size_t bytes = o.peak.stream_bytes();
  if (!o.json) {
    std::cout << "cpu      " << target.cpu_name << " [" << runtime::feature_names(target.features) << "]\n";
    std::cout << "kernels  FMA " << profile::fma_isa() << ", stream scale over 2 x "
              << human_bytes(static_cast<double>(bytes)) << "\n";
    std::cout << std::left << std::setw(9) << "threads" << std::right << std::setw(10) << "GFLOP/s"
              << std::setw(9) << "GB/s" << std::setw(14) << "ridge FLOP/B"
              << "   wall: GFLOP/s" << std::setw(9) << "GB/s" << std::setw(7) << "cpu%"
              << "\n";
  }
  nlohmann::json results = nlohmann::json::array();
  bool busy = false;
  for (int t : o.peak.thread_counts()) {
    auto r = profile::measure_peaks(t, o.peak.seconds, bytes);
    if (!r) {
      std::cerr << "kiln peak: " << r.status().message() << "\n";
      return 1;
    }
    double ridge = profile::ridge_point({r->gflops, r->gbps});
    double cpu_share = std::min(r->fma.cpu_share, r->stream.cpu_share);
    busy = busy || cpu_share < 0.9;
    if (o.json) {
      results.push_back({{"threads", t},
                         {"gflops", r->gflops},
                         {"gbps", r->gbps},
                         {"ridge_flop_per_byte", ridge},
                         {"gflops_wall", r->fma.wall},
                         {"gbps_wall", r->stream.wall},
                         {"cpu_share_fma", r->fma.cpu_share},
                         {"cpu_share_stream", r->stream.cpu_share}});
    } else {
      std::cout << std::left << std::setw(9) << t << std::right << std::fixed << std::setprecision(1)
                << std::setw(10) << r->gflops << std::setw(9) << r->gbps << std::setw(14)
                << std::setprecision(2) << ridge << std::setprecision(1) << std::setw(16) << r->fma.wall
                << std::setw(9) << r->stream.wall << std::setw(7) << std::setprecision(0) << cpu_share * 100
                << "\n"
                << std::defaultfloat;
    }
  }
  if (busy && !o.json) {
    std::cout << "note     other processes shared the cores (cpu% < 90): GFLOP/s and GB/s are per CPU-second "
                 "of each\n"
                 "         thread, summed; the wall-clock rates are what this run got\n";
  }
  if (o.json) {
    nlohmann::json j = {
        {"cpu", target.cpu_name},        {"features", runtime::feature_names(target.features)},
        {"fma_isa", profile::fma_isa()}, {"stream_bytes", bytes},
        {"seconds", o.peak.seconds},     {"results", results}};
    std::cout << j.dump(2) << "\n";
  }
  return 0;
}

}  // namespace

KILN_REGISTER_COMMAND({"peak", "Measure this machine's FP32 FMA throughput and streaming memory bandwidth",
                       [](CLI::App& app) {
                         auto o = std::make_shared<PeakCommand>();
                         o->peak.add_to(app);
                         app.add_flag("--json", o->json, "Print JSON instead of a table");
                         return std::function<int()>([o] { return run_peak(*o); });
                       }});

}  // namespace kiln::cli
