// The plan file: a versioned, checksummed, bounds-checked serialization of runtime::EngineData.
// Layout and rules are in docs/plan-format.md.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <unordered_map>

#include "runtime/engine_data.h"

namespace kiln::plan {

/// Serializes an engine. Weights are stored 64-byte aligned so a mapped plan can use them in place.
Expected<std::string> write(const runtime::EngineData& data);

/// Parses a plan held in `bytes` (`size` bytes, 64-byte aligned start, e.g. a mapping). Constants
/// become views into `bytes`, which the result keeps alive. Every offset and length is checked:
/// a truncated or corrupted plan is an error naming the byte offset, never a crash. The target is
/// read but not compared (the caller does that).
Expected<std::unique_ptr<runtime::EngineData>> read(std::shared_ptr<std::byte[]> bytes, size_t size);

/// Every top-level constant something reads, and whether all those reads are inputs its step's
/// tactic takes packed (cpu::Tactic::packed_inputs) rather than a reference kernel, a subgraph, a
/// graph output or a step's prepared list. write() stores the `true` ones as their shapes only.
std::unordered_map<const ir::Value*, bool> constants_read_packed_only(const runtime::EngineData& data);

/// read() refuses a plan holding a constant without its values that something other than such a
/// packed input reads.
Status check_shape_only_constants(const runtime::EngineData& data);

}  // namespace kiln::plan
