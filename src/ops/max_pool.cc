// MaxPool: the largest element of each window (pads never win), with the optional flat Indices
// output (row-major, or column-major over the spatial dims when storage_order is 1).
#include <limits>

#include "ops/pool_kernel.h"
#include "ops/required_inputs.h"

namespace kiln::ops {
namespace {

Status infer(InferContext& ctx) { return infer_pool(ctx, /*allow_ints=*/true); }

Status run(RunContext& ctx) {
  KILN_RETURN_IF_ERROR(require_inputs(ctx, 1));
  const Tensor& x = ctx.input(0);
  Shape out_shape;
  KILN_ASSIGN_OR_RETURN(Geometry3d g, pool_geometry(ctx.node, x.shape(), out_shape));
  const int64_t storage_order = ctx.node.attr_int("storage_order", 0);
  if (storage_order != 0 && storage_order != 1) return ctx.error("storage_order must be 0 or 1");
  const bool want_indices = ctx.output_requested(1);
  Tensor& y = ctx.allocate_output(0, x.dtype(), out_shape);
  int64_t* indices =
      want_indices ? ctx.allocate_output(1, DataType::kInt64, out_shape).data<int64_t>() : nullptr;
  const int64_t planes = x.dim(0) * x.dim(1), image_size = g.image_size(), out_size = g.col_size();
  // Column-major index of a row-major offset within one plane: w * D * H + h * D + d.
  auto column_major = [&](int64_t i) {
    const int64_t w = i % g.image[2], h = (i / g.image[2]) % g.image[1], d = i / (g.image[2] * g.image[1]);
    return (w * g.image[1] + h) * g.image[0] + d;
  };
  auto pool = [&]<typename T>() -> Status {
    using Acc = pool_acc_t<T>;
    for (int64_t p = 0; p < planes; ++p) {
      const T* src = x.data<T>() + p * image_size;
      T* dst = y.data<T>() + p * out_size;
      for_each_window(g, [&](int64_t o, const WindowTaps& t) {
        Acc best = std::numeric_limits<Acc>::lowest();
        int64_t arg = -1;
        for_each_tap(g, t, [&](int64_t i) {
          const Acc v = static_cast<Acc>(src[i]);
          if (arg < 0 || v > best) best = v, arg = i;
        });
        dst[o] = static_cast<T>(best);
        if (indices) {
          const int64_t local = arg < 0 ? 0 : (storage_order == 1 ? column_major(arg) : arg);
          indices[p * out_size + o] = p * image_size + local;
        }
      });
    }
    return Status::ok();
  };
  switch (x.dtype()) {
    case DataType::kInt8:
      return pool.operator()<int8_t>();
    case DataType::kUInt8:
      return pool.operator()<uint8_t>();
    default:
      return visit_float_dtype(x.dtype(), "MaxPool", pool);
  }
}

// One comparison per window tap.
Cost cost(const ir::Node& node, std::span<const TensorType> in, std::span<const TensorType> out) {
  Cost c;
  for (const auto& t : in) c.bytes += tensor_bytes(t);
  for (const auto& t : out) c.bytes += tensor_bytes(t);
  double taps = 1;
  for (int64_t k : node.attr_ints("kernel_shape")) taps *= static_cast<double>(k);
  if (!out.empty()) c.flops = known_numel(out[0]) * taps;
  return c;
}

}  // namespace

KILN_REGISTER_OP({.op_type = "MaxPool", .domain = "", .infer = infer, .reference = run, .cost = cost});

}  // namespace kiln::ops
