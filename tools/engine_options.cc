#include "engine_options.h"

#include <fstream>
#include <random>
#include <thread>

#include "core/dtype.h"
#include "options.h"
#include "profile/peak.h"

namespace kiln::cli {
namespace {
bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
using Clock = std::chrono::steady_clock;
}  // namespace

void EngineSource::add_to(CLI::App& app) {
  app.add_option("model", path, "ONNX model (built first) or .kplan plan (loaded)")->required();
  app.add_option("--shapes", shapes_raw,
                 "Shapes of ONNX inputs with dynamic dims, NAME:DxDxD (comma-separated or repeated)");
}

bool EngineSource::is_plan() const { return ends_with(path, ".kplan"); }

Status EngineSource::parse(BuilderConfig& config) const {
  if (is_plan() && !shapes_raw.empty()) {
    return invalid_argument("--shapes applies when building from ONNX; the plan '" + path +
                            "' has fixed shapes (rebuild it with `kiln build --shapes ...`)");
  }
  for (const auto& s : shapes_raw) KILN_RETURN_IF_ERROR(parse_shapes(s, config.shapes));
  return Status::ok();
}

void BuildOptions::add_to(CLI::App& app) {
  app.add_option(
      "--threads", threads,
      "Threads the engine is tuned for and runs with (default 1); with a plan: threads to run with");
  app.add_flag("--no-optimize", no_optimize, "Skip the graph optimization passes (keep the imported graph)");
  app.add_option("--tactics", tactics,
                 "tune (time every tactic, keep the fastest; default), heuristic (no timing) or reference");
  app.add_option("--timing-cache", timing_cache, "Timing cache file: read before tuning, updated after");
  app.add_option(
      "--layout", layout,
      "blocked (conv runs in NCHW16c/NCHW8c with reorders at their edges; default) or planar (NCHW)");
  app.add_option("--postprocess", postprocess,
                 "Append a post-processing step to the engine: yolox[:score=0.25,iou=0.45,max=100] "
                 "(decode + class-aware NMS)");
  app.add_option("--fp32-math", fp32_math,
                 "strict (FP32 products; default) or bf16x3 (also AMX kernels that sum three BF16 products "
                 "per FP32 product, each to ~2^-16 relative, where faster)");
}

Status BuildOptions::parse(BuilderConfig& config, bool for_plan) const {
  if (for_plan && (no_optimize || tactics != "tune" || !timing_cache.empty() || !postprocess.empty() ||
                   layout != "blocked" || fp32_math != "strict")) {
    return invalid_argument(std::string(no_optimize             ? "--no-optimize"
                                        : !timing_cache.empty() ? "--timing-cache"
                                        : layout != "blocked"   ? "--layout"
                                        : !postprocess.empty()  ? "--postprocess"
                                        : fp32_math != "strict" ? "--fp32-math"
                                                                : "--tactics") +
                            " applies when building from ONNX; a plan keeps the settings it was built with");
  }
  if (tactics != "tune" && tactics != "heuristic" && tactics != "reference") {
    return invalid_argument("--tactics " + tactics + ": expected tune, heuristic or reference");
  }
  if (layout != "blocked" && layout != "planar")
    return invalid_argument("--layout " + layout + ": expected blocked or planar");
  if (fp32_math != "strict" && fp32_math != "bf16x3")
    return invalid_argument("--fp32-math " + fp32_math + ": expected strict or bf16x3");
  if (threads && (*threads < 1 || *threads > 1024)) {
    return invalid_argument("--threads " + std::to_string(*threads) + ": expected 1 to 1024");
  }
  config.threads = threads.value_or(1);
  config.optimize = !no_optimize;
  config.tactics = tactics;
  config.timing_cache = timing_cache;
  config.postprocess = postprocess;
  config.layout = layout;
  config.fp32_math = fp32_math;
  return Status::ok();
}

void InferenceOptions::add_to(CLI::App& app, bool with_streams) {
  app.add_option("--iterations", iterations,
                 with_streams ? "Timed runs per stream (default 20)" : "Timed runs (default 20)");
  app.add_option("--warmup", warmup, "Untimed runs first (default 2)");
  app.add_option("--seed", seed, "Seed of the random inputs");
  if (with_streams) {
    app.add_option("--duration", duration_s, "Stop after this many seconds even if runs remain");
    app.add_option("--streams", streams, "Concurrent contexts, each on its own thread (default 1)");
  }
}

Status InferenceOptions::parse() const {
  if (iterations < 1)
    return invalid_argument("--iterations " + std::to_string(iterations) + ": expected >= 1");
  if (warmup < 0) return invalid_argument("--warmup " + std::to_string(warmup) + ": expected >= 0");
  if (duration_s && !(*duration_s > 0)) {
    return invalid_argument("--duration " + std::to_string(*duration_s) +
                            ": expected a positive number of seconds");
  }
  if (streams < 1 || streams > 256) {
    return invalid_argument("--streams " + std::to_string(streams) + ": expected 1 to 256");
  }
  return Status::ok();
}

void PeakOptions::add_to(CLI::App& app) {
  app.add_option("--threads", threads, "Thread counts to measure, e.g. 1,2 (default: 1 and all cores)")
      ->delimiter(',');
  app.add_option("--seconds", seconds, "Time budget of each measurement (default 1)");
  app.add_option("--stream-mib", stream_mib,
                 "Size of each bandwidth buffer in MiB (default: 4x the LLC, <= 1 GiB)");
}

Status PeakOptions::parse() const {
  for (int t : threads)
    if (t < 1 || t > 1024) return invalid_argument("--threads " + std::to_string(t) + ": expected 1 to 1024");
  if (!(seconds > 0 && seconds <= 60))
    return invalid_argument("--seconds " + std::to_string(seconds) + ": expected 0 to 60");
  if (stream_mib < 0 || stream_mib > (int64_t{1} << 20)) {
    return invalid_argument("--stream-mib " + std::to_string(stream_mib) + ": expected 1 to 1048576");
  }
  return Status::ok();
}

std::vector<int> PeakOptions::thread_counts() const {
  if (!threads.empty()) return threads;
  int all = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return all > 1 ? std::vector<int>{1, all} : std::vector<int>{1};
}

size_t PeakOptions::stream_bytes() const {
  return stream_mib > 0 ? static_cast<size_t>(stream_mib) << 20 : profile::default_stream_bytes();
}

void CeilingOptions::add_to(CLI::App& app) {
  app.add_option("--peak-gflops", gflops, "Compute ceiling in GFLOP/s (default: measured now)");
  app.add_option("--peak-gbps", gbps, "Memory ceiling in GB/s (default: measured now)");
  app.add_option("--peak-seconds", seconds, "Time budget of each ceiling measurement (default 0.25)");
}

Status CeilingOptions::parse() const {
  if (gflops && !(*gflops > 0)) return invalid_argument("--peak-gflops: expected a positive GFLOP/s");
  if (gbps && !(*gbps > 0)) return invalid_argument("--peak-gbps: expected a positive GB/s");
  if (!(seconds > 0 && seconds <= 60)) return invalid_argument("--peak-seconds: expected 0 to 60");
  return Status::ok();
}

Expected<profile::Ceilings> CeilingOptions::resolve(int threads) const {
  profile::Ceilings c;
  c.gflops = gflops ? *gflops : profile::measure_fma_gflops(threads, seconds).per_cpu;
  if (gbps) {
    c.gbps = *gbps;
  } else {
    KILN_ASSIGN_OR_RETURN(profile::Rate r,
                          profile::measure_stream_gbps(threads, profile::default_stream_bytes(), seconds));
    c.gbps = r.per_cpu;
  }
  return c;
}

Expected<LoadedEngine> open_engine(const EngineSource& source, const BuilderConfig& config) {
  LoadedEngine out;
  auto t0 = Clock::now();
  if (source.is_plan()) {
    KILN_ASSIGN_OR_RETURN(out.engine, Engine::load(source.path));
  } else {
    KILN_ASSIGN_OR_RETURN(std::shared_ptr<Engine> built, Builder::build_onnx(source.path, config));
    out.engine = std::move(built);
    out.built = true;
  }
  out.setup_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  return out;
}

Expected<std::vector<NamedTensor>> random_inputs(const std::vector<TensorInfo>& inputs, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> real(-1.0, 1.0);
  std::uniform_int_distribution<int> small(0, 9);
  std::vector<NamedTensor> out;
  for (const TensorInfo& info : inputs) {
    for (int64_t d : info.shape) {
      if (d < 0) {
        return invalid_argument("input '" + info.name + "' has dynamic shape " + shape_str(info.shape) +
                                "; build with --shapes " + info.name + ":DIMS");
      }
    }
    if (info.dtype == DataType::kUndefined)
      return invalid_argument("input '" + info.name + "' has no data type");
    Tensor t(info.dtype, info.shape);
    visit_dtype(info.dtype, [&]<typename T>() {
      T* p = t.data<T>();
      for (int64_t i = 0; i < t.numel(); ++i) {
        if constexpr (std::is_same_v<T, bool>) {
          p[i] = small(rng) >= 5;
        } else if constexpr (std::is_floating_point_v<T> || std::is_same_v<T, float16> ||
                             std::is_same_v<T, bfloat16>) {
          p[i] = T(static_cast<float>(real(rng)));
        } else {
          p[i] = static_cast<T>(small(rng));
        }
      }
    });
    out.push_back({info.name, std::move(t)});
  }
  return out;
}

Status write_text_file(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) return io_error("'" + path + "': cannot open for writing");
  f.write(text.data(), static_cast<std::streamsize>(text.size()));
  if (!f) return io_error("'" + path + "': write failed (disk full?)");
  return Status::ok();
}

std::string human_bytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (bytes >= 1024 && u < 4) {
    bytes /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), u == 0 ? "%.0f %s" : "%.2f %s", bytes, units[u]);
  return buf;
}

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

}  // namespace kiln::cli
