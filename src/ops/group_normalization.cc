// GroupNormalization: the C channels split into num_groups groups, each (n, group) normalised by
// its own mean and variance, then scaled and shifted: per group at opset 18 (scale and bias of
// size num_groups), per channel from opset 21 (size C).
#include <cmath>
#include <vector>

#include "ops/norm_util.h"
#include "ops/required_inputs.h"
#include "ops/util.h"

namespace kiln::ops {
namespace {

Status infer(InferContext& ctx) {
  if (ctx.num_inputs() < 3) return ctx.error("expects inputs X, scale and bias");
  if (!dtype_is_float(ctx.dtype(0))) return ctx.error("X must have a float type");
  return infer_same_as_input0(ctx);
}

Status run(RunContext& ctx) {
  KILN_RETURN_IF_ERROR(require_inputs(ctx, 3));
  const Tensor& x = ctx.input(0);
  if (x.rank() < 2) return ctx.error("X must have rank 2 or more ([N, C, ...])");
  const int64_t groups = ctx.node.attr_int("num_groups", 0);
  const int64_t batch = x.dim(0), channels = x.dim(1);
  if (groups < 1 || channels % groups != 0) {
    return ctx.error("num_groups (" + std::to_string(groups) + ") must be at least 1 and divide the " +
                     std::to_string(channels) + " channels");
  }
  const int64_t plane = batch * channels == 0 ? 0 : x.numel() / (batch * channels);
  const int64_t per_group = channels / groups;
  const int64_t params = ctx.input(1).numel();
  if ((params != channels && params != groups) || ctx.input(2).numel() != params) {
    return ctx.error("scale and bias must have num_groups (" + std::to_string(groups) + ") or C (" +
                     std::to_string(channels) + ") values");
  }
  const bool per_channel = params == channels;
  const std::vector<float> scale = ctx.input(1).to_float_vector(), bias = ctx.input(2).to_float_vector();
  const float epsilon = ctx.node.attr_float("epsilon", 1e-5f);
  Tensor& y = ctx.allocate_output(0, x.dtype(), x.shape());
  return visit_float_dtype(x.dtype(), "GroupNormalization", [&]<typename T>() {
    using Acc = std::conditional_t<std::is_same_v<T, double>, double, float>;
    for (int64_t n = 0; n < batch; ++n) {
      for (int64_t g = 0; g < groups; ++g) {
        const int64_t offset = (n * channels + g * per_group) * plane;
        Acc mean, var;
        mean_and_variance(x.data<T>() + offset, per_group * plane, mean, var);
        const Acc inv = Acc(1) / std::sqrt(var + static_cast<Acc>(epsilon));
        for (int64_t c = 0; c < per_group; ++c) {
          const int64_t p = per_channel ? g * per_group + c : g;
          const T* src = x.data<T>() + offset + c * plane;
          T* dst = y.data<T>() + offset + c * plane;
          for (int64_t i = 0; i < plane; ++i) {
            dst[i] = static_cast<T>((static_cast<Acc>(src[i]) - mean) * inv * scale[p] + bias[p]);
          }
        }
      }
    }
    return Status::ok();
  });
}

}  // namespace

KILN_REGISTER_OP({.op_type = "GroupNormalization", .domain = "", .infer = infer, .reference = run});

}  // namespace kiln::ops
