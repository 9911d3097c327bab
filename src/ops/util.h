// Small helpers shared by reference kernels: axes, strides, broadcasting.
#pragma once

#include <vector>

#include "ops/op.h"

namespace kiln::ops {

/// Row-major strides (in elements) of `shape`.
std::vector<int64_t> strides_of(const Shape& shape);

/// Maps a possibly negative axis into [0, rank); fails naming the node when out of range.
Expected<int64_t> normalize_axis(const ir::Node& node, int64_t axis, int64_t rank);

/// NumPy-style multidirectional broadcast of shapes; -1 (unknown) dims stay unknown unless the
/// other side fixes them. Fails naming the node when dims disagree.
Expected<Shape> broadcast_shapes(const ir::Node& node, const std::vector<Shape>& shapes);

/// For each output element (row-major over `out`), the element offset into an input of shape
/// `in` broadcast to `out`. Precomputed index vectors keep reference kernels obviously correct.
std::vector<int64_t> broadcast_offsets(const Shape& in, const Shape& out);

/// infer for ops whose single output has the type and shape of input 0.
Status infer_same_as_input0(InferContext& ctx);

}  // namespace kiln::ops
