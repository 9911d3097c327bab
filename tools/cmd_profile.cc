// kiln profile MODEL [--shapes ...] [--threads T] [--iterations N] [--warmup N]
//                    [--json FILE] [--svg FILE] [--trace FILE] [--peak-gflops G --peak-gbps B]
// Times every layer over N runs and places each on a roofline whose ceilings are measured here:
// per layer, median time and share, nominal FLOPs and bytes, intensity, achieved GFLOP/s and GB/s,
// and efficiency = achieved / attainable. Writes the roofline as SVG and one run as a Chrome trace.
#include <algorithm>
#include <functional>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>

#include "command.h"
#include "engine_options.h"
#include "nlohmann/json.hpp"
#include "profile/roofline.h"
#include "profile/stats.h"
#include "profile/svg.h"
#include "profile/trace.h"

namespace kiln::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct ProfileCommand {
  EngineSource source;
  BuildOptions build;
  InferenceOptions infer;
  CeilingOptions ceilings;
  std::string json_path, svg_path, trace_path;
};

/// Per-layer times over the timed runs, and the last run's timeline.
struct LayerTimes {
  std::vector<std::vector<double>> us;  // [layer][run]
  std::vector<double> run_ms;           // whole Context::run per run
  double cpu_share = 0;                 // CPU time of this thread / wall time over the timed runs
  std::vector<profile::TraceEvent> last_run;
};

Expected<LayerTimes> time_layers(const Engine& engine, const std::vector<LayerInfo>& layers,
                                 const std::vector<NamedTensor>& inputs, const InferenceOptions& o,
                                 int threads) {
  KILN_ASSIGN_OR_RETURN(auto ctx, engine.create_context(threads));
  for (int w = 0; w < o.warmup; ++w) KILN_RETURN_IF_ERROR(ctx->run(inputs).status());
  LayerTimes t;
  t.us.resize(layers.size());
  Clock::time_point run_start;
  bool last = false;
  ctx->set_layer_timer([&](size_t layer, double us) {
    if (layer >= t.us.size()) return;
    t.us[layer].push_back(us);
    if (!last) return;
    double end_us = std::chrono::duration<double, std::micro>(Clock::now() - run_start).count();
    const LayerInfo& l = layers[layer];
    profile::TraceEvent e{l.name, l.op, end_us - us, us, 0, {}};
    std::string ins, outs;
    for (const Shape& s : l.input_shapes) ins += (ins.empty() ? "" : ", ") + shape_str(s);
    for (const Shape& s : l.output_shapes) outs += (outs.empty() ? "" : ", ") + shape_str(s);
    std::string fused;
    for (const auto& f : l.fused) fused += (fused.empty() ? "" : "+") + f;
    e.args = {{"op", l.op},
              {"fused", fused},
              {"inputs", ins},
              {"outputs", outs},
              {"tactic", l.tactic},
              {"flops", std::to_string(static_cast<int64_t>(l.flops))},
              {"bytes", std::to_string(static_cast<int64_t>(l.bytes))}};
    t.last_run.push_back(std::move(e));
  });
  const double cpu0 = profile::thread_cpu_seconds();
  const Clock::time_point wall0 = Clock::now();
  for (int i = 0; i < o.iterations; ++i) {
    last = i + 1 == o.iterations;
    run_start = Clock::now();
    KILN_RETURN_IF_ERROR(ctx->run(inputs).status());
    t.run_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - run_start).count());
  }
  double wall = std::chrono::duration<double>(Clock::now() - wall0).count();
  t.cpu_share = wall > 0 ? (profile::thread_cpu_seconds() - cpu0) / wall : 0;
  ctx->set_layer_timer(nullptr);
  return t;
}

std::string op_label(const LayerInfo& l) {
  std::string s = l.op;
  for (const auto& f : l.fused) s += "+" + f;
  return s;
}

void print_table(const std::vector<profile::LayerPoint>& points, const std::vector<LayerInfo>& layers) {
  std::cout << std::left << std::setw(4) << "#" << std::setw(22) << "op" << std::right << std::setw(10)
            << "us" << std::setw(7) << "%" << std::setw(9) << "MFLOP" << std::setw(8) << "MB" << std::setw(8)
            << "FLOP/B" << std::setw(9) << "GFLOP/s" << std::setw(8) << "GB/s" << std::setw(7) << "eff%"
            << "  bound    layer\n";
  for (size_t i = 0; i < points.size(); ++i) {
    const profile::LayerPoint& p = points[i];
    std::cout << std::left << std::setw(4) << i << std::setw(22) << op_label(layers[i]) + " " << std::right
              << std::setw(10) << fixed(p.sample.time_us, 1) << std::setw(7) << fixed(p.share * 100, 1)
              << std::setw(9) << fixed(p.sample.flops * 1e-6, 2) << std::setw(8)
              << fixed(p.sample.bytes * 1e-6, 2) << std::setw(8) << fixed(p.intensity, 2) << std::setw(9)
              << fixed(p.gflops, 2) << std::setw(8) << fixed(p.gbps, 2) << std::setw(7)
              << (p.efficiency > 0 ? fixed(p.efficiency * 100, 1) : "-") << "  " << std::left << std::setw(9)
              << (p.efficiency > 0 ? (p.memory_bound ? "memory" : "compute") : "-") << p.sample.name << "\n";
  }
}

