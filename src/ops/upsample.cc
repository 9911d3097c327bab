// Upsample (deprecated since opset 10 in favour of Resize): output dims are floor(dim * scale),
// with nearest (floor of the asymmetric source coordinate) or linear interpolation. Scales are
// an attribute before opset 9 and input 1 from it.
#include <cmath>

#include "ops/kernel_util.h"
#include "ops/resize_util.h"
#include "ops/util.h"

namespace kiln::ops {
namespace {

// The scales, or an empty vector while input 1's value is unknown.
Expected<std::vector<double>> scales_of(const ir::Node& node, const Tensor* input, size_t rank) {
  std::vector<double> s;
  if (node.opset < 9) {
    for (float f : node.attr_floats("scales")) s.push_back(f);
  } else if (input != nullptr) {
    for (int64_t i = 0; i < input->numel(); ++i) s.push_back(static_cast<float>(input->as_double(i)));
  } else {
    return s;
  }
  if (s.size() != rank) {
    return invalid_argument(node.describe() + ": scales has " + std::to_string(s.size()) +
                            " values for rank " + std::to_string(rank));
  }
  for (double v : s) {
    if (!(v > 0)) return invalid_argument(node.describe() + ": scales must be positive");
  }
  return s;
}

Shape out_shape(const Shape& in, const std::vector<double>& scales) {
  Shape out(in.size());
  for (size_t d = 0; d < in.size(); ++d) {
    out[d] = in[d] < 0 ? -1 : static_cast<int64_t>(std::floor(scales[d] * static_cast<double>(in[d])));
  }
  return out;
}

Status infer(InferContext& ctx) {
  KILN_RETURN_IF_ERROR(read_resize_spec(ctx.node, false).status());
  const DataType dt = ctx.dtype(0);
  if (!ctx.input(0).rank_known) {
    ctx.set_output_unknown_rank(0, dt);
    return Status::ok();
  }
  const Shape& in = ctx.shape(0);
  KILN_ASSIGN_OR_RETURN(auto scales, scales_of(ctx.node, ctx.value(1), in.size()));
  ctx.set_output(0, dt, scales.empty() && !in.empty() ? Shape(in.size(), -1) : out_shape(in, scales));
  return Status::ok();
}

Status run(RunContext& ctx) {
  const Tensor& x = ctx.input(0);
  KILN_ASSIGN_OR_RETURN(ResizeSpec spec, read_resize_spec(ctx.node, false));
  const Tensor* input = ctx.has_input(1) ? &ctx.input(1) : nullptr;
  if (ctx.node.opset >= 9 && input == nullptr) return ctx.error("the scales input is missing");
  KILN_ASSIGN_OR_RETURN(auto scales, scales_of(ctx.node, input, static_cast<size_t>(x.rank())));
  Tensor& y = ctx.allocate_output(0, x.dtype(), out_shape(x.shape(), scales));
  return resize_tensor(ctx.node, spec, x, scales, {}, y);
}

Cost cost(const ir::Node& node, std::span<const TensorType> in, std::span<const TensorType> out) {
  const double taps = node.attr_string("mode", "nearest") == "nearest" ? 1 : 4;
  return {.flops = taps * type_numel(out[0]), .bytes = type_bytes(in[0]) + type_bytes(out[0])};
}

}  // namespace

KILN_REGISTER_OP({.op_type = "Upsample", .infer = infer, .reference = run, .cost = cost});

}  // namespace kiln::ops
