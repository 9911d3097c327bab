// kiln inspect MODEL.(onnx|kplan) [--json] [--shapes ...] [--threads T] [--no-optimize]
// Shows an engine as it will run: its layers after fusion (op, fused ops, shapes, precision, tactic,
// arena offsets, cost), what each pass rewrote, and the memory plan.
#include <algorithm>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "command.h"
#include "engine_options.h"
#include "nlohmann/json.hpp"
#include "runtime/engine_data.h"

namespace kiln::cli {
namespace {

nlohmann::json timings_json(const LayerInfo& l) {
  nlohmann::json t = nlohmann::json::array();
  for (const TacticTiming& x : l.timings) t.push_back({{"tactic", x.tactic}, {"us", x.microseconds}});
  return t;
}

struct InspectCommand {
  EngineSource source;
  BuildOptions build;
  bool json = false;
};

std::string join_shapes(const std::vector<Shape>& shapes) {
  std::string s;
  for (size_t i = 0; i < shapes.size(); ++i) s += (i ? "," : "") + shape_str(shapes[i]);
  return s;
}

std::string op_label(const LayerInfo& l) {
  std::string s = l.op;
  for (const auto& f : l.fused) s += "+" + f;
  return s;
}

std::string offsets_label(const std::vector<int64_t>& offsets) {
  std::string s;
  for (size_t i = 0; i < offsets.size(); ++i)
    s += (i ? "," : "") + (offsets[i] < 0 ? "-" : std::to_string(offsets[i]));
  return s;
}

nlohmann::json tensors_json(const std::vector<TensorInfo>& infos) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& t : infos)
    a.push_back({{"name", t.name}, {"dtype", dtype_name(t.dtype)}, {"shape", t.shape}});
  return a;
}

nlohmann::json engine_json(const InspectCommand& o, const LoadedEngine& loaded) {
  const Engine& e = *loaded.engine;
  const BuildReport& r = e.build_report();
  const MemoryInfo m = e.memory();
  const runtime::Target& t = e.data().target;
  nlohmann::json passes = nlohmann::json::array();
  for (const auto& p : r.passes) passes.push_back({{"pass", p.pass}, {"rewrites", p.rewrites}});
  nlohmann::json layers = nlohmann::json::array();
  for (const LayerInfo& l : e.layers()) {
    nlohmann::json ins = nlohmann::json::array(), outs = nlohmann::json::array();
    for (size_t i = 0; i < l.inputs.size(); ++i)
      ins.push_back({{"name", l.inputs[i]}, {"shape", l.input_shapes[i]}});
    for (size_t i = 0; i < l.outputs.size(); ++i) {
      outs.push_back(
          {{"name", l.outputs[i]}, {"shape", l.output_shapes[i]}, {"arena_offset", l.output_offsets[i]}});
    }
    layers.push_back({{"name", l.name},
                      {"op", l.op},
                      {"fused", l.fused},
                      {"inputs", ins},
                      {"outputs", outs},
                      {"precision", l.precision},
                      {"tactic", l.tactic},
                      {"timings_us", timings_json(l)},
                      {"flops", l.flops},
                      {"bytes", l.bytes}});
  }
  return {{"model", o.source.path},
          {loaded.built ? "build_ms" : "load_ms", loaded.setup_ms},
          {"target",
           {{"arch", t.arch},
            {"cpu", t.cpu_name},
            {"features", runtime::feature_names(t.features)},
            {"threads", t.threads}}},
          {"report",
           {{"nodes_before", r.nodes_before},
            {"nodes_after", r.nodes_after},
            {"build_ms", r.build_ms},
            {"passes", passes}}},
          {"memory",
           {{"arena_bytes", m.arena_bytes},
            {"naive_bytes", m.naive_bytes},
            {"weights_bytes", m.weights_bytes},
            {"in_place", m.in_place},
            {"views", m.views}}},
          {"inputs", tensors_json(e.inputs())},
          {"outputs", tensors_json(e.outputs())},
          {"layers", layers}};
}

