// DepthToSpace: moves channel blocks into b x b spatial blocks, [N, C, H, W] -> [N, C/b², H*b, W*b].
// Mode DCR (default) reads channel (i*b + j)*C' + c, mode CRD reads c*b² + i*b + j, for output
// (c, h*b + i, w*b + j).
#include "ops/data_movement.h"

namespace kiln::ops {
namespace {

Expected<bool> is_dcr(const ir::Node& node) {
  const std::string mode = node.attr_string("mode", "DCR");
  if (mode != "DCR" && mode != "CRD") {
    return invalid_argument(node.describe() + ": mode '" + mode + "' is not DCR or CRD");
  }
  return mode == "DCR";
}

Status infer(InferContext& ctx) {
  const DataType dt = ctx.dtype(0);
  KILN_RETURN_IF_ERROR(is_dcr(ctx.node).status());
  const int64_t b = ctx.node.attr_int("blocksize", 0);
  if (b <= 0) return ctx.error("attribute 'blocksize' must be > 0");
  if (!ctx.input(0).rank_known) {
    ctx.set_output(0, dt, {-1, -1, -1, -1});
    return Status::ok();
  }
  const Shape& in = ctx.shape(0);
  if (in.size() != 4) return ctx.error("input must have rank 4 (NCHW), got " + shape_str(in));
  // Divide twice rather than by b * b, which may overflow for absurd blocksizes.
  if (in[1] >= 0 && (in[1] % b != 0 || in[1] / b % b != 0)) {
    return ctx.error("channels (" + std::to_string(in[1]) + ") must be a multiple of blocksize² (blocksize " +
                     std::to_string(b) + ")");
  }
  auto mul = [](int64_t d, int64_t f) { return d < 0 ? -1 : d * f; };
  ctx.set_output(0, dt, {in[0], in[1] < 0 ? -1 : in[1] / b / b, mul(in[2], b), mul(in[3], b)});
  return Status::ok();
}

Status run(RunContext& ctx) {
  const Tensor& x = ctx.input(0);
  KILN_ASSIGN_OR_RETURN(Shape out_shape, inferred_shape(ctx, infer));
  const bool dcr = *is_dcr(ctx.node);
  const int64_t b = ctx.node.attr_int("blocksize", 0);
  const int64_t c_out = out_shape[1];
  const std::vector<int64_t> s = strides_of(x.shape());
  // Offsets of the input channel's parts: output channel c, block row i, block column j.
  const int64_t c_stride = dcr ? s[1] : b * b * s[1];
  const int64_t i_stride = dcr ? b * c_out * s[1] : b * s[1];
  const int64_t j_stride = dcr ? c_out * s[1] : s[1];
  std::vector<std::vector<int64_t>> offsets(4);
  for (int64_t n = 0; n < out_shape[0]; ++n) offsets[0].push_back(n * s[0]);
  for (int64_t c = 0; c < out_shape[1]; ++c) offsets[1].push_back(c * c_stride);
  for (int64_t y = 0; y < out_shape[2]; ++y) offsets[2].push_back(y / b * s[2] + y % b * i_stride);
  for (int64_t x_ = 0; x_ < out_shape[3]; ++x_) offsets[3].push_back(x_ / b * s[3] + x_ % b * j_stride);
  Tensor& y = ctx.allocate_output(0, x.dtype(), out_shape);
  copy_by_axis_offsets(x.raw(), y.raw(), out_shape, offsets, dtype_size(x.dtype()));
  return Status::ok();
}

}  // namespace

KILN_REGISTER_OP({.op_type = "DepthToSpace", .infer = infer, .reference = run, .cost = data_movement_cost});

}  // namespace kiln::ops
