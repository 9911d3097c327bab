// kiln bench MODEL [--shapes ...] [--threads T] [--iterations N] [--warmup N] [--duration S]
//                  [--streams K] [--json FILE]
// Times inference like trtexec: K contexts of one engine run concurrently, each on its own thread
// (created before the clock starts), on seeded random inputs. Reports latency statistics,
// throughput over the wall time, and the build (or load) time separately.
#include <algorithm>
#include <atomic>
#include <iostream>
#include <thread>

#include "command.h"
#include "engine_options.h"
#include "nlohmann/json.hpp"
#include "profile/stats.h"

namespace kiln::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct BenchCommand {
  EngineSource source;
  BuildOptions build;
  InferenceOptions infer;
  std::string json_path;
};

struct RunRecord {
  int stream = 0;
  double start_ms = 0;  // from the start of timing
  double latency_ms = 0;
};

struct BenchResult {
  std::vector<RunRecord> runs;
  double wall_s = 0;
  double cpu_share = 0;  // CPU time of the streams / (streams x wall): below ~0.9 they waited for a core
};

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

Expected<BenchResult> time_streams(const Engine& engine, const std::vector<NamedTensor>& inputs,
                                   const InferenceOptions& o, int run_threads) {
  const int k = o.streams;
  std::vector<std::unique_ptr<Context>> contexts;
  for (int s = 0; s < k; ++s) {
    KILN_ASSIGN_OR_RETURN(auto ctx, engine.create_context(run_threads));
    contexts.push_back(std::move(ctx));
  }
  std::vector<std::vector<RunRecord>> records(static_cast<size_t>(k));
  std::vector<Status> errors(static_cast<size_t>(k));
  std::vector<double> cpu_s(static_cast<size_t>(k));
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  Clock::time_point start;  // written before `go` is released
  std::vector<std::thread> threads;
  for (int s = 0; s < k; ++s) {
    threads.emplace_back([&, s] {
      Context& ctx = *contexts[s];
      // Each stream writes into outputs made once, as a deployment would (Context::run_into): the
      // timed runs allocate nothing where every layer has a CPU tactic. (An output whose shape is
      // known only at run time gets its tensor from the first run.)
      std::vector<Tensor> outputs;
      for (const TensorInfo& info : engine.outputs()) {
        const bool fixed =
            std::all_of(info.shape.begin(), info.shape.end(), [](int64_t d) { return d >= 0; });
        outputs.push_back(fixed ? Tensor(info.dtype, info.shape) : Tensor());
      }
      for (int w = 0; w < o.warmup && errors[s]; ++w) errors[s] = ctx.run_into(inputs, outputs);
      ready.fetch_add(1);
      ready.notify_one();
      go.wait(false, std::memory_order_acquire);
      auto deadline = o.duration_s ? start + std::chrono::duration_cast<Clock::duration>(
                                                 std::chrono::duration<double>(*o.duration_s))
                                   : Clock::time_point::max();
      records[s].reserve(static_cast<size_t>(o.iterations));
      const double cpu0 = profile::thread_cpu_seconds();
      for (int i = 0; i < o.iterations && errors[s]; ++i) {
        auto t0 = Clock::now();
        if (t0 >= deadline) break;
        Status r = ctx.run_into(inputs, outputs);
        auto t1 = Clock::now();
        if (!r) {
          errors[s] = r;
          break;
        }
        records[s].push_back({s, ms_between(start, t0), ms_between(t0, t1)});
      }
      cpu_s[s] = profile::thread_cpu_seconds() - cpu0;
    });
  }
  // Sleep (not spin) while the streams warm up: a spinning main thread takes a core from a
  // stream's pool workers.
  for (int r = ready.load(); r < k; r = ready.load()) ready.wait(r);
  start = Clock::now();
  go.store(true, std::memory_order_release);
  go.notify_all();
  for (auto& t : threads) t.join();
  BenchResult result;
  result.wall_s = std::chrono::duration<double>(Clock::now() - start).count();
  double cpu_total = 0;
  for (int s = 0; s < k; ++s) {
    if (!errors[s]) return errors[s].with_context("stream " + std::to_string(s));
    cpu_total += cpu_s[s];
    result.runs.insert(result.runs.end(), records[s].begin(), records[s].end());
  }
  result.cpu_share = result.wall_s > 0 ? cpu_total / (result.wall_s * k) : 0;
  std::sort(result.runs.begin(), result.runs.end(),
            [](const RunRecord& a, const RunRecord& b) { return a.start_ms < b.start_ms; });
  return result;
}

nlohmann::json to_json(const profile::Summary& s) {
  return {{"count", s.count}, {"min", s.min}, {"mean", s.mean},     {"median", s.median}, {"p90", s.p90},
          {"p99", s.p99},     {"max", s.max}, {"stddev", s.stddev}, {"cv", s.cv}};
}

