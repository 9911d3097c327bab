// LpPool: the p-norm of each window, (sum |x|^p)^(1/p) over the valid taps (pads add zero).
#include <cmath>

#include "ops/pool_kernel.h"
#include "ops/required_inputs.h"

namespace kiln::ops {
namespace {

Status infer(InferContext& ctx) { return infer_pool(ctx, /*allow_ints=*/false); }

Status run(RunContext& ctx) {
  KILN_RETURN_IF_ERROR(require_inputs(ctx, 1));
  const Tensor& x = ctx.input(0);
  Shape out_shape;
  KILN_ASSIGN_OR_RETURN(Geometry3d g, pool_geometry(ctx.node, x.shape(), out_shape));
  const int64_t p_norm = ctx.node.attr_int("p", 2);
  if (p_norm < 1) return ctx.error("p must be at least 1, got " + std::to_string(p_norm));
  Tensor& y = ctx.allocate_output(0, x.dtype(), out_shape);
  const int64_t planes = x.dim(0) * x.dim(1), image_size = g.image_size(), out_size = g.col_size();
  return visit_float_dtype(x.dtype(), "LpPool", [&]<typename T>() {
    using Acc = pool_acc_t<T>;
    const Acc p = static_cast<Acc>(p_norm);
    for (int64_t plane = 0; plane < planes; ++plane) {
      const T* src = x.data<T>() + plane * image_size;
      T* dst = y.data<T>() + plane * out_size;
      for_each_window(g, [&](int64_t o, const WindowTaps& t) {
        Acc sum = 0;
        for_each_tap(g, t, [&](int64_t i) { sum += std::pow(std::abs(static_cast<Acc>(src[i])), p); });
        dst[o] = static_cast<T>(std::pow(sum, Acc(1) / p));
      });
    }
    return Status::ok();
  });
}

}  // namespace

KILN_REGISTER_OP({.op_type = "LpPool", .domain = "", .infer = infer, .reference = run});

}  // namespace kiln::ops
