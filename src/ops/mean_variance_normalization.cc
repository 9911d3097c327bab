// MeanVarianceNormalization: y = (x - mean) / (sqrt(variance) + 1e-9) with the statistics taken
// over `axes` (default [0, 2, 3]), exactly as the ONNX function body computes it.
#include <cmath>
#include <vector>

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
  // The statistics' shape: X's with the reduced axes set to 1; each element maps to its group.
  Shape reduced = x.shape();
  for (int64_t a : ctx.node.attr_ints("axes", {0, 2, 3})) {
    KILN_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(ctx.node, a, x.rank()));
    reduced[axis] = 1;
  }
  const std::vector<int64_t> group = broadcast_offsets(reduced, x.shape());
  const int64_t groups = shape_numel(reduced);
  const double count = groups == 0 ? 0 : static_cast<double>(x.numel() / groups);
  Tensor& y = ctx.allocate_output(0, x.dtype(), x.shape());
  return visit_float_dtype(x.dtype(), "MeanVarianceNormalization", [&]<typename T>() {
    using Acc = std::conditional_t<std::is_same_v<T, double>, double, float>;
    const T* src = x.data<T>();
    std::vector<Acc> mean(static_cast<size_t>(groups)), var(static_cast<size_t>(groups));
    for (int64_t i = 0; i < x.numel(); ++i) mean[group[i]] += static_cast<Acc>(src[i]);
    for (Acc& m : mean) m /= static_cast<Acc>(count);
    for (int64_t i = 0; i < x.numel(); ++i) {
      const Acc d = static_cast<Acc>(src[i]) - mean[group[i]];
      var[group[i]] += d * d;
    }
    for (Acc& v : var) v = std::sqrt(v / static_cast<Acc>(count)) + static_cast<Acc>(1e-9);
    for (int64_t i = 0; i < x.numel(); ++i) {
      y.data<T>()[i] = static_cast<T>((static_cast<Acc>(src[i]) - mean[group[i]]) / var[group[i]]);
    }
    return Status::ok();
  });
}

}  // namespace

KILN_REGISTER_OP({.op_type = "MeanVarianceNormalization", .domain = "", .infer = infer, .reference = run});

}  // namespace kiln::ops
