// Hardmax: 1 at the first maximum of a row, 0 elsewhere (see softmax_util.h for rows).
#include "ops/softmax_util.h"

namespace kiln::ops {
namespace {

Status run(RunContext& ctx) {
  return run_softmax_like(ctx, "Hardmax", []<typename A>(const A* x, A* y, int64_t n) {
    int64_t best = 0;
    for (int64_t i = 0; i < n; ++i) {
      y[i] = 0;
      if (x[i] > x[best]) best = i;
    }
    if (n > 0) y[best] = 1;
  });
}

Cost cost(const ir::Node&, std::span<const TensorType> in, std::span<const TensorType> out) {
  return {.flops = type_numel(in[0]), .bytes = io_bytes(in, out)};
}

}  // namespace

KILN_REGISTER_OP({.op_type = "Hardmax", .infer = infer_softmax_like, .reference = run, .cost = cost});

}  // namespace kiln::ops
