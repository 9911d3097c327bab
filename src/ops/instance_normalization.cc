// InstanceNormalization: each (n, c) plane normalised by its own mean and variance, then scaled
// and shifted per channel: y = (x - mean) / sqrt(var + epsilon) * scale[c] + B[c].
#include <cmath>
#include <vector>

#include "ops/norm_util.h"
#include "ops/required_inputs.h"
#include "ops/util.h"

namespace kiln::ops {
namespace {

Status infer(InferContext& ctx) {
  if (ctx.num_inputs() < 3) return ctx.error("expects inputs input, scale and B");
  if (!dtype_is_float(ctx.dtype(0))) return ctx.error("input must have a float type");
  return infer_same_as_input0(ctx);
}

Status run(RunContext& ctx) {
  KILN_RETURN_IF_ERROR(require_inputs(ctx, 3));
  const Tensor& x = ctx.input(0);
  if (x.rank() < 3) return ctx.error("input must have rank 3 or more ([N, C, spatial...])");
  const int64_t channels = x.dim(1), planes = x.dim(0) * channels;
  const int64_t plane = planes == 0 ? 0 : x.numel() / planes;
  if (ctx.input(1).numel() != channels || ctx.input(2).numel() != channels) {
    return ctx.error("scale and B must have " + std::to_string(channels) + " values (one per channel)");
  }
  const std::vector<float> scale = ctx.input(1).to_float_vector(), bias = ctx.input(2).to_float_vector();
  const float epsilon = ctx.node.attr_float("epsilon", 1e-5f);
  Tensor& y = ctx.allocate_output(0, x.dtype(), x.shape());
  return visit_float_dtype(x.dtype(), "InstanceNormalization", [&]<typename T>() {
    using Acc = std::conditional_t<std::is_same_v<T, double>, double, float>;
    for (int64_t p = 0; p < planes; ++p) {
      const T* src = x.data<T>() + p * plane;
      T* dst = y.data<T>() + p * plane;
      Acc mean, var;
      mean_and_variance(src, plane, mean, var);
      const Acc a = scale[p % channels] / std::sqrt(var + static_cast<Acc>(epsilon)), b = bias[p % channels];
      for (int64_t i = 0; i < plane; ++i) dst[i] = static_cast<T>((static_cast<Acc>(src[i]) - mean) * a + b);
    }
    return Status::ok();
  });
}

}  // namespace

KILN_REGISTER_OP({.op_type = "InstanceNormalization", .domain = "", .infer = infer, .reference = run});

}  // namespace kiln::ops
