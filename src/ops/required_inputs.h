// A guard for reference kernels whose leading inputs are required: a node may list fewer inputs,
// or an empty name, where the op needs a tensor.
#pragma once

#include "ops/op.h"

namespace kiln::ops {

/// Fails naming the node unless inputs 0 .. count - 1 are all present.
inline Status require_inputs(const RunContext& ctx, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    if (!ctx.has_input(i)) {
      return ctx.error("input " + std::to_string(i) + " is required (the op needs " + std::to_string(count) +
                       " inputs)");
    }
  }
  return Status::ok();
}

}  // namespace kiln::ops