void print_by_op(const std::vector<profile::LayerPoint>& points, const profile::Ceilings& c) {
  struct Agg {
    int count = 0;
    double us = 0, flops = 0, share = 0, min_us = 0;
  };
  std::map<std::string, Agg> by_op;
  for (const auto& p : points) {
    Agg& a = by_op[p.sample.op];
    ++a.count;
    a.us += p.sample.time_us;
    a.flops += p.sample.flops;
    a.share += p.share;
    a.min_us += profile::min_time_us(p.sample, c);
  }
  std::vector<std::pair<std::string, Agg>> rows(by_op.begin(), by_op.end());
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.second.us > b.second.us; });
  std::cout << "by op\n"
            << std::left << std::setw(22) << "op" << std::right << std::setw(7) << "count" << std::setw(12)
            << "us" << std::setw(7) << "%" << std::setw(9) << "GFLOP/s" << std::setw(7) << "eff%"
            << "\n";
  for (const auto& [op, a] : rows) {
    std::cout << std::left << std::setw(22) << op << std::right << std::setw(7) << a.count << std::setw(12)
              << fixed(a.us, 1) << std::setw(7) << fixed(a.share * 100, 1) << std::setw(9)
              << fixed(a.us > 0 ? a.flops / a.us * 1e-3 : 0, 2) << std::setw(7)
              << (a.min_us > 0 && a.us > 0 ? fixed(a.min_us / a.us * 100, 1) : "-") << "\n";
  }
}

nlohmann::json profile_json(const ProfileCommand& o, const LoadedEngine& loaded, const profile::Ceilings& c,
                            const profile::Summary& run, const std::vector<profile::LayerPoint>& points,
                            const LayerTimes& times, const std::vector<LayerInfo>& layers) {
  nlohmann::json arr = nlohmann::json::array();
  for (size_t i = 0; i < points.size(); ++i) {
    const auto& p = points[i];
    profile::Summary s = profile::summarize(times.us[i]);
    arr.push_back({{"name", p.sample.name},
                   {"op", p.sample.op},
                   {"fused", layers[i].fused},
                   {"tactic", layers[i].tactic},
                   {"outputs", layers[i].outputs},
                   {"output_shapes", layers[i].output_shapes},
                   {"median_us", s.median},
                   {"min_us", s.min},
                   {"max_us", s.max},
                   {"share", p.share},
                   {"flops", p.sample.flops},
                   {"bytes", p.sample.bytes},
                   {"intensity", p.intensity},
                   {"gflops", p.gflops},
                   {"gbps", p.gbps},
                   {"attainable_gflops", p.attainable},
                   {"efficiency", p.efficiency},
                   {"bound", p.memory_bound ? "memory" : "compute"}});
  }
  return {{"model", o.source.path},
          {loaded.built ? "build_ms" : "load_ms", loaded.setup_ms},
          {"threads", loaded.engine->threads()},
          {"iterations", o.infer.iterations},
          {"ceilings",
           {{"gflops", c.gflops}, {"gbps", c.gbps}, {"ridge_flop_per_byte", profile::ridge_point(c)}}},
          {"run_ms", {{"median", run.median}, {"min", run.min}, {"max", run.max}, {"cv", run.cv}}},
          {"layers", arr}};
}

