#include "tune/tuner.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <sstream>

#include <immintrin.h>

#include "cpu/tactic.h"
#include "cpu/tactics/fused.h"
#include "tune/timing_cache.h"

namespace kiln::tune {
namespace {

using Clock = std::chrono::steady_clock;

std::string attr_text(const ir::Attribute& a) {
  std::ostringstream os;
  os.precision(9);
  switch (a.kind) {
    case ir::Attribute::Kind::kFloat:
      os << a.f;
      break;
    case ir::Attribute::Kind::kInt:
      os << a.i;
      break;
    case ir::Attribute::Kind::kString:
      os << a.s;
      break;
    case ir::Attribute::Kind::kFloats:
      for (float f : a.floats) os << f << ' ';
      break;
    case ir::Attribute::Kind::kInts:
      for (int64_t i : a.ints) os << i << ' ';
      break;
    case ir::Attribute::Kind::kStrings:
      for (const std::string& s : a.strings) os << s << ' ';
      break;
    default:
      os << '?';
      break;  // tensors and graphs: no tactic reads them
  }
  std::string s = os.str();
  for (char& c : s)
    if (c == '\t' || c == '\n' || c == '\r' || c == '|') c = ' ';
  return s;
}

/// Deterministic inputs in [-1, 1] for timing (values do not change a float kernel's speed, but
/// NaNs or denormals would).
void fill_random(Tensor& t) {
  if (t.dtype() != DataType::kFloat32) {
    std::memset(t.raw(), 0, t.nbytes());
    return;
  }
  uint32_t state = 12345;
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) {
    state = state * 1664525u + 1013904223u;
    p[i] = static_cast<float>(state >> 8) / 8388608.0f - 1.0f;
  }
}

struct Bench {
  std::vector<Tensor> inputs, outputs;
  std::vector<const Tensor*> in_ptrs;
  std::vector<Tensor*> out_ptrs;
};

Bench make_bench(const ir::Node& node) {
  Bench b;
  b.inputs.resize(node.inputs.size());
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    const ir::Value* v = node.inputs[i];
    if (!v) {
      b.in_ptrs.push_back(nullptr);
      continue;
    }
    if (v->is_constant()) {
      b.in_ptrs.push_back(&*v->constant);
      continue;
    }
    b.inputs[i] = Tensor(v->dtype, v->shape);
    fill_random(b.inputs[i]);
    b.in_ptrs.push_back(&b.inputs[i]);
  }
  b.outputs.resize(node.outputs.size());
  for (size_t i = 0; i < node.outputs.size(); ++i) {
    const ir::Value* v = node.outputs[i];
    if (v) b.outputs[i] = Tensor(v->dtype, v->shape);
    b.out_ptrs.push_back(v ? &b.outputs[i] : nullptr);
  }
  return b;
}

/// Evicts `bytes` from `p` on from every cache level: a layer's weights are timed as a network
/// runs them, streamed from memory, not as a loop of runs of one layer leaves them, in L1/L2 (a
/// Winograd tactic's 4x larger filters looked faster warm than direct ones and were slower in
/// the network).
__attribute__((target("clflushopt"))) void evict_opt(const char* c, int64_t bytes) {
  char* m = const_cast<char*>(c);  // the intrinsic's parameter is not const; the line is only flushed
  for (int64_t i = 0; i < bytes; i += 64) _mm_clflushopt(m + i);
  _mm_clflushopt(m + bytes - 1);
}
void evict(const void* p, int64_t bytes) {
  static const bool opt = __builtin_cpu_supports("clflushopt");  // weakly ordered: several in flight
  const char* c = static_cast<const char*>(p);
  if (bytes <= 0) return;
  if (opt) return evict_opt(c, bytes);
  for (int64_t i = 0; i < bytes; i += 64) _mm_clflush(c + i);
  _mm_clflush(c + bytes - 1);
}

struct Prepared {
  std::vector<Tensor> tensors;
  std::vector<int64_t> params;
};

