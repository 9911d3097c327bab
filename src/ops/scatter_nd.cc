// ScatterND: output = data, then each row of `indices` (k = its last dim) addresses the slice
// output[i0, .., ik-1], which is set to (or, with `reduction`, combined with) the matching slice
// of `updates`, whose shape is indices.shape[:-1] + data.shape[k:].
#include "ops/data_movement.h"

namespace kiln::ops {
namespace {

Status run(RunContext& ctx) {
  const Tensor& data = ctx.input(0);
  const Tensor& indices = ctx.input(1);
  const Tensor& updates = ctx.input(2);
  KILN_RETURN_IF_ERROR(check_index_dtype(ctx.node, indices, "indices"));
  KILN_ASSIGN_OR_RETURN(ScatterReduction reduction, scatter_reduction(ctx.node));
  const Shape& ds = data.shape();
  const Shape& is = indices.shape();
  if (is.empty()) return ctx.error("indices must have rank >= 1");
  const size_t k = static_cast<size_t>(is.back());
  if (k > ds.size()) {
    return ctx.error("the last dim of indices (" + std::to_string(k) + ") exceeds data's rank " +
                     std::to_string(ds.size()));
  }
  Shape expected(is.begin(), is.end() - 1);
  expected.insert(expected.end(), ds.begin() + static_cast<int64_t>(k), ds.end());
  if (updates.shape() != expected) {
    return ctx.error("updates has shape " + shape_str(updates.shape()) + "; expected " + shape_str(expected) +
                     " (indices.shape[:-1] + data.shape[k:])");
  }
  const std::vector<int64_t> strides = strides_of(ds);
  const int64_t rows = dims_product(is, 0, is.size() - 1);
  std::vector<int64_t> offsets(static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) {
    int64_t off = 0;
    for (size_t j = 0; j < k; ++j) {
      const int64_t at = r * static_cast<int64_t>(k) + static_cast<int64_t>(j);
      const int64_t v = wrap_index(indices, at, ds[j]);
      if (v < 0) {
        return ctx.error("index " + std::to_string(indices.as_int64(at)) + " is out of range for data dim " +
                         std::to_string(j) + " of size " + std::to_string(ds[j]));
      }
      off += v * strides[j];
    }
    offsets[r] = off;
  }
  Tensor y = data.clone();
  KILN_RETURN_IF_ERROR(
      scatter_blocks(ctx.node, y, updates, offsets, dims_product(ds, k, ds.size()), reduction));
  ctx.set_output(0, std::move(y));
  return Status::ok();
}

}  // namespace

KILN_REGISTER_OP(
    {.op_type = "ScatterND", .infer = infer_same_as_input0, .reference = run, .cost = data_movement_cost});

}  // namespace kiln::ops