void print_text(const InspectCommand& o, const LoadedEngine& loaded) {
  const Engine& e = *loaded.engine;
  const BuildReport& r = e.build_report();
  const MemoryInfo m = e.memory();
  const runtime::Target& t = e.data().target;
  std::cout << "engine  " << o.source.path << "  " << (loaded.built ? "built" : "loaded") << " in "
            << fixed(loaded.setup_ms, 1) << " ms\n";
  std::cout << "target  " << t.arch << " [" << runtime::feature_names(t.features) << "] " << t.cpu_name
            << ", threads " << t.threads << "\n";
  for (const auto& in : e.inputs())
    std::cout << "input   " << in.name << "  " << dtype_name(in.dtype) << "[" << shape_str(in.shape) << "]\n";
  for (const auto& out : e.outputs())
    std::cout << "output  " << out.name << "  " << dtype_name(out.dtype) << "[" << shape_str(out.shape)
              << "]\n";
  std::cout << "passes  nodes " << r.nodes_before << " -> " << r.nodes_after << " (build "
            << fixed(r.build_ms, 1) << " ms)\n";
  for (const auto& p : r.passes)
    std::cout << "  " << std::left << std::setw(32) << p.pass << std::right << std::setw(6) << p.rewrites
              << " rewrites\n";
  double saved =
      m.arena_bytes > 0 ? static_cast<double>(m.naive_bytes) / static_cast<double>(m.arena_bytes) : 0;
  std::ostringstream ratio;
  ratio << std::fixed << std::setprecision(1) << saved;
  std::cout << "memory  arena " << human_bytes(static_cast<double>(m.arena_bytes)) << " vs naive sum "
            << human_bytes(static_cast<double>(m.naive_bytes)) << " (" << ratio.str() << "x), " << m.in_place
            << " in place, " << m.views << " views; weights "
            << human_bytes(static_cast<double>(m.weights_bytes)) << "\n";
  std::vector<LayerInfo> layers = e.layers();
  const auto rounded = std::count_if(layers.begin(), layers.end(), [](const LayerInfo& l) {
    return l.tactic.find("bf16x3") != std::string::npos;
  });
  if (rounded > 0)
    std::cout << "math    bf16x3 on " << rounded
              << " layers (kiln build --fp32-math bf16x3: each FP32 product as three "
              << "BF16 products on AMX, ~2^-16 relative; the others FP32)\n";
  std::cout << "layers  " << layers.size() << "\n";
  std::cout << std::left << std::setw(5) << "#" << std::setw(24) << "op" << std::setw(44)
            << "inputs -> outputs" << std::setw(9) << "dtype" << std::setw(11) << "tactic" << std::setw(10)
            << "arena@" << std::right << std::setw(9) << "MFLOP"
            << "  name\n";
  for (size_t i = 0; i < layers.size(); ++i) {
    const LayerInfo& l = layers[i];
    std::ostringstream mflop;
    mflop << std::fixed << std::setprecision(2) << l.flops * 1e-6;
    // Padded, not truncated: a long cell shifts its row rather than hiding text. The name, the
    // longest cell in exported models, goes last.
    std::cout << std::left << std::setw(5) << i << std::setw(24) << op_label(l) + " " << std::setw(44)
              << join_shapes(l.input_shapes) + " -> " + join_shapes(l.output_shapes) + " " << std::setw(9)
              << l.precision + " " << std::setw(11) << l.tactic + " " << std::setw(10)
              << offsets_label(l.output_offsets) + " " << std::right << std::setw(9) << mflop.str() << "  "
              << l.name << "\n";
    // The tuner's measurements: the winner first, then the runners-up.
    if (l.timings.size() > 1) {
      std::cout << "     timed:";
      for (const TacticTiming& t : l.timings)
        std::cout << " " << t.tactic << " " << fixed(t.microseconds, 1) << " us;";
      std::cout << "\n";
    }
  }
}

int run_inspect(const InspectCommand& o) {
  BuilderConfig config;
  for (Status st : {o.source.parse(config), o.build.parse(config, o.source.is_plan())}) {
    if (!st) {
      std::cerr << "kiln inspect: " << st.message() << "\n";
      return 2;
    }
  }
  auto loaded = open_engine(o.source, config);
  if (!loaded) {
    std::cerr << "kiln inspect: " << loaded.status().message() << "\n";
    return 1;
  }
  if (o.json) {
    std::cout << engine_json(o, *loaded).dump(2) << "\n";
  } else {
    print_text(o, *loaded);
  }
  return 0;
}

}  // namespace

KILN_REGISTER_COMMAND({"inspect", "Show an engine's layers after fusion, pass counts and memory plan",
                       [](CLI::App& app) {
                         auto o = std::make_shared<InspectCommand>();
                         o->source.add_to(app);
                         o->build.add_to(app);
                         app.add_flag("--json", o->json, "Print JSON instead of a table");
                         return std::function<int()>([o] { return run_inspect(*o); });
                       }});

}  // namespace kiln::cli