/// The cached timings of `key` when they cover every one of `tactics`.
const std::vector<TacticTiming>* complete_entry(const TimingCache& cache, const std::string& key,
                                                const std::vector<const cpu::Tactic*>& tactics) {
  const std::vector<TacticTiming>* cached = cache.find(key);
  if (!cached) return nullptr;
  for (const cpu::Tactic* t : tactics) {
    if (!std::any_of(cached->begin(), cached->end(),
                     [&](const TacticTiming& c) { return c.tactic == t->name; }))
      return nullptr;
  }
  return cached;
}

/// Times each tactic on the node's shapes (random inputs, the prepared weights), fastest first.
/// The tactics take turns, one run each per round, so a slow phase of a shared machine (they last
/// from milliseconds to seconds here) hits every candidate alike; a tactic's time is its fastest
/// run, since noise only ever adds. At least 5 rounds, then rounds until each tactic has run
/// ~20 ms (at most 50), after one warm-up run each.
Expected<std::vector<TacticTiming>> time_tactics(const ir::Node& node,
                                                 const std::vector<const cpu::Tactic*>& tactics,
                                                 const std::vector<Prepared>& prepared, cpu::ThreadPool& pool,
                                                 std::vector<float>& scratch, int threads) {
  Bench bench = make_bench(node);
  int64_t floats = 0;
  for (const cpu::Tactic* t : tactics)
    floats = std::max(floats, t->workspace_floats ? t->workspace_floats(node, t->isa, threads) : int64_t{0});
  if (static_cast<int64_t>(scratch.size()) < floats + 16) scratch.resize(floats + 16);
  float* aligned =
      reinterpret_cast<float*>((reinterpret_cast<uintptr_t>(scratch.data()) + 63) & ~uintptr_t(63));
  std::vector<std::vector<const Tensor*>> prep(tactics.size());
  std::vector<cpu::TacticArgs> args;
  for (size_t i = 0; i < tactics.size(); ++i) {
    for (const Tensor& p : prepared[i].tensors) prep[i].push_back(&p);
    args.push_back({node, tactics[i]->isa, bench.in_ptrs, bench.out_ptrs, prep[i], prepared[i].params, pool,
                    aligned, cpu::fused_epilogue(node).value_or(cpu::Epilogue{})});
    KILN_RETURN_IF_ERROR(tactics[i]->run(args[i]));
  }
  // Weights cold (what prepare() made of them, else the constant inputs), activations warm.
  auto cool = [&](size_t i) {
    for (const Tensor* p : prep[i]) evict(p->raw(), p->nbytes());
    if (!prep[i].empty()) return;
    for (size_t k = 0; k < node.inputs.size(); ++k)
      if (node.inputs[k] && node.inputs[k]->is_constant() && bench.in_ptrs[k])
        evict(bench.in_ptrs[k]->raw(), bench.in_ptrs[k]->nbytes());
  };
  std::vector<double> best(tactics.size(), 0), total(tactics.size(), 0);
  for (int round = 0; round < 50; ++round) {
    if (round >= 5 && *std::min_element(total.begin(), total.end()) >= 20e3) break;
    for (size_t i = 0; i < tactics.size(); ++i) {
      cool(i);
      _mm_mfence();
      const auto t0 = Clock::now();
      KILN_RETURN_IF_ERROR(tactics[i]->run(args[i]));
      const double us = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
      best[i] = round == 0 ? us : std::min(best[i], us);
      total[i] += us;
    }
  }
  std::vector<TacticTiming> timings;
  for (size_t i = 0; i < tactics.size(); ++i) timings.push_back({tactics[i]->name, best[i]});
  sort_fastest_first(timings);
  return timings;
}

// A bf16x3 tactic rounds what an FP32 one computes exactly: it takes a layer only where it runs in
// at most this share of the fastest exact tactic's time (on this VM the AMX tiles' speed swings
// with the neighbours' use of them, so a narrow win at build time can be a loss when running).
constexpr double kBf16x3Share = 0.9;

