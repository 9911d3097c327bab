// kiln build MODEL.onnx [-o MODEL.kplan] [--shapes ...] [--threads T] [--no-optimize]
// Imports and optimizes a model, plans its memory and writes the plan the runtime loads.
#include <filesystem>
#include <iostream>

#include "command.h"
#include "engine_options.h"

namespace kiln::cli {
namespace {

struct BuildCommand {
  EngineSource source;
  BuildOptions build;
  std::string output;
};

/// MODEL.onnx -> MODEL.kplan next to it.
std::string default_plan_path(const std::string& model) {
  return std::filesystem::path(model).replace_extension(".kplan").string();
}

int run_build(const BuildCommand& o) {
  BuilderConfig config;
  if (o.source.is_plan()) {
    std::cerr << "kiln build: '" << o.source.path
              << "' is already a plan; give the ONNX model it came from\n";
    return 2;
  }
  for (Status st : {o.source.parse(config), o.build.parse(config, false)}) {
    if (!st) {
      std::cerr << "kiln build: " << st.message() << "\n";
      return 2;
    }
  }
  const std::string out_path = o.output.empty() ? default_plan_path(o.source.path) : o.output;
  std::cout << "build  " << o.source.path << "  (threads " << config.threads << ", optimize "
            << (config.optimize ? "on" : "off") << ")\n";
  config.log = [](const std::string& line) { std::cout << "  " << line << "\n"; };
  auto loaded = open_engine(o.source, config);
  if (!loaded) {
    std::cerr << "kiln build: " << loaded.status().message() << "\n";
    return 1;
  }
  const Engine& engine = *loaded->engine;
  const BuildReport& report = engine.build_report();
  const MemoryInfo mem = engine.memory();
  std::cout << "nodes  " << report.nodes_before << " -> " << report.nodes_after << " ("
            << engine.layers().size() << " layers)\n";
  std::cout << "memory arena " << human_bytes(static_cast<double>(mem.arena_bytes)) << " (naive sum "
            << human_bytes(static_cast<double>(mem.naive_bytes)) << "), " << mem.in_place << " in place, "
            << mem.views << " views; weights " << human_bytes(static_cast<double>(mem.weights_bytes)) << "\n";
  std::cout << "time   build " << fixed(report.build_ms, 1) << " ms\n";
  auto t0 = std::chrono::steady_clock::now();
  if (Status st = engine.save(out_path); !st) {
    std::cerr << "kiln build: " << st.message() << "\n";
    return 1;
  }
  double save_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::error_code ec;
  auto size = std::filesystem::file_size(out_path, ec);
  std::cout << "plan   " << out_path << "  ("
            << (ec ? std::string("?") : human_bytes(static_cast<double>(size))) << ", written in "
            << fixed(save_ms, 1) << " ms)\n";
  return 0;
}

}  // namespace

KILN_REGISTER_COMMAND({"build", "Optimize an ONNX model for this machine and write a .kplan plan",
                       [](CLI::App& app) {
                         auto o = std::make_shared<BuildCommand>();
                         o->source.add_to(app);
                         o->build.add_to(app);
                         app.add_option("-o,--output", o->output,
                                        "Plan file to write (default: MODEL.kplan)");
                         return std::function<int()>([o] { return run_build(*o); });
                       }});

}  // namespace kiln::cli