int run_bench(const BenchCommand& o) {
  BuilderConfig config;
  for (Status st : {o.source.parse(config), o.build.parse(config, o.source.is_plan()), o.infer.parse()}) {
    if (!st) {
      std::cerr << "kiln bench: " << st.message() << "\n";
      return 2;
    }
  }
  auto loaded = open_engine(o.source, config);
  if (!loaded) {
    std::cerr << "kiln bench: " << loaded.status().message() << "\n";
    return 1;
  }
  const Engine& engine = *loaded->engine;
  // The threads the contexts run with: --threads, else the count the engine was built for.
  const int run_threads = o.build.run_threads() ? o.build.run_threads() : engine.threads();
  auto inputs = random_inputs(engine.inputs(), o.infer.seed);
  if (!inputs) {
    std::cerr << "kiln bench: " << inputs.status().message() << "\n";
    return 2;
  }
  std::cout << "engine  " << o.source.path << "  " << (loaded->built ? "built" : "loaded") << " in "
            << fixed(loaded->setup_ms, 1) << " ms (threads " << run_threads << ", " << engine.layers().size()
            << " layers, arena " << human_bytes(static_cast<double>(engine.memory().arena_bytes)) << ")\n";
  for (const auto& in : *inputs) {
    std::cout << "input   " << in.name << "  " << dtype_name(in.tensor.dtype()) << "["
              << shape_str(in.tensor.shape()) << "]  random, seed " << o.infer.seed << "\n";
  }
  auto result = time_streams(engine, *inputs, o.infer, o.build.run_threads());
  if (!result) {
    std::cerr << "kiln bench: " << result.status().message() << "\n";
    return 1;
  }
  std::vector<double> latencies;
  for (const RunRecord& r : result->runs) latencies.push_back(r.latency_ms);
  profile::Summary s = profile::summarize(latencies);
  double throughput = result->wall_s > 0 ? static_cast<double>(s.count) / result->wall_s : 0;
  std::cout << "runs    " << s.count << " timed (" << o.infer.streams << " stream(s), " << o.infer.warmup
            << " warmup each) in " << fixed(result->wall_s, 3) << " s, cpu "
            << fixed(result->cpu_share * 100, 0) << "%\n";
  std::cout << "latency min " << fixed(s.min, 3) << "  mean " << fixed(s.mean, 3) << "  median "
            << fixed(s.median, 3) << "  p90 " << fixed(s.p90, 3) << "  p99 " << fixed(s.p99, 3) << "  max "
            << fixed(s.max, 3) << " ms  (cv " << fixed(s.cv * 100, 2) << "%)\n";
  std::cout << "throughput " << fixed(throughput, 3) << " inferences/s\n";
  if (result->cpu_share < 0.9) {
    std::cout
        << "note    other processes shared the cores (cpu < 90%): latencies include waiting for a core\n";
  }
  if (!o.json_path.empty()) {
    nlohmann::json runs = nlohmann::json::array();
    for (const RunRecord& r : result->runs)
      runs.push_back({{"stream", r.stream}, {"start_ms", r.start_ms}, {"latency_ms", r.latency_ms}});
    nlohmann::json j = {
        {"model", o.source.path},
        {"engine",
         {{"built", loaded->built},
          {loaded->built ? "build_ms" : "load_ms", loaded->setup_ms},
          {"threads", run_threads},
          {"layers", engine.layers().size()},
          {"arena_bytes", engine.memory().arena_bytes}}},
        {"config",
         {{"iterations", o.infer.iterations},
          {"warmup", o.infer.warmup},
          {"streams", o.infer.streams},
          {"duration_s", o.infer.duration_s ? nlohmann::json(*o.infer.duration_s) : nlohmann::json()},
          {"seed", o.infer.seed}}},
        {"latency_ms", to_json(s)},
        {"throughput_per_s", throughput},
        {"wall_s", result->wall_s},
        {"cpu_share", result->cpu_share},
        {"runs", runs}};
    if (Status st = write_text_file(o.json_path, j.dump(2) + "\n"); !st) {
      std::cerr << "kiln bench: " << st.message() << "\n";
      return 1;
    }
    std::cout << "wrote   " << o.json_path << "\n";
  }
  return 0;
}

}  // namespace

KILN_REGISTER_COMMAND({"bench", "Time inference: latency statistics and throughput over concurrent streams",
                       [](CLI::App& app) {
                         auto o = std::make_shared<BenchCommand>();
                         o->source.add_to(app);
                         o->build.add_to(app);
                         o->infer.add_to(app, true);
                         app.add_option("--json", o->json_path,
                                        "Write all results and per-run latencies here");
                         return std::function<int()>([o] { return run_bench(*o); });
                       }});

}  // namespace kiln::cli