// The winner among `tactics` by `timings` (any order) and its time: the fastest, but for
// kBf16x3Share; nullopt when no candidate was timed.
std::optional<std::pair<size_t, double>> pick(const std::vector<TacticTiming>& timings,
                                              const std::vector<const cpu::Tactic*>& tactics) {
  std::optional<std::pair<size_t, double>> exact, rounded;
  for (const TacticTiming& t : timings) {
    auto it = std::find_if(tactics.begin(), tactics.end(),
                           [&](const cpu::Tactic* c) { return c->name == t.tactic; });
    if (it == tactics.end()) continue;
    auto& best = (*it)->bf16x3 ? rounded : exact;
    if (!best || t.microseconds < best->second)
      best = std::make_pair(static_cast<size_t>(it - tactics.begin()), t.microseconds);
  }
  if (rounded && (!exact || rounded->second <= kBf16x3Share * exact->second)) return rounded;
  return exact;
}

}  // namespace

struct LayerBench::Impl {
  explicit Impl(int threads) : pool(threads) {}
  cpu::ThreadPool pool;
  std::vector<float> scratch;
};

LayerBench::LayerBench(const TuneOptions& options, TimingCache cache)
    : impl_(std::make_unique<Impl>(options.threads)), cache_(std::move(cache)), options_() {
  options_.threads = options.threads;
  options_.fp32_math = options.fp32_math;
}
LayerBench::~LayerBench() = default;

Expected<std::unique_ptr<LayerBench>> LayerBench::open(const TuneOptions& options) {
  TimingCache cache;
  if (!options.cache_path.empty()) {
    KILN_ASSIGN_OR_RETURN(cache, TimingCache::load(options.cache_path));
  }
  return std::unique_ptr<LayerBench>(new LayerBench(options, std::move(cache)));
}

Expected<std::optional<double>> LayerBench::fastest(const ir::Node& node) {
  const cpu::Isa isa = cpu::host_isa();
  const std::vector<const cpu::Tactic*> tactics = candidate_tactics(node, isa, options_);
  if (tactics.empty()) return std::optional<double>();
  const std::string key = cache_key(node, cpu::isa_name(isa), options_.threads);
  const std::vector<TacticTiming>* cached = complete_entry(cache_, key, tactics);
  std::vector<TacticTiming> timings;
  if (cached) {
    timings = *cached;
  } else {
    std::vector<Prepared> prepared(tactics.size());
    for (size_t i = 0; i < tactics.size(); ++i) {
      if (tactics[i]->prepare)
        KILN_RETURN_IF_ERROR(
            tactics[i]->prepare(node, tactics[i]->isa, prepared[i].tensors, prepared[i].params));
    }
    KILN_ASSIGN_OR_RETURN(
        timings, time_tactics(node, tactics, prepared, impl_->pool, impl_->scratch, options_.threads));
    cache_.put(key, timings);
    fresh_.insert(key);
  }
  const auto winner = pick(timings, tactics);
  return winner ? std::optional<double>(winner->second) : std::optional<double>();
}

std::vector<const cpu::Tactic*> candidate_tactics(const ir::Node& node, cpu::Isa isa,
                                                  const TuneOptions& options) {
  std::vector<const cpu::Tactic*> tactics = cpu::tactics_for(node, isa);
  if (options.fp32_math != "bf16x3") std::erase_if(tactics, [](const cpu::Tactic* t) { return t->bf16x3; });
  return tactics;
}

std::string cache_key(const ir::Node& node, const std::string& isa, int threads) {
  std::ostringstream key;
  key << node.domain << ':' << node.op_type << '|';
  for (const ir::Value* v : node.inputs) {
    if (!v) {
      key << "-,";
      continue;
    }
    key << (v->is_constant() ? "c" : "") << dtype_name(v->dtype) << '[' << shape_str(v->shape) << "],";
  }
  key << '|';
  std::vector<std::string> names;
  for (const auto& [name, a] : node.attrs) names.push_back(name);
  std::sort(names.begin(), names.end());
  for (const std::string& name : names)
    if (name != "kiln_fused") key << name << '=' << attr_text(node.attrs.at(name)) << ';';
  // "cold": the fastest of interleaved runs with the weights evicted first (timings of older
  // caches, warm medians, are not comparable); "r": the kernels' revision.
  key << '|' << isa << "|t" << threads << "|cold|r" << cpu::kKernelRevision;
  return key.str();
}

