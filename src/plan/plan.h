// The plan file: a versioned, checksummed, bounds-checked serialization of runtime::EngineData.
// Layout and rules are in docs/plan-format.md.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "runtime/engine_data.h"

namespace kiln::plan {

/// Serializes an engine. Weights are stored 64-byte aligned so a mapped plan can use them in place.
Expected<std::string> write(const runtime::EngineData& data);

/// Parses a plan held in `bytes` (`size` bytes, 64-byte aligned start, e.g. a mapping). Constants
/// become views into `bytes`, which the result keeps alive. Every offset and length is checked:
/// a truncated or corrupted plan is an error naming the byte offset, never a crash. The target is
/// read but not compared (the caller does that).
Expected<std::unique_ptr<runtime::EngineData>> read(std::shared_ptr<std::byte[]> bytes, size_t size);

/// A plan stores a constant as its shape only when its values went into a tactic's packed weights
/// (cpu::Tactic::packed_inputs). Such a constant may be read only as an input its step's tactic
/// takes packed, never by a reference kernel, a subgraph, as a prepared value or as an output;
/// read() refuses a plan where it is, with this check.
Status check_shape_only_constants(const runtime::EngineData& data);

}  // namespace kiln::plan
