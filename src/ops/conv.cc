// Conv: N-D convolution (1-D to 3-D) with groups, strides, dilations, pads / auto_pad and an
// optional bias. The reference is im2col + blocked GEMM (see conv_kernel.h).
#include "ops/blocked_gemm.h"
#include "ops/conv_kernel.h"
#include "ops/required_inputs.h"

namespace kiln::ops {
namespace {

Status infer(InferContext& ctx) {
  if (ctx.num_inputs() < 2) return ctx.error("expects inputs X and W");
  const DataType t = ctx.dtype(0);
  if (!dtype_is_float(t))
    return ctx.error(std::string("X has type ") + dtype_name(t) + ", expected a float type");
  KILN_ASSIGN_OR_RETURN(ctx.outputs[0], conv_output_type(ctx.node, ctx.input(0), ctx.input(1), t));
  return Status::ok();
}

Status run(RunContext& ctx) {
  KILN_RETURN_IF_ERROR(require_inputs(ctx, 2));
  const Tensor& x = ctx.input(0);
  const Tensor& w = ctx.input(1);
  if (w.dtype() != x.dtype() || !dtype_is_float(x.dtype()))
    return ctx.error("X and W must have the same float type");
  KILN_ASSIGN_OR_RETURN(const ConvSetup c, conv_setup(ctx.node, x.shape(), w.shape()));
  const bool has_bias = ctx.has_input(2);
  if (has_bias && ctx.input(2).numel() != c.s.out_channels) {
    return ctx.error("B has " + std::to_string(ctx.input(2).numel()) + " values, expected " +
                     std::to_string(c.s.out_channels) + " (one per output channel)");
  }
  const DataType ct = gemm_compute_dtype(x.dtype());
  const Tensor xc = as_dtype(x, ct), wc = as_dtype(w, ct);
  Tensor y(ct, c.out_shape);
  auto compute = [&]<typename T>() {
    T* dst = y.data<T>();
    if (has_bias) {
      const Tensor bc = as_dtype(ctx.input(2), ct);
      const int64_t plane = c.g.col_size();
      for (int64_t b = 0; b < c.s.batch; ++b) {
        for (int64_t m = 0; m < c.s.out_channels; ++m) {
          std::fill_n(dst + (b * c.s.out_channels + m) * plane, plane, bc.data<T>()[m]);
        }
      }
    }
    conv_forward<T>(c.g, c.s, xc.data<T>(), wc.data<T>(), dst);
  };
  if (ct == DataType::kFloat64) {
    compute.operator()<double>();
  } else {
    compute.operator()<float>();
  }
  ctx.set_output(0, as_dtype(y, x.dtype()));
  return Status::ok();
}

Cost cost(const ir::Node& node, std::span<const TensorType> in, std::span<const TensorType> out) {
  return conv_cost(in, out, /*w_input=*/1, /*bias_input=*/2);
}

}  // namespace

KILN_REGISTER_OP({.op_type = "Conv", .domain = "", .infer = infer, .reference = run, .cost = cost});

}  // namespace kiln::ops
