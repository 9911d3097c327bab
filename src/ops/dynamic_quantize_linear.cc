// DynamicQuantizeLinear: quantises float x to uint8 with a scale and zero point computed from x's
// range (widened to include 0), exactly as the ONNX function body does:
// scale = (max(x, 0) - min(x, 0)) / 255, zero_point = round(clamp(-min / scale, 0, 255)),
// y = saturate(round(x / scale) + zero_point).
#include <algorithm>

#include "ops/quant_util.h"
#include "ops/required_inputs.h"

namespace kiln::ops {
namespace {

Status infer(InferContext& ctx) {
  if (ctx.dtype(0) != DataType::kFloat32) return ctx.error("x must be float32");
  if (ctx.input(0).rank_known) {
    ctx.set_output(0, DataType::kUInt8, ctx.shape(0));
  } else {
    ctx.set_output_unknown_rank(0, DataType::kUInt8);
  }
  ctx.set_output(1, DataType::kFloat32, {});
  ctx.set_output(2, DataType::kUInt8, {});
  return Status::ok();
}

Status run(RunContext& ctx) {
  KILN_RETURN_IF_ERROR(require_inputs(ctx, 1));
  const Tensor& x = ctx.input(0);
  if (x.dtype() != DataType::kFloat32) return ctx.error("x must be float32");
  const float* src = x.data<float>();
  float lo = 0, hi = 0;
  for (int64_t i = 0; i < x.numel(); ++i) lo = std::min(lo, src[i]), hi = std::max(hi, src[i]);
  const float scale = (hi - lo) / 255.0f;
  // An all-zero x gives scale 0: every value then quantises to the zero point 0.
  const uint8_t zero_point =
      scale == 0 ? 0 : static_cast<uint8_t>(std::nearbyint(std::clamp(0.0f - lo / scale, 0.0f, 255.0f)));
  Tensor& y = ctx.allocate_output(0, DataType::kUInt8, x.shape());
  for (int64_t i = 0; i < x.numel(); ++i) {
    y.data<uint8_t>()[i] =
        scale == 0 ? zero_point : saturate_round<uint8_t>(std::nearbyint(src[i] / scale) + zero_point);
  }
  ctx.allocate_output(1, DataType::kFloat32, {}).data<float>()[0] = scale;
  ctx.allocate_output(2, DataType::kUInt8, {}).data<uint8_t>()[0] = zero_point;
  return Status::ok();
}

}  // namespace

KILN_REGISTER_OP({.op_type = "DynamicQuantizeLinear", .domain = "", .infer = infer, .reference = run});

}  // namespace kiln::ops