Status choose_tactics(runtime::EngineData& data, const TuneOptions& options) {
  auto t0 = Clock::now();
  auto log = [&](const std::string& line) {
    if (options.log) options.log(line);
  };
  if (options.mode != "tune" && options.mode != "heuristic" && options.mode != "reference") {
    return invalid_argument("tactics mode '" + options.mode + "': use tune, heuristic or reference");
  }
  if (options.fp32_math != "strict" && options.fp32_math != "bf16x3")
    return invalid_argument("fp32 math '" + options.fp32_math + "': use strict or bf16x3");
  if (options.mode == "reference") return Status::ok();
  const cpu::Isa isa = cpu::host_isa();
  TimingCache loaded;
  if (!options.timer && !options.cache_path.empty()) {
    KILN_ASSIGN_OR_RETURN(loaded, TimingCache::load(options.cache_path));
  }
  TimingCache& cache = options.timer ? options.timer->cache() : loaded;
  cpu::ThreadPool pool(options.threads);
  std::vector<float> scratch;
  int candidates_total = 0, tuned = 0, hits = 0, fast = 0;
  const size_t n_steps = data.steps.size();
  auto last_progress = Clock::now();
  for (size_t si = 0; si < n_steps; ++si) {
    runtime::Step& step = data.steps[si];
    if (step.tactic != "reference") continue;
    const ir::Node& node = *step.node;
    std::vector<const cpu::Tactic*> tactics = candidate_tactics(node, isa, options);
    if (tactics.empty()) continue;
    candidates_total += static_cast<int>(tactics.size());

    // Prepare every candidate (packing is cheap next to timing) and keep what the winner made.
    std::vector<Prepared> prepared(tactics.size());
    for (size_t i = 0; i < tactics.size(); ++i) {
      if (tactics[i]->prepare)
        KILN_RETURN_IF_ERROR(
            tactics[i]->prepare(node, tactics[i]->isa, prepared[i].tensors, prepared[i].params));
    }
    std::vector<TacticTiming> timings;
    const std::string key = cache_key(node, cpu::isa_name(isa), options.threads);
    if (options.mode == "tune") {
      if (const std::vector<TacticTiming>* cached = complete_entry(cache, key, tactics)) {
        timings = *cached;
        ++(options.timer && options.timer->timed_now(key) ? tuned : hits);
      } else {
        KILN_ASSIGN_OR_RETURN(timings, time_tactics(node, tactics, prepared, pool, scratch, options.threads));
        cache.put(key, timings);
        ++tuned;
      }
    }
    // The winner: the fastest timed tactic that is still a candidate (bf16x3 ones by a margin),
    // else the heuristic's first.
    const auto winner = pick(timings, tactics);
    const size_t chosen_index = winner ? winner->first : 0;
    const cpu::Tactic& chosen = *tactics[chosen_index];
    step.tactic = chosen.name;
    step.impl = &chosen;
    step.params = prepared[chosen_index].params;
    step.timings = timings;
    step.prepared.clear();
    for (size_t i = 0; i < prepared[chosen_index].tensors.size(); ++i) {
      ir::Value* v = data.graph->create_value(node.name + "_" + chosen.name + "_" + std::to_string(i));
      Tensor& t = prepared[chosen_index].tensors[i];
      v->dtype = t.dtype();
      v->shape = t.shape();
      v->rank_known = true;
      v->constant = std::move(t);
      step.prepared.push_back(v);
    }
    ++fast;
    if (Clock::now() - last_progress > std::chrono::seconds(2)) {
      log("tune: step " + std::to_string(si + 1) + "/" + std::to_string(n_steps) + " ...");
      last_progress = Clock::now();
    }
  }
  if (!options.cache_path.empty() && tuned > 0) KILN_RETURN_IF_ERROR(cache.save(options.cache_path));
  data.report.tuned_layers = tuned;
  data.report.cache_hits = hits;
  data.report.tune_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  log("tactics (" + options.mode + ", " + cpu::isa_name(isa) + ", " + std::to_string(options.threads) +
      " threads, fp32 math " + options.fp32_math + "): " + std::to_string(fast) +
      " layers on fast tactics, " + std::to_string(tuned) + " timed, " + std::to_string(hits) +
      " from the timing cache, " + std::to_string(static_cast<int>(data.report.tune_ms)) + " ms");
  return Status::ok();
}

}  // namespace kiln::tune
