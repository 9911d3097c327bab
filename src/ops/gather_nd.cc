// GatherND: each row of `indices` (its last dim, k long) addresses a slice data[b..., i0, .., ik-1]
// where the first `batch_dims` dims are shared by data and indices. Output shape:
// indices.shape[:-1] + data.shape[batch_dims + k:].
#include <cstring>

#include "ops/data_movement.h"

namespace kiln::ops {
namespace {

Status infer(InferContext& ctx) {
  const DataType dt = ctx.dtype(0);
  const int64_t b = ctx.node.attr_int("batch_dims", 0);
  if (!ctx.input(0).rank_known || !ctx.input(1).rank_known) {
    ctx.set_output_unknown_rank(0, dt);
    return Status::ok();
  }
  const Shape& data = ctx.shape(0);
  const Shape& indices = ctx.shape(1);
  const int64_t r = static_cast<int64_t>(data.size());
  const int64_t q = static_cast<int64_t>(indices.size());
  if (r < 1 || q < 1) return ctx.error("data and indices must have rank >= 1");
  if (b < 0 || b >= std::min(r, q)) {
    return ctx.error("batch_dims " + std::to_string(b) + " must be in [0, min(rank(data), rank(indices)))");
  }
  for (int64_t d = 0; d < b; ++d) {
    if (data[d] >= 0 && indices[d] >= 0 && data[d] != indices[d]) {
      return ctx.error("batch dim " + std::to_string(d) + " differs between data (" +
                       std::to_string(data[d]) + ") and indices (" + std::to_string(indices[d]) + ")");
    }
  }
  const int64_t k = indices[q - 1];
  if (k < 0) {
    ctx.set_output_unknown_rank(0, dt);
    return Status::ok();
  }
  if (k < 1 || k > r - b) {
    return ctx.error("the last dim of indices (" + std::to_string(k) + ") must be in [1, " +
                     std::to_string(r - b) + "]");
  }
  Shape out(indices.begin(), indices.end() - 1);
  out.insert(out.end(), data.begin() + b + k, data.end());
  ctx.set_output(0, dt, std::move(out));
  return Status::ok();
}

Status run(RunContext& ctx) {
  const Tensor& data = ctx.input(0);
  const Tensor& indices = ctx.input(1);
  KILN_RETURN_IF_ERROR(check_index_dtype(ctx.node, indices, "indices"));
  KILN_ASSIGN_OR_RETURN(Shape out_shape, inferred_shape(ctx, infer));
  const size_t b = static_cast<size_t>(ctx.node.attr_int("batch_dims", 0));
  const Shape& ds = data.shape();
  const size_t q = indices.shape().size();
  const size_t k = static_cast<size_t>(indices.shape()[q - 1]);
  const int64_t batches = dims_product(ds, 0, b);
  const int64_t tuples = dims_product(indices.shape(), b, q - 1);  // index rows per batch
  const int64_t batch_stride = dims_product(ds, b, ds.size());
  const std::vector<int64_t> strides = strides_of(ds);
  const size_t elem = dtype_size(data.dtype());
  const size_t slice = static_cast<size_t>(dims_product(ds, b + k, ds.size())) * elem;
  Tensor& y = ctx.allocate_output(0, data.dtype(), out_shape);
  const auto* src = static_cast<const std::byte*>(data.raw());
  auto* dst = static_cast<std::byte*>(y.raw());
  for (int64_t bi = 0; bi < batches; ++bi) {
    for (int64_t t = 0; t < tuples; ++t) {
      const int64_t row = bi * tuples + t;
      int64_t off = bi * batch_stride;
      for (size_t j = 0; j < k; ++j) {
        const int64_t v =
            wrap_index(indices, row * static_cast<int64_t>(k) + static_cast<int64_t>(j), ds[b + j]);
        if (v < 0) {
          return ctx.error("index " + std::to_string(indices.as_int64(row * static_cast<int64_t>(k) + j)) +
                           " is out of range for data dim " + std::to_string(b + j) + " of size " +
                           std::to_string(ds[b + j]));
        }
        off += v * strides[b + j];
      }
      std::memcpy(dst + row * slice, src + off * static_cast<int64_t>(elem), slice);
    }
  }
  return Status::ok();
}

}  // namespace

KILN_REGISTER_OP({.op_type = "GatherND", .infer = infer, .reference = run, .cost = data_movement_cost});

}  // namespace kiln::ops
