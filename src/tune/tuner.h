// Tactic choice at build time (DESIGN.md "src/tune/"): for every step, the CPU tactics that
// support its node are prepared with the real weights and timed on the real shapes (median of
// several runs, with the thread count the engine is built for); the fastest is kept with its
// packed weights, and the runners-up's times stay in the plan for `kiln inspect`. A timing cache
// file makes a second build of the same layers skip the timing.
#pragma once

#include <functional>
#include <string>

#include "kiln/status.h"
#include "runtime/engine_data.h"

namespace kiln::tune {

struct TuneOptions {
  std::string mode = "tune";  // "tune", "heuristic" or "reference"
  int threads = 1;
  std::string cache_path;  // empty: no timing cache
  std::function<void(const std::string&)> log;
};

/// Sets each step's tactic, prepared values (added to data.graph as constants) and timings, and
/// fills data.report's tuning fields.
Status choose_tactics(runtime::EngineData& data, const TuneOptions& options);

/// The timing cache key of a node: op, domain, input types and shapes (constants marked), its
/// attributes, the ISA and the thread count.
std::string cache_key(const ir::Node& node, const std::string& isa, int threads);

}  // namespace kiln::tune
