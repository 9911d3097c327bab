// SpaceToDepth: moves b x b spatial blocks into channels, [N, C, H, W] -> [N, C*b², H/b, W/b]:
// output channel (i*b + j)*C + c at (h, w) is input (c, h*b + i, w*b + j).
#include "ops/data_movement.h"

namespace kiln::ops {
namespace {

Status infer(InferContext& ctx) {
  const DataType dt = ctx.dtype(0);
  const int64_t b = ctx.node.attr_int("blocksize", 0);
  if (b <= 0) return ctx.error("attribute 'blocksize' must be > 0");
  if (!ctx.input(0).rank_known) {
    ctx.set_output(0, dt, {-1, -1, -1, -1});
    return Status::ok();
  }
  const Shape& in = ctx.shape(0);
  if (in.size() != 4) return ctx.error("input must have rank 4 (NCHW), got " + shape_str(in));
  for (size_t d = 2; d < 4; ++d) {
    if (in[d] >= 0 && in[d] % b != 0) {
      return ctx.error("spatial dims " + shape_str(in) + " must be multiples of blocksize " +
                       std::to_string(b));
    }
  }
  auto div = [b](int64_t d) { return d < 0 ? -1 : d / b; };
  ctx.set_output(0, dt, {in[0], in[1] < 0 ? -1 : in[1] * b * b, div(in[2]), div(in[3])});
  return Status::ok();
}

Status run(RunContext& ctx) {
  const Tensor& x = ctx.input(0);
  KILN_ASSIGN_OR_RETURN(Shape out_shape, inferred_shape(ctx, infer));
  const int64_t b = ctx.node.attr_int("blocksize", 0);
  const int64_t c_in = x.dim(1);
  const std::vector<int64_t> s = strides_of(x.shape());
  std::vector<std::vector<int64_t>> offsets(4);
  for (int64_t n = 0; n < out_shape[0]; ++n) offsets[0].push_back(n * s[0]);
  for (int64_t z = 0; z < out_shape[1]; ++z) {
    const int64_t c = z % c_in, block = z / c_in;
    offsets[1].push_back(c * s[1] + block / b * s[2] + block % b * s[3]);
  }
  for (int64_t h = 0; h < out_shape[2]; ++h) offsets[2].push_back(h * b * s[2]);
  for (int64_t w = 0; w < out_shape[3]; ++w) offsets[3].push_back(w * b * s[3]);
  Tensor& y = ctx.allocate_output(0, x.dtype(), out_shape);
  copy_by_axis_offsets(x.raw(), y.raw(), out_shape, offsets, dtype_size(x.dtype()));
  return Status::ok();
}

}  // namespace

KILN_REGISTER_OP({.op_type = "SpaceToDepth", .infer = infer, .reference = run, .cost = data_movement_cost});

}  // namespace kiln::ops
