#include "ops/pool_kernel.h"

namespace kiln::ops {
namespace {

Status check_pool_attrs(const ir::Node& node) {
  const int64_t ceil_mode = node.attr_int("ceil_mode", 0);
  if (ceil_mode != 0 && ceil_mode != 1)
    return invalid_argument(node.describe() + ": ceil_mode must be 0 or 1");
  return Status::ok();
}

}  // namespace

Status infer_pool(InferContext& ctx, bool allow_ints) {
  const TensorType& x = ctx.input(0);
  const bool int_ok = allow_ints && (x.dtype == DataType::kInt8 || x.dtype == DataType::kUInt8);
  if (!dtype_is_float(x.dtype) && !int_ok) {
    return ctx.error(std::string("X has type ") + dtype_name(x.dtype) + ", which this pool does not support");
  }
  if (!x.rank_known) {
    ctx.set_output_unknown_rank(0, x.dtype);
    if (ctx.num_outputs() > 1) ctx.set_output_unknown_rank(1, DataType::kInt64);
    return Status::ok();
  }
  if (x.shape.size() < 3) return ctx.error("X must have rank 3 or more ([N, C, spatial...])");
  KILN_RETURN_IF_ERROR(check_pool_attrs(ctx.node));
  const Shape in(x.shape.begin() + 2, x.shape.end());
  KILN_ASSIGN_OR_RETURN(Window w, read_window(ctx.node, in.size(), {}));
  KILN_ASSIGN_OR_RETURN(Shape out_spatial,
                        forward_output_dims(ctx.node, in, ctx.node.attr_int("ceil_mode", 0) != 0, w));
  Shape out{x.shape[0], x.shape[1]};
  out.insert(out.end(), out_spatial.begin(), out_spatial.end());
  ctx.set_output(0, x.dtype, out);
  if (ctx.num_outputs() > 1) ctx.set_output(1, DataType::kInt64, out);
  return Status::ok();
}

Expected<Geometry3d> pool_geometry(const ir::Node& node, const Shape& x, Shape& out_shape) {
  if (x.size() < 3)
    return invalid_argument(node.describe() + ": X must have rank 3 or more ([N, C, spatial...])");
  KILN_RETURN_IF_ERROR(check_pool_attrs(node));
  const Shape in(x.begin() + 2, x.end());
  KILN_ASSIGN_OR_RETURN(Window w, read_window(node, in.size(), {}));
  KILN_ASSIGN_OR_RETURN(Shape out_spatial,
                        forward_output_dims(node, in, node.attr_int("ceil_mode", 0) != 0, w));
  out_shape = {x[0], x[1]};
  out_shape.insert(out_shape.end(), out_spatial.begin(), out_spatial.end());
  return make_geometry_3d(node, w, in, out_spatial);
}

}  // namespace kiln::ops
