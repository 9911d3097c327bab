// kiln run MODEL.(onnx|kplan) [--shapes ...] [--input NAME=FILE] [--output-dir DIR] [--reference]
// An .onnx is built into an engine in memory (as `kiln build` would) unless --reference asks for the
// plain interpreter on the imported graph; a .kplan is loaded by the runtime alone.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <optional>

#include "command.h"
#include "core/npy.h"
#include "ir/graph.h"
#include "kiln/engine.h"
#include "options.h"

namespace kiln::cli {
namespace {

struct RunOptionsCli {
  ModelOptions model;
  InputOptions inputs;
  std::string output_dir;
  int iterations = 1;
  bool reference = false;
  int threads = 0;                    // 0: 1 when building, the plan's count when loading
  std::string tactics = "heuristic";  // a one-off run does not pay for tuning
  std::string fp32_math = "strict";   // BuilderConfig::fp32_math
};

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

bool is_plan(const std::string& path) {
  return path.size() > 6 && path.compare(path.size() - 6, 6, ".kplan") == 0;
}

Status write_outputs(const std::string& dir, const std::vector<NamedTensor>& outputs) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return io_error("cannot create '" + dir + "': " + ec.message());
  for (const auto& out : outputs) {
    // The same rule as scripts/ort_run.js: anything outside [A-Za-z0-9._-] becomes '_'.
    std::string safe = out.name;
    for (char& c : safe)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') c = '_';
    std::string path = (std::filesystem::path(dir) / (safe + ".npy")).string();
    KILN_RETURN_IF_ERROR(write_npy(path, out.tensor));
    std::cout << "wrote  " << path << "\n";
  }
  return Status::ok();
}

int fail(const Status& st, int code) {
  std::cerr << "kiln run: " << st.message() << "\n";
  return code;
}

int run_model(const RunOptionsCli& o) {
  ImportOptions import;
  if (Status st = o.model.parse(import); !st) return fail(st, 2);
  auto t0 = Clock::now();
  // One of: the reference Model, or an Engine with a Context.
  std::optional<Model> model;
  std::shared_ptr<const Engine> engine;
  std::unique_ptr<Context> context;
  std::vector<TensorInfo> input_info;
  std::string how;
  if (is_plan(o.model.model)) {
    auto e = Engine::load(o.model.model);
    if (!e) return fail(e.status(), 1);
    engine = *e;
    how = "plan loaded";
  } else if (o.reference) {
    auto m = Model::load_onnx(o.model.model, import);
    if (!m) return fail(m.status(), 1);
    model.emplace(std::move(*m));
    input_info = model->inputs();
    how = "imported (reference interpreter, " + std::to_string(model->graph().nodes().size()) + " nodes)";
  } else {
    BuilderConfig cfg;
    cfg.shapes = import.shapes;
    cfg.threads = std::max(1, o.threads);
    cfg.tactics = o.tactics;
    cfg.fp32_math = o.fp32_math;
    auto e = Builder::build_onnx(o.model.model, cfg);
    if (!e) return fail(e.status(), 1);
    engine = *e;
    how = "built (" + std::to_string(engine->build_report().nodes_before) + " -> " +
          std::to_string(engine->build_report().nodes_after) + " nodes)";
  }
  if (engine) {
    input_info = engine->inputs();
    auto c = engine->create_context(o.threads);
    if (!c) return fail(c.status(), 1);
    context = std::move(*c);
  }
  std::cout << "model  " << o.model.model << "  " << how << " in " << ms_since(t0) << " ms\n";
  auto inputs = o.inputs.load(input_info);
  if (!inputs) return fail(inputs.status(), 2);
  for (const auto& in : *inputs) {
    std::cout << "input  " << in.name << "  " << dtype_name(in.tensor.dtype()) << "["
              << shape_str(in.tensor.shape()) << "]\n";
  }
  Expected<std::vector<NamedTensor>> outputs = std::vector<NamedTensor>{};
  std::vector<double> times;
  for (int it = 0; it < std::max(1, o.iterations); ++it) {
    auto r0 = Clock::now();
    outputs = context ? context->run(*inputs) : model->run(*inputs);
    times.push_back(ms_since(r0));
    if (!outputs) return fail(outputs.status(), 1);
  }
  std::sort(times.begin(), times.end());
  for (const auto& out : *outputs) {
    std::cout << "output " << out.name << "  " << dtype_name(out.tensor.dtype()) << "["
              << shape_str(out.tensor.shape()) << "]  " << summarize(out.tensor) << "\n";
  }
  std::cout << "time   " << times[times.size() / 2] << " ms (median of " << times.size() << " run(s))\n";
  if (!o.output_dir.empty()) {
    if (Status st = write_outputs(o.output_dir, *outputs); !st) return fail(st, 1);
  }
  return 0;
}

}  // namespace

KILN_REGISTER_COMMAND(
    {"run", "Run a model (.onnx, built in memory) or a plan (.kplan) on given or random inputs",
     [](CLI::App& app) {
       auto o = std::make_shared<RunOptionsCli>();
       o->model.add_to(app);
       o->inputs.add_to(app);
       app.add_option("--output-dir", o->output_dir, "Write each output as NAME.npy here");
       app.add_option("--iterations", o->iterations, "Run this many times and report the median");
       app.add_flag("--reference", o->reference,
                    "Run the imported graph with the reference interpreter (no build)");
       app.add_option("--threads", o->threads, "Threads to run with (default 1, or the plan's)")
           ->check(CLI::Range(1, 1024));
       app.add_option("--tactics", o->tactics, "Building from ONNX: heuristic (default), tune or reference")
           ->check(CLI::IsMember({"heuristic", "tune", "reference"}));
       app.add_option("--fp32-math", o->fp32_math,
                      "Building from ONNX: strict (default) or bf16x3 (AMX kernels allowed; see "
                      "kiln build --help)")
           ->check(CLI::IsMember({"strict", "bf16x3"}));
       return std::function<int()>([o] { return run_model(*o); });
     }});

}  // namespace kiln::cli
