// Option groups of the engine commands (build, bench, inspect, profile), in the spirit of trtexec's
// ModelOptions / BuildOptions / InferenceOptions. Each has `add_to(app)` for CLI11 and a `parse` that
// checks the values and fills the typed configuration, with an error that says what to pass instead.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "kiln/engine.h"
#include "profile/roofline.h"

namespace kiln::cli {

/// MODEL (.onnx: built first; .kplan: loaded) [--shapes NAME:DIMS]
struct EngineSource {
  std::string path;
  std::vector<std::string> shapes_raw;

  void add_to(CLI::App& app);
  /// True for a plan file (by its .kplan extension); anything else is imported as ONNX.
  bool is_plan() const;
  /// Fills `config.shapes` from --shapes; a plan takes no --shapes (its shapes are fixed).
  Status parse(BuilderConfig& config) const;
};

/// --threads T, --no-optimize, --tactics MODE, --timing-cache FILE, --layout L, --postprocess STEP,
/// --fp32-math M: how an
/// ONNX model is built. --threads also applies to a plan: it runs with T threads instead of the count it was
/// tuned for.
struct BuildOptions {
  std::optional<int> threads;
  bool no_optimize = false;
  std::string tactics = "tune";
  std::string timing_cache;
  std::string layout = "blocked";    // BuilderConfig::layout
  std::string postprocess;           // BuilderConfig::postprocess ("yolox[:score=S,iou=I,max=M]")
  std::string fp32_math = "strict";  // BuilderConfig::fp32_math

  /// Threads for the run's contexts: --threads, else 0 (the engine's own count).
  int run_threads() const { return threads.value_or(0); }

  void add_to(CLI::App& app);
  /// Checks 1 <= T <= 1024 and fills `config`. `for_plan`: these options only apply when building,
  /// so giving them with a .kplan is an error.
  Status parse(BuilderConfig& config, bool for_plan) const;
};

/// --iterations N, --warmup N, --duration S, --streams K, --seed: how inference is timed.
struct InferenceOptions {
  int iterations = 20;
  int warmup = 2;
  std::optional<double> duration_s;
  int streams = 1;
  uint64_t seed = 0;

  /// `with_streams`: also offer --streams and --duration (bench; profile times one stream).
  void add_to(CLI::App& app, bool with_streams);
  Status parse() const;
};

/// kiln peak: --threads T[,T...], --seconds S, --stream-mib M
struct PeakOptions {
  std::vector<int> threads;
  double seconds = 1.0;
  int64_t stream_mib = 0;  // 0: profile::default_stream_bytes()

  void add_to(CLI::App& app);
  Status parse() const;
  /// The thread counts to measure: as given, else 1 and every core.
  std::vector<int> thread_counts() const;
  size_t stream_bytes() const;
};

/// kiln profile's roofline ceilings: --peak-gflops G and --peak-gbps B give them (e.g. from an
/// earlier `kiln peak`); what is not given is measured briefly, for --peak-seconds S each.
struct CeilingOptions {
  std::optional<double> gflops, gbps;
  double seconds = 0.25;

  void add_to(CLI::App& app);
  Status parse() const;
  /// The given ceilings, measuring the missing ones on `threads` threads.
  Expected<profile::Ceilings> resolve(int threads) const;
};

/// An engine ready to run, and how it came to be.
struct LoadedEngine {
  std::shared_ptr<const Engine> engine;
  bool built = false;   // built from ONNX (else loaded from a plan)
  double setup_ms = 0;  // build or load time
};

/// Builds `source` (ONNX) with `config` (whose `log` gets the build log) or loads it (plan).
Expected<LoadedEngine> open_engine(const EngineSource& source, const BuilderConfig& config);

/// Seeded random inputs for every engine input: floats uniform in [-1, 1], integers in [0, 10),
/// booleans fair. Fails on an input without a static shape.
Expected<std::vector<NamedTensor>> random_inputs(const std::vector<TensorInfo>& inputs, uint64_t seed);

/// Writes `text` to `path` (replacing it); the error names the path.
Status write_text_file(const std::string& path, const std::string& text);

/// "1.23 MiB" style sizes for logs.
std::string human_bytes(double bytes);
/// `v` with `digits` decimals ("12.346").
std::string fixed(double v, int digits);

}  // namespace kiln::cli
