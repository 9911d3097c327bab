// AveragePool: the mean of each window, over the valid taps only or, with count_include_pad, over
// the taps inside the padded image as well.
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
  const bool include_pad = ctx.node.attr_int("count_include_pad", 0) != 0;
  Tensor& y = ctx.allocate_output(0, x.dtype(), out_shape);
  const int64_t planes = x.dim(0) * x.dim(1), image_size = g.image_size(), out_size = g.col_size();
  return visit_float_dtype(x.dtype(), "AveragePool", [&]<typename T>() {
    using Acc = pool_acc_t<T>;
    for (int64_t p = 0; p < planes; ++p) {
      const T* src = x.data<T>() + p * image_size;
      T* dst = y.data<T>() + p * out_size;
      for_each_window(g, [&](int64_t o, const WindowTaps& t) {
        Acc sum = 0;
        for_each_tap(g, t, [&](int64_t i) { sum += static_cast<Acc>(src[i]); });
        const int64_t* n = include_pad ? t.padded_count : t.count;
        const int64_t count = n[0] * n[1] * n[2];
        dst[o] = static_cast<T>(count > 0 ? sum / static_cast<Acc>(count) : Acc(0));
      });
    }
    return Status::ok();
  });
}

// One addition per window tap.
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

KILN_REGISTER_OP({.op_type = "AveragePool", .domain = "", .infer = infer, .reference = run, .cost = cost});

}  // namespace kiln::ops
