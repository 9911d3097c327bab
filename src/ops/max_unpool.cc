// MaxUnpool: scatters X into a zero tensor at the flat indices I that MaxPool produced. The output
// shape is the optional output_shape input, or the shape the pool's window implies.
#include "ops/required_inputs.h"
#include "ops/spatial.h"
#include "ops/util.h"

namespace kiln::ops {
namespace {

// The input size a pool with this window would have turned into `in`: (in - 1) * s + k - pads.
Expected<Shape> default_output_shape(const ir::Node& node, const Shape& x) {
  if (x.size() < 3)
    return invalid_argument(node.describe() + ": X must have rank 3 or more ([N, C, spatial...])");
  const size_t n = x.size() - 2;
  KILN_ASSIGN_OR_RETURN(Window w, read_window(node, n, {}));
  Shape out{x[0], x[1]};
  for (size_t i = 0; i < n; ++i) {
    const int64_t in = x[i + 2];
    out.push_back(in < 0 ? -1 : (in - 1) * w.strides[i] + w.kernel[i] - w.pads[i] - w.pads[i + n]);
    if (out.back() == 0 || out.back() < -1)
      return invalid_argument(node.describe() + ": the pads leave an empty output");
  }
  return out;
}

Status infer(InferContext& ctx) {
  const TensorType& x = ctx.input(0);
  if (ctx.num_inputs() < 2) return ctx.error("expects inputs X and I");
  if (!dtype_is_float(x.dtype))
    return ctx.error(std::string("X has type ") + dtype_name(x.dtype) + ", expected a float type");
  if (ctx.has_input(2)) {
    if (const Tensor* v = ctx.value(2)) {
      ctx.set_output(0, x.dtype, v->to_int64_vector());
    } else if (ctx.input(2).shape_known() && ctx.input(2).shape.size() == 1) {
      ctx.set_output(0, x.dtype, Shape(static_cast<size_t>(ctx.input(2).shape[0]), -1));
    } else {
      ctx.set_output_unknown_rank(0, x.dtype);
    }
    return Status::ok();
  }
  if (!x.rank_known) {
    ctx.set_output_unknown_rank(0, x.dtype);
    return Status::ok();
  }
  KILN_ASSIGN_OR_RETURN(Shape out, default_output_shape(ctx.node, x.shape));
  ctx.set_output(0, x.dtype, out);
  return Status::ok();
}

Status run(RunContext& ctx) {
  KILN_RETURN_IF_ERROR(require_inputs(ctx, 2));
  const Tensor& x = ctx.input(0);
  const Tensor& idx = ctx.input(1);
  if (idx.shape() != x.shape()) return ctx.error("I must have the shape of X (" + shape_str(x.shape()) + ")");
  // The indices address the shape the window implies; output_shape, when given, may add zeros at the
  // end of each dim (as ONNX's reference does).
  KILN_ASSIGN_OR_RETURN(const Shape inferred, default_output_shape(ctx.node, x.shape()));
  Shape out = inferred;
  if (ctx.has_input(2)) {
    out = ctx.input(2).to_int64_vector();
    if (out.size() != inferred.size()) return ctx.error("output_shape must have one value per dim of X");
    for (size_t d = 0; d < out.size(); ++d) {
      if (out[d] < inferred[d] || (d < 2 && out[d] != inferred[d])) {
        return ctx.error("output_shape " + shape_str(out) + " is smaller than the unpooled shape " +
                         shape_str(inferred));
      }
    }
  }
  Tensor& y = ctx.allocate_output(0, x.dtype(), out);
  const std::vector<int64_t> where = idx.to_int64_vector();
  const int64_t total = shape_numel(inferred);
  const std::vector<int64_t> in_strides = strides_of(inferred), out_strides = strides_of(out);
  return visit_float_dtype(x.dtype(), "MaxUnpool", [&]<typename T>() -> Status {
    for (int64_t i = 0; i < x.numel(); ++i) {
      int64_t at = where[static_cast<size_t>(i)];
      if (at < 0 || at >= total) {
        return ctx.error("index " + std::to_string(at) + " in I is outside the unpooled shape " +
                         shape_str(inferred));
      }
      int64_t dst = 0;  // the same coordinates in the (possibly larger) output
      for (size_t d = 0; d < inferred.size(); ++d) {
        dst += at / in_strides[d] * out_strides[d];
        at %= in_strides[d];
      }
      y.data<T>()[dst] = x.data<T>()[i];
    }
    return Status::ok();
  });
}

}  // namespace

KILN_REGISTER_OP({.op_type = "MaxUnpool", .domain = "", .infer = infer, .reference = run});

}  // namespace kiln::ops
