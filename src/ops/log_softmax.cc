// LogSoftmax: y = x - max(x) - log(sum(exp(x - max(x)))) along a row (see softmax_util.h).
#include <algorithm>
#include <cmath>

#include "ops/softmax_util.h"

namespace kiln::ops {
namespace {

Status run(RunContext& ctx) {
  return run_softmax_like(ctx, "LogSoftmax", []<typename A>(const A* x, A* y, int64_t n) {
    if (n == 0) return;
    A m = x[0];
    for (int64_t i = 1; i < n; ++i) m = std::max(m, x[i]);
    A sum = 0;
    for (int64_t i = 0; i < n; ++i) sum += std::exp(x[i] - m);
    const A log_sum = std::log(sum);
    for (int64_t i = 0; i < n; ++i) y[i] = x[i] - m - log_sum;
  });
}

Cost cost(const ir::Node&, std::span<const TensorType> in, std::span<const TensorType> out) {
  return {.flops = 4 * type_numel(in[0]), .bytes = io_bytes(in, out)};
}

}  // namespace

KILN_REGISTER_OP({.op_type = "LogSoftmax", .infer = infer_softmax_like, .reference = run, .cost = cost});

}  // namespace kiln::ops
