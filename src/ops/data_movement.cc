#include "ops/data_movement.h"

#include <algorithm>
#include <cstring>

namespace kiln::ops {

std::optional<std::vector<int64_t>> const_ints(const InferContext& ctx, size_t i) {
  if (!ctx.has_input(i)) return std::nullopt;
  const Tensor* t = ctx.value(i);
  if (t == nullptr) return std::nullopt;
  return t->to_int64_vector();
}

void copy_by_axis_offsets(const void* src, void* dst, const Shape& out_shape,
                          const std::vector<std::vector<int64_t>>& offsets, size_t elem_size,
                          const void* fill) {
  const int64_t n = shape_numel(out_shape);
  if (n == 0) return;
  const size_t rank = out_shape.size();
  visit_elem_size(elem_size, [&]<typename U>() {
    const U* s = static_cast<const U*>(src);
    U* d = static_cast<U*>(dst);
    U fill_value{};
    if (fill != nullptr) std::memcpy(&fill_value, fill, sizeof(U));
    if (rank == 0) {
      *d = *s;
      return;
    }
    const int64_t inner = out_shape[rank - 1];
    const std::vector<int64_t>& last = offsets[rank - 1];
    bool contiguous = last[0] >= 0;
    for (int64_t j = 1; j < inner && contiguous; ++j) contiguous = last[j] == last[0] + j;
    std::vector<int64_t> idx(rank - 1, 0);
    const int64_t rows = n / inner;
    for (int64_t row = 0; row < rows; ++row) {
      int64_t base = 0;
      bool missing = false;
      for (size_t a = 0; a + 1 < rank; ++a) {
        int64_t o = offsets[a][idx[a]];
        missing |= o < 0;
        base += o;
      }
      U* out = d + row * inner;
      if (missing) {
        for (int64_t j = 0; j < inner; ++j) out[j] = fill_value;
      } else if (contiguous) {
        std::memcpy(out, s + base + last[0], static_cast<size_t>(inner) * sizeof(U));
      } else {
        for (int64_t j = 0; j < inner; ++j) out[j] = last[j] < 0 ? fill_value : s[base + last[j]];
      }
      for (int64_t a = static_cast<int64_t>(rank) - 2; a >= 0; --a) {
        if (++idx[a] < out_shape[a]) break;
        idx[a] = 0;
      }
    }
  });
}

std::vector<std::vector<int64_t>> transpose_offsets(const Shape& in_shape, const std::vector<int64_t>& perm) {
  std::vector<int64_t> strides = strides_of(in_shape);
  std::vector<std::vector<int64_t>> offsets(perm.size());
  for (size_t d = 0; d < perm.size(); ++d) {
    const size_t a = static_cast<size_t>(perm[d]);
    offsets[d].resize(static_cast<size_t>(in_shape[a]));
    for (int64_t i = 0; i < in_shape[a]; ++i) offsets[d][i] = i * strides[a];
  }
  return offsets;
}

Tensor transpose_tensor(const Tensor& t, const std::vector<int64_t>& perm) {
  Shape out_shape(perm.size());
  for (size_t d = 0; d < perm.size(); ++d) out_shape[d] = t.shape()[static_cast<size_t>(perm[d])];
  Tensor out(t.dtype(), out_shape);
  copy_by_axis_offsets(t.raw(), out.raw(), out_shape, transpose_offsets(t.shape(), perm),
                       dtype_size(t.dtype()));
  return out;
}

int64_t dims_product(const Shape& shape, size_t begin, size_t end) {
  int64_t p = 1;
  for (size_t i = begin; i < end && i < shape.size(); ++i) p *= shape[i];
  return p;
}

Expected<std::vector<int64_t>> normalize_axes(const ir::Node& node, const std::vector<int64_t>& axes,
                                              int64_t rank, bool allow_duplicates) {
  std::vector<int64_t> out;
  std::vector<bool> seen(static_cast<size_t>(std::max<int64_t>(rank, 0)), false);
  for (int64_t a : axes) {
    KILN_ASSIGN_OR_RETURN(int64_t n, normalize_axis(node, a, rank));
    if (seen[n] && !allow_duplicates) {
      return invalid_argument(node.describe() + ": axis " + std::to_string(a) +
                              " is repeated; list each axis once");
    }
    seen[n] = true;
    out.push_back(n);
  }
  return out;
}

Cost data_movement_cost(const ir::Node&, std::span<const TensorType> inputs,
                        std::span<const TensorType> outputs) {
  Cost c;
  for (const auto& t : inputs)
    if (t.shape_known()) c.bytes += static_cast<double>(shape_numel(t.shape) * dtype_size(t.dtype));
  for (const auto& t : outputs)
    if (t.shape_known()) c.bytes += static_cast<double>(shape_numel(t.shape) * dtype_size(t.dtype));
  return c;
}

InferContext known_infer_context(const RunContext& ctx) {
  std::vector<TensorType> types(ctx.num_inputs());
  std::vector<const Tensor*> values(ctx.num_inputs(), nullptr);
  for (size_t k = 0; k < ctx.num_inputs(); ++k) {
    if (!ctx.has_input(k)) continue;
    types[k] = type_of(ctx.input(k));
    values[k] = &ctx.input(k);
  }
  return InferContext(ctx.node, std::move(types), std::move(values));
}

Expected<std::vector<Shape>> inferred_shapes(const RunContext& ctx, InferFn infer) {
  InferContext ictx = known_infer_context(ctx);
  KILN_RETURN_IF_ERROR(infer(ictx));
  std::vector<Shape> shapes;
  for (size_t i = 0; i < ictx.outputs.size(); ++i) {
    if (ctx.output_requested(i) && !ictx.outputs[i].shape_known()) {
      return internal_error(ctx.node.describe() + ": output " + std::to_string(i) +
                            "'s shape is not known at run time");
    }
    shapes.push_back(ictx.outputs[i].shape);
  }
  return shapes;
}

Expected<Shape> inferred_shape(const RunContext& ctx, InferFn infer, size_t i) {
  KILN_ASSIGN_OR_RETURN(std::vector<Shape> shapes, inferred_shapes(ctx, infer));
  if (i >= shapes.size()) return internal_error(ctx.node.describe() + ": no output " + std::to_string(i));
  return shapes[i];
}

Expected<std::vector<int64_t>> element_offsets(const ir::Node& node, const Shape& data,
                                               const Tensor& indices) {
  KILN_RETURN_IF_ERROR(check_index_dtype(node, indices, "indices"));
  const int64_t rank = static_cast<int64_t>(data.size());
  if (rank == 0) return invalid_argument(node.describe() + ": data must have rank >= 1");
  if (indices.rank() != rank) {
    return invalid_argument(node.describe() + ": indices must have data's rank " + std::to_string(rank));
  }
  KILN_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(node, node.attr_int("axis", 0), rank));
  for (int64_t d = 0; d < rank; ++d) {
    if (d != axis && indices.dim(d) > data[d]) {
      return invalid_argument(node.describe() + ": indices dim " + std::to_string(d) + " (" +
                              std::to_string(indices.dim(d)) + ") exceeds data's (" +
                              std::to_string(data[d]) + ")");
    }
  }
  const std::vector<int64_t> strides = strides_of(data);
  const int64_t dim = data[axis];
  std::vector<int64_t> offsets(static_cast<size_t>(indices.numel()));
  std::vector<int64_t> idx(static_cast<size_t>(rank), 0);
  for (int64_t k = 0; k < indices.numel(); ++k) {
    const int64_t v = wrap_index(indices, k, dim);
    if (v < 0) {
      return invalid_argument(node.describe() + ": index " + std::to_string(indices.as_int64(k)) +
                              " is out of range for axis " + std::to_string(axis) + " of size " +
                              std::to_string(dim));
    }
    int64_t off = 0;
    for (int64_t d = 0; d < rank; ++d) off += (d == axis ? v : idx[d]) * strides[d];
    offsets[k] = off;
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (++idx[d] < indices.dim(d)) break;
      idx[d] = 0;
    }
  }
  return offsets;
}

