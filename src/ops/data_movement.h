// Helpers shared by the shape and data-movement ops (Reshape, Transpose, Slice, Gather, Pad, ...).
// These ops move elements without looking at them, so they work on bytes: the element type only
// sets the element size, and one kernel serves every dtype.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "ops/util.h"

namespace kiln::ops {

/// Calls `f.template operator()<U>()` with U an unsigned integer type of `size` bytes (1, 2, 4 or
/// 8), so that a kernel that only copies elements is instantiated once per size, not per dtype.
template <typename F>
decltype(auto) visit_elem_size(size_t size, F&& f) {
  if (size == 1) return f.template operator()<uint8_t>();
  if (size == 2) return f.template operator()<uint16_t>();
  if (size == 4) return f.template operator()<uint32_t>();
  return f.template operator()<uint64_t>();
}

/// The int64 values of constant input `i` of an infer context, or nullopt when they are not known
/// yet (or the input is absent).
std::optional<std::vector<int64_t>> const_ints(const InferContext& ctx, size_t i);

/// Copies `out_shape`'s elements into `dst` (row-major, contiguous). Output element (i0, .., in)
/// reads source element sum_d offsets[d][i_d]; a negative entry in any offsets[d] means "no source
/// element": the output gets `*fill` there (fill must then be non-null, one element of bytes).
/// Transpose, Slice, Expand, Tile, Pad, DepthToSpace and SpaceToDepth are all this one copy with
/// different per-axis offset tables.
void copy_by_axis_offsets(const void* src, void* dst, const Shape& out_shape,
                          const std::vector<std::vector<int64_t>>& offsets, size_t elem_size,
                          const void* fill = nullptr);

/// Per-axis offset tables for reading a tensor of shape `in_shape` transposed by `perm`
/// (output dim d is input dim perm[d]).
std::vector<std::vector<int64_t>> transpose_offsets(const Shape& in_shape, const std::vector<int64_t>& perm);

/// Per-axis offset tables of Slice for an input of `shape` (output dim d has offsets[d].size()
/// elements), from a context where its starts, ends, axes and steps are known; an error naming
/// the node when they are not or are invalid.
Expected<std::vector<std::vector<int64_t>>> slice_offsets(const InferContext& ctx, const Shape& shape);

/// Transpose's perm for an input of `rank` (the attribute, or the dims reversed); an error naming
/// the node when it is not a permutation of 0..rank-1.
Expected<std::vector<int64_t>> transpose_permutation(const ir::Node& node, size_t rank);

/// Copies `t` permuted by `perm` into a new tensor.
Tensor transpose_tensor(const Tensor& t, const std::vector<int64_t>& perm);

/// Product of shape[begin, end) (1 for an empty range).
int64_t dims_product(const Shape& shape, size_t begin, size_t end);

/// Normalises a list of axes against `rank`; fails naming the node on an axis out of range or,
/// unless `allow_duplicates`, repeated.
Expected<std::vector<int64_t>> normalize_axes(const ir::Node& node, const std::vector<int64_t>& axes,
                                              int64_t rank, bool allow_duplicates = false);

/// Cost of an op that only moves data: no FLOPs, each input and output read or written once.
Cost data_movement_cost(const ir::Node& node, std::span<const TensorType> inputs,
                        std::span<const TensorType> outputs);

/// Cost of an op whose output is a view of its input's bytes (Reshape, Squeeze, ...): nothing.
inline Cost view_cost(const ir::Node&, std::span<const TensorType>, std::span<const TensorType>) {
  return {};
}

/// Reads an index (int32 or int64 element `i` of `t`), wrapping negatives by `dim` and checking
/// it lies in [0, dim). Returns -1 when out of range.
inline int64_t wrap_index(const Tensor& t, int64_t i, int64_t dim) {
  int64_t v = t.dtype() == DataType::kInt32 ? t.data<int32_t>()[i] : t.data<int64_t>()[i];
  if (v < 0) v += dim;
  return v >= 0 && v < dim ? v : -1;
}

/// What infer sees of a tensor that is known.
inline TensorType type_of(const Tensor& t) { return TensorType{t.dtype(), t.shape(), true}; }

/// An InferContext that sees every input of `ctx` as known (as at run time), so that a kernel can
/// reuse the parsing of shape-like inputs that its infer does.
InferContext known_infer_context(const RunContext& ctx);

/// Runs `infer` as at run time (every input's value known) and returns output `i`'s shape, so a
/// kernel allocates exactly what infer promised.
Expected<Shape> inferred_shape(const RunContext& ctx, InferFn infer, size_t i = 0);
/// The same for every output.
Expected<std::vector<Shape>> inferred_shapes(const RunContext& ctx, InferFn infer);

/// For GatherElements and ScatterElements: for each element of `indices` (row-major), the offset
/// of the element of a tensor of shape `data` that it addresses along attribute `axis` (the other
/// coordinates are the element's own). Fails on indices out of range or dims exceeding data's.
Expected<std::vector<int64_t>> element_offsets(const ir::Node& node, const Shape& data,
                                               const Tensor& indices);

/// How ScatterElements and ScatterND combine an update with the element already there.
enum class ScatterReduction { kNone, kAdd, kMul, kMax, kMin };

/// Attribute `reduction` ("none", "add", "mul", "max", "min"); fails naming the node otherwise.
Expected<ScatterReduction> scatter_reduction(const ir::Node& node);

/// For each k, combines updates' block k (`block` elements from k * block) into `out` at element
/// offset offsets[k], in order (so later duplicates win with kNone).
Status scatter_blocks(const ir::Node& node, Tensor& out, const Tensor& updates,
                      const std::vector<int64_t>& offsets, int64_t block, ScatterReduction reduction);

/// Fails unless `t` holds int32 or int64 indices.
Status check_index_dtype(const ir::Node& node, const Tensor& t, const char* what);

}  // namespace kiln::ops
