// A tactic is one fast implementation of one kind of node on the CPU (DESIGN.md, "Tactic"):
// `supports` says whether it can run a node (types, shapes, attributes, constant weights),
// `prepare` packs the node's weights at build time (the packed tensors are stored in the plan
// next to the step), `workspace_floats` sizes the context's scratch, and `run` executes without
// allocating. The tuner times every tactic that supports a node and keeps the fastest; the
// reference kernel is the fallback and the oracle.
#pragma once

#include <algorithm>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "cpu/isa.h"
#include "cpu/thread_pool.h"
#include "cpu/ukernels/epilogue.h"
#include "ir/graph.h"
#include "kiln/status.h"
#include "kiln/tensor.h"

namespace kiln::cpu {

/// The revision of the CPU kernels' timings, part of every timing-cache key: a cache written before
/// a kernel change that moves timings then misses (its layers are timed again) instead of choosing
/// by stale times. Bump it with such a change.
inline constexpr int kKernelRevision = 19;

struct TacticArgs {
  const ir::Node& node;
  Isa isa;
  std::span<const Tensor* const> inputs;    // nullptr for absent optional inputs
  std::span<Tensor* const> outputs;         // allocated with the node's static shapes
  std::span<const Tensor* const> prepared;  // what prepare() returned
  std::span<const int64_t> params;
  ThreadPool& pool;
  float* scratch;  // workspace_floats() floats, 64-byte aligned
  // The node's fused activation and residual position (cpu/tactics/fused.h), read from its
  // attributes once, not per run (its residual pointer is the tactic's to set).
  Epilogue epilogue;
};

struct Tactic {
  std::string name;  // unique, e.g. "conv2d.gemm.avx512"
  std::string op_type, domain;
  Isa isa = Isa::kGeneric;
  bool (*supports)(const ir::Node& node, Isa isa) = nullptr;
  Status (*prepare)(const ir::Node& node, Isa isa, std::vector<Tensor>& prepared,
                    std::vector<int64_t>& params) = nullptr;
  int64_t (*workspace_floats)(const ir::Node& node, Isa isa, int threads) = nullptr;
  Status (*run)(const TacticArgs& args) = nullptr;
  /// Whether `prepared` and `params` are what prepare() makes for this node (sizes): a loaded
  /// plan is checked with it before any kernel trusts them.
  bool (*check)(const ir::Node& node, Isa isa, std::span<const Tensor* const> prepared,
                std::span<const int64_t> params) = nullptr;
  /// The heuristic's preference among tactics of one ISA (higher first), when nothing is timed.
  int priority = 0;
  /// Inputs (bit i: input i) whose values run() never reads, because prepare() packed them: a
  /// plan stores only the shape of a constant that every reader packed so.
  uint32_t packed_inputs = 0;
  /// Rounds FP32 operands to bf16x3 (cpu/kernels/blocked_amx.h: each product to about 2^-16):
  /// a candidate only where the build allows it (BuilderConfig::fp32_math).
  bool bf16x3 = false;
};

/// Resolves a step's tactic by name and checks it can run the node with what the plan holds
/// (supports() and check()); the error says what does not match.
Expected<const Tactic*> resolve_tactic(const std::string& name, const ir::Node& node,
                                       std::span<const Tensor* const> prepared,
                                       std::span<const int64_t> params);

bool register_tactic(Tactic tactic);
const Tactic* find_tactic(const std::string& name);
/// The tactics that can run `node` on a machine with `isa`, best first by the heuristic order.
std::vector<const Tactic*> tactics_for(const ir::Node& node, Isa isa);
const std::vector<Tactic>& all_tactics();

/// prepare() and check() of a tactic that packs nothing: its parameters are what `Params` derives
/// from the node (supports() returns whether it derives any).
template <std::optional<std::vector<int64_t>> (*Params)(const ir::Node&)>
struct ParamsOnly {
  static Status prepare(const ir::Node& node, Isa, std::vector<Tensor>&, std::vector<int64_t>& params) {
    auto p = Params(node);
    if (!p) return invalid_argument(node.describe() + ": the tactic does not support this node");
    params = std::move(*p);
    return Status::ok();
  }
  static bool check(const ir::Node& node, Isa, std::span<const Tensor* const> prepared,
                    std::span<const int64_t> params) {
    auto p = Params(node);
    return p && prepared.empty() && std::equal(p->begin(), p->end(), params.begin(), params.end());
  }
};

/// Helpers for supports(): a float32 value with a fully known shape (whose dims multiply without
/// overflow), a float32 constant.
bool is_static_f32(const ir::Value* v);
bool is_const_f32(const ir::Value* v);

}  // namespace kiln::cpu

/// Registers one tactic per ISA the file's functions serve, from the file that defines them.
#define KILN_TACTIC_CONCAT_INNER_(a, b) a##b
#define KILN_TACTIC_CONCAT_(a, b) KILN_TACTIC_CONCAT_INNER_(a, b)
#define KILN_REGISTER_TACTIC(...)                                                                \
  [[maybe_unused]] static const bool KILN_TACTIC_CONCAT_(kiln_tactic_registered_, __COUNTER__) = \
      ::kiln::cpu::register_tactic(::kiln::cpu::Tactic __VA_ARGS__)
