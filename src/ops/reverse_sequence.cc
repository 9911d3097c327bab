// ReverseSequence: for each batch entry b, reverses the first sequence_lens[b] steps along
// `time_axis` and copies the rest. time_axis and batch_axis are 0 and 1 in either order.
#include <cstring>

#include "ops/data_movement.h"

namespace kiln::ops {
namespace {

Status infer(InferContext& ctx) {
  const int64_t t = ctx.node.attr_int("time_axis", 0);
  const int64_t b = ctx.node.attr_int("batch_axis", 1);
  if (!((t == 0 && b == 1) || (t == 1 && b == 0))) {
    return ctx.error("time_axis and batch_axis must be 0 and 1 (in either order)");
  }
  if (ctx.input(0).rank_known && ctx.shape(0).size() < 2) return ctx.error("input must have rank >= 2");
  return infer_same_as_input0(ctx);
}

Status run(RunContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& lens = ctx.input(1);
  KILN_RETURN_IF_ERROR(inferred_shape(ctx, infer).status());
  KILN_RETURN_IF_ERROR(check_index_dtype(ctx.node, lens, "sequence_lens"));
  const size_t t_axis = static_cast<size_t>(ctx.node.attr_int("time_axis", 0));
  const size_t b_axis = 1 - t_axis;
  const int64_t steps = x.shape()[t_axis];
  const int64_t batch = x.shape()[b_axis];
  if (lens.numel() != batch) {
    return ctx.error("sequence_lens has " + std::to_string(lens.numel()) + " values for a batch of " +
                     std::to_string(batch));
  }
  const size_t slice =
      static_cast<size_t>(dims_product(x.shape(), 2, x.shape().size())) * dtype_size(x.dtype());
  const int64_t t_stride = t_axis == 0 ? batch : 1;  // in slices
  const int64_t b_stride = t_axis == 0 ? 1 : steps;
  Tensor y = x.clone();
  const auto* src = static_cast<const std::byte*>(x.raw());
  auto* dst = static_cast<std::byte*>(y.raw());
  for (int64_t b = 0; b < batch; ++b) {
    const int64_t len = lens.as_int64(b);
    if (len < 0 || len > steps) {
      return ctx.error("sequence_lens[" + std::to_string(b) + "] = " + std::to_string(len) +
                       " is not in [0, " + std::to_string(steps) + "]");
    }
    for (int64_t t = 0; t < len; ++t) {
      std::memcpy(dst + (t * t_stride + b * b_stride) * slice,
                  src + ((len - 1 - t) * t_stride + b * b_stride) * slice, slice);
    }
  }
  ctx.set_output(0, std::move(y));
  return Status::ok();
}

}  // namespace

KILN_REGISTER_OP(
    {.op_type = "ReverseSequence", .infer = infer, .reference = run, .cost = data_movement_cost});

}  // namespace kiln::ops
