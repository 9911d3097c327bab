// Shared pieces of the control-flow ops (If, Loop, Scan): slicing a tensor along an axis and
// stacking per-iteration tensors along a new axis.
#pragma once

#include <vector>

#include "ops/op.h"

namespace kiln::ops {

/// The `index`-th slice of `t` along `axis`, with that axis removed.
Tensor slice_along(const Tensor& t, int64_t axis, int64_t index);

/// Stacks equally shaped tensors along a new axis `axis` (0 <= axis <= rank). With `reverse`,
/// the last tensor comes first. `dtype`/`elem_shape` describe the result when `parts` is empty.
Tensor stack_along(const std::vector<Tensor>& parts, int64_t axis, bool reverse, DataType dtype,
                   const Shape& elem_shape);

/// Types of a subgraph's outputs as declared by the model (dtype known, shape usually not).
void infer_from_subgraph_outputs(InferContext& ctx, const ir::Graph* body, size_t first_body_output,
                                 size_t first_node_output, size_t count, bool add_leading_dim);

}  // namespace kiln::ops