int run_profile(const ProfileCommand& o) {
  BuilderConfig config;
  for (Status st : {o.source.parse(config), o.build.parse(config, o.source.is_plan()), o.infer.parse(),
                    o.ceilings.parse()}) {
    if (!st) {
      std::cerr << "kiln profile: " << st.message() << "\n";
      return 2;
    }
  }
  auto fail = [](const Status& st, int rc) {
    std::cerr << "kiln profile: " << st.message() << "\n";
    return rc;
  };
  auto loaded = open_engine(o.source, config);
  if (!loaded) return fail(loaded.status(), 1);
  const Engine& engine = *loaded->engine;
  const int run_threads = o.build.run_threads() ? o.build.run_threads() : engine.threads();
  auto inputs = random_inputs(engine.inputs(), o.infer.seed);
  if (!inputs) return fail(inputs.status(), 2);
  // Ceilings first: measuring them sweeps the caches, so it must come before the warmup runs.
  auto ceilings = o.ceilings.resolve(run_threads);
  if (!ceilings) return fail(ceilings.status(), 1);
  std::cout << "engine   " << o.source.path << "  " << (loaded->built ? "built" : "loaded") << " in "
            << fixed(loaded->setup_ms, 1) << " ms, threads " << run_threads << "\n";
  std::cout << "ceilings " << fixed(ceilings->gflops, 1) << " GFLOP/s, " << fixed(ceilings->gbps, 1)
            << " GB/s (ridge " << fixed(profile::ridge_point(*ceilings), 2) << " FLOP/B)"
            << (o.ceilings.gflops && o.ceilings.gbps ? "" : ", measured") << "\n";

  std::vector<LayerInfo> layers = engine.layers();
  auto times = time_layers(engine, layers, *inputs, o.infer, o.build.run_threads());
  if (!times) return fail(times.status(), 1);
  std::vector<profile::LayerSample> samples;
  for (size_t i = 0; i < layers.size(); ++i) {
    samples.push_back({layers[i].name, layers[i].op, profile::summarize(times->us[i]).median, layers[i].flops,
                       layers[i].bytes});
  }
  std::vector<profile::LayerPoint> points = profile::place_on_roofline(samples, *ceilings);
  profile::Summary run = profile::summarize(times->run_ms);
  double layer_us = 0, flops = 0, attainable_us = 0;
  for (const auto& p : points) {
    layer_us += p.sample.time_us;
    flops += p.sample.flops;
    attainable_us += profile::min_time_us(p.sample, *ceilings);
  }
  std::cout << "runs     " << o.infer.iterations << " timed after " << o.infer.warmup
            << " warmup; run median " << fixed(run.median, 3) << " ms (cv " << fixed(run.cv * 100, 1)
            << "%), layers sum " << fixed(layer_us * 1e-3, 3) << " ms, cpu "
            << fixed(times->cpu_share * 100, 0) << "%\n";
  if (times->cpu_share < 0.9) {
    std::cout
        << "note     other processes shared the core while timing (cpu < 90%): layer times include waiting,\n"
           "         so efficiencies are understated\n";
  }
  std::cout << "overall  " << fixed(flops * 1e-9, 3) << " GFLOP per run, "
            << fixed(flops / (run.median * 1e6), 2) << " GFLOP/s; roofline floor "
            << fixed(attainable_us * 1e-3, 3) << " ms, efficiency "
            << fixed(layer_us > 0 ? attainable_us / layer_us * 100 : 0, 1) << "%\n";
  print_table(points, layers);
  if (std::any_of(points.begin(), points.end(), [](const auto& p) { return p.efficiency > 1; })) {
    std::cout << "(eff% above 100: the layer's data stayed in cache; the bandwidth ceiling is streaming from "
                 "DRAM)\n";
  }
  print_by_op(points, *ceilings);

  std::string title = o.source.path + " — " + std::to_string(run_threads) + " thread(s)";
  // Each writer runs only when its file is asked for.
  auto write = [&](const std::string& path, const std::function<std::string()>& text) {
    if (path.empty()) return Status::ok();
    KILN_RETURN_IF_ERROR(write_text_file(path, text()));
    std::cout << "wrote    " << path << "\n";
    return Status::ok();
  };
  for (Status st : {write(o.svg_path, [&] { return profile::roofline_svg(points, *ceilings, title); }),
                    write(o.trace_path, [&] { return profile::chrome_trace_json(times->last_run, title); }),
                    write(o.json_path, [&] {
                      return profile_json(o, *loaded, *ceilings, run, points, *times, layers).dump(2) + "\n";
                    })}) {
    if (!st) return fail(st, 1);
  }
  return 0;
}

}  // namespace

KILN_REGISTER_COMMAND({"profile", "Time every layer and place it on this machine's measured roofline",
                       [](CLI::App& app) {
                         auto o = std::make_shared<ProfileCommand>();
                         o->source.add_to(app);
                         o->build.add_to(app);
                         o->infer.add_to(app, false);
                         o->ceilings.add_to(app);
                         app.add_option("--json", o->json_path, "Write per-layer results here");
                         app.add_option("--svg", o->svg_path, "Write the roofline chart here");
                         app.add_option("--trace", o->trace_path,
                                        "Write one run as a Chrome/Perfetto trace here");
                         return std::function<int()>([o] { return run_profile(*o); });
                       }});

}  // namespace kiln::cli