Expected<ScatterReduction> scatter_reduction(const ir::Node& node) {
  const std::string r = node.attr_string("reduction", "none");
  if (r == "none") return ScatterReduction::kNone;
  if (r == "add") return ScatterReduction::kAdd;
  if (r == "mul") return ScatterReduction::kMul;
  if (r == "max") return ScatterReduction::kMax;
  if (r == "min") return ScatterReduction::kMin;
  return invalid_argument(node.describe() + ": reduction '" + r + "' is not one of none, add, mul, max, min");
}

namespace {
template <typename T>
T combine(T a, T b, ScatterReduction r) {
  switch (r) {
    case ScatterReduction::kNone:
      return b;
    case ScatterReduction::kAdd:
      return static_cast<T>(a + b);
    case ScatterReduction::kMul:
      return static_cast<T>(a * b);
    case ScatterReduction::kMax:
      return a < b ? b : a;
    case ScatterReduction::kMin:
      return b < a ? b : a;
  }
  return b;
}
}  // namespace

Status scatter_blocks(const ir::Node& node, Tensor& out, const Tensor& updates,
                      const std::vector<int64_t>& offsets, int64_t block, ScatterReduction reduction) {
  if (updates.dtype() != out.dtype()) {
    return invalid_argument(node.describe() + ": updates (" + dtype_name(updates.dtype()) +
                            ") must have data's type (" + dtype_name(out.dtype()) + ")");
  }
  if (updates.numel() != static_cast<int64_t>(offsets.size()) * block) {
    return invalid_argument(node.describe() + ": updates has shape " + shape_str(updates.shape()) +
                            " which does not match the indices");
  }
  if (reduction == ScatterReduction::kNone) {
    visit_elem_size(dtype_size(out.dtype()), [&]<typename U>() {
      U* dst = out.data<U>();
      const U* src = updates.data<U>();
      for (size_t k = 0; k < offsets.size(); ++k)
        for (int64_t j = 0; j < block; ++j) dst[offsets[k] + j] = src[static_cast<int64_t>(k) * block + j];
    });
    return Status::ok();
  }
  visit_dtype(out.dtype(), [&]<typename T>() {
    T* dst = out.data<T>();
    const T* src = updates.data<T>();
    for (size_t k = 0; k < offsets.size(); ++k) {
      for (int64_t j = 0; j < block; ++j) {
        T& d = dst[offsets[k] + j];
        d = combine<T>(d, src[static_cast<int64_t>(k) * block + j], reduction);
      }
    }
  });
  return Status::ok();
}

Status check_index_dtype(const ir::Node& node, const Tensor& t, const char* what) {
  if (t.dtype() == DataType::kInt32 || t.dtype() == DataType::kInt64) return Status::ok();
  return invalid_argument(node.describe() + ": " + what + " must be int32 or int64, got " +
                          dtype_name(t.dtype()));
}

}  // namespace kiln::ops
