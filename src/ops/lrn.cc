// LRN: local response normalisation across channels,
// y = x / (bias + alpha / size * sum of x^2 over the `size` neighbouring channels)^beta.
#include <algorithm>
#include <cmath>

#include "ops/required_inputs.h"
#include "ops/util.h"

namespace kiln::ops {
namespace {

Status infer(InferContext& ctx) {
  if (!dtype_is_float(ctx.dtype(0))) return ctx.error("X must have a float type");
  return infer_same_as_input0(ctx);
}

Status run(RunContext& ctx) {
  KILN_RETURN_IF_ERROR(require_inputs(ctx, 1));
  const Tensor& x = ctx.input(0);
  if (x.rank() < 2) return ctx.error("X must have rank 2 or more ([N, C, ...])");
  const int64_t size = ctx.node.attr_int("size", 0);
  if (size < 1) return ctx.error("attribute size is required and must be at least 1");
  const float alpha = ctx.node.attr_float("alpha", 1e-4f), beta = ctx.node.attr_float("beta", 0.75f);
  const float bias = ctx.node.attr_float("bias", 1.0f);
  const int64_t batch = x.dim(0), channels = x.dim(1);
  const int64_t plane = batch * channels == 0 ? 0 : x.numel() / (batch * channels);
  const int64_t before = (size - 1) / 2, after = size - 1 - before;  // floor and ceil of (size - 1) / 2
  Tensor& y = ctx.allocate_output(0, x.dtype(), x.shape());
  return visit_float_dtype(x.dtype(), "LRN", [&]<typename T>() {
    using Acc = std::conditional_t<std::is_same_v<T, double>, double, float>;
    std::vector<Acc> sq(static_cast<size_t>(plane));
    for (int64_t n = 0; n < batch; ++n) {
      for (int64_t c = 0; c < channels; ++c) {
        std::fill(sq.begin(), sq.end(), Acc(0));
        for (int64_t k = std::max<int64_t>(0, c - before); k <= std::min(channels - 1, c + after); ++k) {
          const T* src = x.data<T>() + (n * channels + k) * plane;
          for (int64_t i = 0; i < plane; ++i) sq[i] += static_cast<Acc>(src[i]) * static_cast<Acc>(src[i]);
        }
        const T* src = x.data<T>() + (n * channels + c) * plane;
        T* dst = y.data<T>() + (n * channels + c) * plane;
        for (int64_t i = 0; i < plane; ++i) {
          const Acc scale = static_cast<Acc>(bias) + static_cast<Acc>(alpha) / static_cast<Acc>(size) * sq[i];
          dst[i] = static_cast<T>(static_cast<Acc>(src[i]) / std::pow(scale, static_cast<Acc>(beta)));
        }
      }
    }
    return Status::ok();
  });
}

}  // namespace

KILN_REGISTER_OP({.op_type = "LRN", .domain = "", .infer = infer, .reference = run});

}  // namespace kiln::ops
