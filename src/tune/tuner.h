// Tactic choice at build time (DESIGN.md "src/tune/"): for every step, the CPU tactics that
// support its node are prepared with the real weights and timed on the real shapes (median of
// several runs, with the thread count the engine is built for); the fastest is kept with its
// packed weights, and the runners-up's times stay in the plan for `kiln inspect`. A timing cache
// file makes a second build of the same layers skip the timing.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "cpu/tactic.h"
#include "kiln/status.h"
#include "runtime/engine_data.h"
#include "tune/timing_cache.h"

namespace kiln::tune {

class LayerBench;

struct TuneOptions {
  std::string mode = "tune";  // "tune", "heuristic" or "reference"
  int threads = 1;
  std::string cache_path;  // empty: no timing cache
  /// "strict": FP32 layers take FP32 tactics only; "bf16x3": also the tactics that round their
  /// operands to bf16x3 (cpu::Tactic::bf16x3), where they are faster.
  std::string fp32_math = "strict";
  /// The timer that already timed layers of this build (the layout pass): its cache is used
  /// instead of loading cache_path, and what it timed counts as tuned, not as cache hits.
  LayerBench* timer = nullptr;
  std::function<void(const std::string&)> log;
};

/// Times single layers the way choose_tactics does (every supporting tactic, median of several
/// runs, the engine's thread count), keeping what it timed in a cache that choose_tactics then
/// reuses: the layout pass asks it what a layer costs in each layout.
class LayerBench {
 public:
  /// Loads options.cache_path when set.
  static Expected<std::unique_ptr<LayerBench>> open(const TuneOptions& options);
  ~LayerBench();
  /// Microseconds of the fastest tactic that supports `node` (from the cache, else timed now);
  /// nullopt when none does.
  Expected<std::optional<double>> fastest(const ir::Node& node);
  TimingCache& cache() { return cache_; }
  /// Whether this timer timed `key` (rather than finding it in the file).
  bool timed_now(const std::string& key) const { return fresh_.count(key) != 0; }

 private:
  LayerBench(const TuneOptions& options, TimingCache cache);
  struct Impl;
  std::unique_ptr<Impl> impl_;
  TimingCache cache_;
  std::set<std::string> fresh_;
  TuneOptions options_;  // threads and FP32 math (no cache path, log or timer)
};

/// Sets each step's tactic, prepared values (added to data.graph as constants) and timings, and
/// fills data.report's tuning fields.
Status choose_tactics(runtime::EngineData& data, const TuneOptions& options);

/// The tactics the build may choose from for `node`: those of cpu::tactics_for that the options'
/// FP32 math allows.
std::vector<const cpu::Tactic*> candidate_tactics(const ir::Node& node, cpu::Isa isa,
                                                  const TuneOptions& options);

/// The timing cache key of a node: op, domain, input types and shapes (constants marked), its
/// attributes, the ISA and the thread count.
std::string cache_key(const ir::Node& node, const std::string& isa, int threads);

}  // namespace kiln::tune
