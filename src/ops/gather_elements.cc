// GatherElements: output[i0..in] = data[i0..in with i_axis replaced by indices[i0..in]]. The output
// has the shape of `indices`, whose other dims must not exceed data's.
#include "ops/data_movement.h"

namespace kiln::ops {
namespace {

Status infer(InferContext& ctx) {
  const DataType dt = ctx.dtype(0);
  if (ctx.input(0).rank_known && ctx.input(1).rank_known && ctx.shape(0).size() != ctx.shape(1).size()) {
    return ctx.error("data (rank " + std::to_string(ctx.shape(0).size()) + ") and indices (rank " +
                     std::to_string(ctx.shape(1).size()) + ") must have one rank");
  }
  if (!ctx.input(1).rank_known) {
    ctx.set_output_unknown_rank(0, dt);
    return Status::ok();
  }
  ctx.set_output(0, dt, ctx.shape(1));
  return Status::ok();
}

Status run(RunContext& ctx) {
  const Tensor& data = ctx.input(0);
  const Tensor& indices = ctx.input(1);
  KILN_RETURN_IF_ERROR(check_index_dtype(ctx.node, indices, "indices"));
  KILN_RETURN_IF_ERROR(inferred_shape(ctx, infer).status());
  KILN_ASSIGN_OR_RETURN(std::vector<int64_t> src_offset, element_offsets(ctx.node, data.shape(), indices));
  Tensor& y = ctx.allocate_output(0, data.dtype(), indices.shape());
  visit_elem_size(dtype_size(data.dtype()), [&]<typename U>() {
    const U* src = data.data<U>();
    U* dst = y.data<U>();
    for (size_t k = 0; k < src_offset.size(); ++k) dst[k] = src[src_offset[k]];
  });
  return Status::ok();
}

}  // namespace

KILN_REGISTER_OP({.op_type = "GatherElements", .infer = infer, .reference = run, .cost = data_movement_cost});

}  // namespace kiln::ops
