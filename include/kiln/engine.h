// Build once, run many: the Builder turns an ONNX model into an Engine (optimized graph, tactics,
// memory plan), which can be saved as a plan file and loaded by the runtime alone. An Engine is
// immutable and shared; each Context owns an arena and runs one inference at a time. Contexts of
// one Engine may run concurrently on different threads.
//
//   kiln::BuilderConfig cfg;
//   cfg.shapes["x"] = {1, 3, 640, 640};
//   auto engine = kiln::Builder::build_onnx("det.onnx", cfg);
//   engine.value()->save("det.kplan");
//   auto loaded = kiln::Engine::load("det.kplan");
//   auto ctx = loaded.value()->create_context();
//   auto out = ctx.value()->run({{"x", input}});
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kiln/kiln.h"
#include "kiln/status.h"
#include "kiln/tensor.h"

namespace kiln {

namespace runtime {
struct EngineData;
}

struct BuilderConfig {
  /// Fixed shapes for inputs with dynamic dims (plans have static shapes).
  std::map<std::string, Shape> shapes;
  /// Threads the engine is tuned for and runs with by default.
  int threads = 1;
  /// Graph optimization passes; off keeps the imported graph (for debugging).
  bool optimize = true;
  /// How each layer's kernel is chosen: "tune" times every tactic that supports the layer on its
  /// real shapes and weights and keeps the fastest; "heuristic" takes the first supporting tactic
  /// without timing; "reference" runs the reference kernels only.
  std::string tactics = "tune";
  /// A timing cache file: read before tuning (layers found in it are not timed again) and written
  /// back after. Empty: no cache.
  std::string timing_cache;
  /// Activation layout of the CPU layers: "blocked" rewrites the layers that have blocked
  /// kernels (and the elementwise layers between them) to NCHW16c / NCHW8c with reorders at the
  /// edges of each run (src/cpu/layout.h); "planar" keeps NCHW everywhere. Ignored when tactics
  /// is "reference" or optimize is off.
  std::string layout = "blocked";
  /// FP32 arithmetic of the fast kernels: "strict" (FP32 products and sums) or "bf16x3": layers
  /// may also take AMX kernels that split each FP32 operand into two BF16s and sum three BF16
  /// products in FP32 (each product to about 2^-16 relative; TensorRT's FP32 default on NVIDIA,
  /// TF32, rounds to 2^-11), where timing finds them faster. Needs AMX-BF16; elsewhere the same
  /// as strict. See docs/cpu-backend.md.
  std::string fp32_math = "strict";
  /// A post-processing step appended to the graph before the passes, as TensorRT appends its NMS
  /// plugin: "" (none) or "yolox" (decode + class-aware NMS of a YOLOX head, kiln.YoloxPostprocess;
  /// "yolox:score=0.25,iou=0.45,max=100" sets its thresholds). See docs/vision.md.
  std::string postprocess;
  /// Receives one line per build step ("fuse-conv-bn: 53 rewrites").
  std::function<void(const std::string&)> log;
};

/// One line of the build log per pass.
struct PassCount {
  std::string pass;
  int rewrites = 0;
};

/// What the Builder did, for `kiln inspect` and the build log.
struct BuildReport {
  int nodes_before = 0;
  int nodes_after = 0;
  std::vector<PassCount> passes;
  double build_ms = 0;
  double tune_ms = 0;    // of build_ms, spent timing tactics
  int tuned_layers = 0;  // layers whose tactics were timed
  int cache_hits = 0;    // layers whose timings came from the timing cache
};

/// A tactic's median time on one layer, measured when the engine was built.
struct TacticTiming {
  std::string tactic;
  double microseconds = 0;
};

/// One executed layer of an Engine, as `kiln inspect` shows it.
struct LayerInfo {
  std::string name;
  std::string op;                  // op type after fusion, e.g. "Conv"
  std::vector<std::string> fused;  // ops folded into this layer, e.g. {"BatchNormalization", "Relu"}
  std::vector<std::string> inputs, outputs;
  std::vector<Shape> input_shapes, output_shapes;
  std::string precision;                // "float32"
  std::string tactic;                   // "reference", "conv2d.gemm.avx512", ...
  std::vector<TacticTiming> timings;    // every tactic timed on this layer, fastest first
  std::vector<int64_t> output_offsets;  // arena byte offset of each output (-1: not in the arena)
  double flops = 0, bytes = 0;          // nominal cost
};

struct MemoryInfo {
  int64_t arena_bytes = 0;  // peak arena size after planning
  int64_t naive_bytes = 0;  // sum of all activation sizes (no reuse)
  int64_t weights_bytes = 0;
  int64_t in_place = 0;  // outputs that reuse their input's bytes
  int64_t views = 0;     // outputs that are views into another value (concat elimination)
};

class Context;

class Engine : public std::enable_shared_from_this<Engine> {
 public:
  /// Loads a plan file (mapped, not copied). Refuses plans built for other CPU features or by an
  /// incompatible format version, naming what differs.
  static Expected<std::shared_ptr<const Engine>> load(const std::string& path);
  static Expected<std::shared_ptr<const Engine>> deserialize(const std::string& bytes);

  Status save(const std::string& path) const;
  Expected<std::string> serialize() const;

  const std::vector<TensorInfo>& inputs() const;
  const std::vector<TensorInfo>& outputs() const;
  std::vector<LayerInfo> layers() const;
  MemoryInfo memory() const;
  const BuildReport& build_report() const;
  int threads() const;

  /// A context with its own arena and `threads` threads (0: the count the engine was built for).
  Expected<std::unique_ptr<Context>> create_context(int threads = 0) const;

  explicit Engine(std::unique_ptr<runtime::EngineData> data);
  ~Engine();
  const runtime::EngineData& data() const { return *data_; }

 private:
  std::unique_ptr<runtime::EngineData> data_;
};

/// Per-layer timing hook for profilers: called after each layer with its index and microseconds.
using LayerTimer = std::function<void(size_t layer, double microseconds)>;

class Context {
 public:
  /// Runs one inference. Inputs are bound by name; outputs come back in the engine's order and
  /// own their bytes (they stay valid after the next run).
  Expected<std::vector<NamedTensor>> run(const std::vector<NamedTensor>& inputs);
  /// The same, writing the outputs into `outputs` (the engine's order, each already of its
  /// output's type and shape, e.g. made once from Engine::outputs()). A plan whose layers all run
  /// CPU tactics then allocates nothing on the heap while it runs; an output whose shape is known
  /// only at run time replaces its tensor.
  Status run_into(const std::vector<NamedTensor>& inputs, std::vector<Tensor>& outputs);
  /// Calls `timer` after every layer (nullptr: off).
  void set_layer_timer(LayerTimer timer) { timer_ = std::move(timer); }

  const Engine& engine() const { return *engine_; }
  int threads() const;
  explicit Context(std::shared_ptr<const Engine> engine, int threads = 0);
  ~Context();

 private:
  struct Workers;   // the thread pool and the tactics' scratch
  struct Bindings;  // each value's tensor: arena views made once, inputs and run-time values
  Status execute(const std::vector<NamedTensor>& inputs);
  std::shared_ptr<const Engine> engine_;
  std::shared_ptr<std::byte[]> arena_;
  std::unique_ptr<Workers> workers_;
  std::unique_ptr<Bindings> bindings_;
  LayerTimer timer_;
};

class Builder {
 public:
  /// Imports, optimizes, plans memory and returns an Engine ready to run or save.
  static Expected<std::shared_ptr<Engine>> build_onnx(const std::string& path, const BuilderConfig& config);
};

}  // namespace kiln
