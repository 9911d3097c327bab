// EyeLike: a 2-D tensor shaped like the input with ones on the diagonal shifted by `k` (positive:
// above the main diagonal) and zeros elsewhere. Its type is attribute `dtype`, else the input's.
#include "ops/dtype_attr.h"
#include "ops/elementwise.h"

namespace kiln::ops {
namespace {

Expected<DataType> output_type(const ir::Node& node, DataType input) {
  KILN_ASSIGN_OR_RETURN(DataType t, dtype_attr(node, "dtype", input));
  if (t == DataType::kUndefined) return invalid_argument(node.describe() + ": the output type is undefined");
  return t;
}

Status infer(InferContext& ctx) {
  if (!ctx.has_input(0)) return ctx.error("input 0 is missing");
  KILN_ASSIGN_OR_RETURN(DataType t, output_type(ctx.node, ctx.dtype(0)));
  const TensorType& x = ctx.input(0);
  if (x.rank_known && x.shape.size() != 2)
    return ctx.error("the input must be 2-D, not " + shape_str(x.shape));
  ctx.set_output(0, t, x.rank_known ? x.shape : Shape{-1, -1});
  return Status::ok();
}

Status run(RunContext& ctx) {
  if (!ctx.has_input(0)) return ctx.error("input 0 is missing");
  const Tensor& x = ctx.input(0);
  KILN_ASSIGN_OR_RETURN(DataType t, output_type(ctx.node, x.dtype()));
  if (x.rank() != 2) return ctx.error("the input must be 2-D, not " + shape_str(x.shape()));
  Tensor& y = ctx.allocate_output(0, t, x.shape());
  const int64_t rows = x.dim(0), cols = x.dim(1), k = ctx.node.attr_int("k", 0);
  visit_dtype(t, [&]<typename T>() {
    T* dst = y.data<T>();
    for (int64_t i = 0; i < rows; ++i) {
      const int64_t j = i + k;
      if (j >= 0 && j < cols) dst[i * cols + j] = static_cast<T>(1.0f);
    }
  });
  return Status::ok();
}

}  // namespace

KILN_REGISTER_OP({.op_type = "EyeLike", .infer = infer, .reference = run, .cost = output_only_cost});

}  // namespace kiln::ops
