// What an Engine is made of: the optimized graph with static shapes, the steps to run, where each
// activation lives in the arena, and the target it was built for. The Builder fills it; the plan
// writer serializes it; the plan reader rebuilds it without protobuf or the optimizer.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "ir/graph.h"
#include "kiln/engine.h"
#include "runtime/target.h"

namespace kiln::cpu {
struct Tactic;
}

namespace kiln::runtime {

/// One executed layer: a node of `graph` and the tactic that runs it.
struct Step {
  const ir::Node* node = nullptr;
  std::string tactic = "reference";  // "reference", "view" or a cpu::Tactic's name
  std::vector<int64_t> params;       // tactic parameters (tile sizes ...), opaque to the executor
  /// Constants of `graph` the tactic prepared at build time (packed weights), in its order.
  std::vector<const ir::Value*> prepared;
  /// What the tuner measured on this step, fastest first (empty when not tuned).
  std::vector<TacticTiming> timings;
  /// The tactic itself, resolved from its name when the engine is built or loaded.
  const cpu::Tactic* impl = nullptr;
};

/// Where a value lives while running: at a byte offset of the arena, or not in the arena (graph
/// inputs, constants, values whose producer returns a view of an input).
struct Placement {
  int64_t offset = -1;  // -1: not in the arena
  int64_t bytes = 0;
  /// The producer may write its output over its first input (in-place): skip zero-filling.
  bool in_place = false;
};

struct EngineData {
  std::unique_ptr<ir::Graph> graph;
  std::vector<Step> steps;
  std::unordered_map<const ir::Value*, Placement> placement;
  int64_t arena_bytes = 0;
  Target target;
  BuildReport report;
  MemoryInfo memory;
  std::vector<TensorInfo> inputs, outputs;
  /// Keeps the bytes of a loaded plan (mapped or read) alive: constants are views into it.
  std::shared_ptr<std::byte[]> blob;
};

}  // namespace kiln::runtime
