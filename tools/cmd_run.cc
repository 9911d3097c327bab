// kiln run MODEL [--shapes ...] [--input NAME=FILE] [--output-dir DIR]
#include <chrono>
#include <filesystem>
#include <iostream>

#include "command.h"
#include "core/npy.h"
#include "ir/graph.h"
#include "options.h"

namespace kiln::cli {
namespace {

struct RunOptionsCli {
  ModelOptions model;
  InputOptions inputs;
  std::string output_dir;
  int iterations = 1;
};

int run_model(const RunOptionsCli& o) {
  ImportOptions import;
  if (Status st = o.model.parse(import); !st) {
    std::cerr << "kiln run: " << st.message() << "\n";
    return 2;
  }
  auto t0 = std::chrono::steady_clock::now();
  auto model = Model::load_onnx(o.model.model, import);
  if (!model) {
    std::cerr << "kiln run: " << model.status().message() << "\n";
    return 1;
  }
  auto t1 = std::chrono::steady_clock::now();
  auto inputs = o.inputs.load(*model);
  if (!inputs) {
    std::cerr << "kiln run: " << inputs.status().message() << "\n";
    return 2;
  }
  std::cout << "model  " << o.model.model << "  (" << model->graph().nodes().size() << " nodes, imported in "
            << std::chrono::duration<double, std::milli>(t1 - t0).count() << " ms)\n";
  for (const auto& in : *inputs) {
    std::cout << "input  " << in.name << "  " << dtype_name(in.tensor.dtype()) << "[" << shape_str(in.tensor.shape())
              << "]\n";
  }
  Expected<std::vector<NamedTensor>> outputs = std::vector<NamedTensor>{};
  std::vector<double> times;
  for (int it = 0; it < std::max(1, o.iterations); ++it) {
    auto r0 = std::chrono::steady_clock::now();
    outputs = model->run(*inputs);
    auto r1 = std::chrono::steady_clock::now();
    if (!outputs) {
      std::cerr << "kiln run: " << outputs.status().message() << "\n";
      return 1;
    }
    times.push_back(std::chrono::duration<double, std::milli>(r1 - r0).count());
  }
  std::sort(times.begin(), times.end());
  for (const auto& out : *outputs) {
    std::cout << "output " << out.name << "  " << dtype_name(out.tensor.dtype()) << "[" << shape_str(out.tensor.shape())
              << "]  " << summarize(out.tensor) << "\n";
  }
  std::cout << "time   " << times[times.size() / 2] << " ms (median of " << times.size()
            << " run(s), reference kernels)\n";
  if (!o.output_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(o.output_dir, ec);
    if (ec) {
      std::cerr << "kiln run: cannot create '" << o.output_dir << "': " << ec.message() << "\n";
      return 1;
    }
    for (const auto& out : *outputs) {
      std::string safe = out.name;
      // The same rule as scripts/ort_run.js: anything outside [A-Za-z0-9._-] becomes '_'.
      for (char& c : safe)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') c = '_';
      std::string path = (std::filesystem::path(o.output_dir) / (safe + ".npy")).string();
      if (Status st = write_npy(path, out.tensor); !st) {
        std::cerr << "kiln run: " << st.message() << "\n";
        return 1;
      }
      std::cout << "wrote  " << path << "\n";
    }
  }
  return 0;
}

}  // namespace

KILN_REGISTER_COMMAND({"run", "Import a model and run it once on given or random inputs", [](CLI::App& app) {
                         auto o = std::make_shared<RunOptionsCli>();
                         o->model.add_to(app);
                         o->inputs.add_to(app);
                         app.add_option("--output-dir", o->output_dir, "Write each output as NAME.npy here");
                         app.add_option("--iterations", o->iterations, "Run this many times and report the median");
                         return std::function<int()>([o] { return run_model(*o); });
                       }});

}  // namespace kiln::cli
