// Trilu: keeps the upper (upper=1, default) or lower triangle of each matrix in the last two dims
// and zeroes the rest: element (i, j) stays when j - i >= k (upper) or j - i <= k (lower), with k
// the optional input 1 (default 0).
#include <algorithm>
#include <cstring>

#include "ops/data_movement.h"

namespace kiln::ops {
namespace {

Status infer(InferContext& ctx) {
  if (ctx.input(0).rank_known && ctx.shape(0).size() < 2) return ctx.error("input must have rank >= 2");
  return infer_same_as_input0(ctx);
}

Status run(RunContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (x.rank() < 2) return ctx.error("input must have rank >= 2");
  const bool upper = ctx.node.attr_int("upper", 1) != 0;
  const int64_t rows = x.dim(x.rank() - 2);
  const int64_t cols = x.dim(x.rank() - 1);
  int64_t k = ctx.has_input(1) && ctx.input(1).numel() > 0 ? ctx.input(1).as_int64(0) : 0;
  k = std::clamp<int64_t>(k, -rows - 1, cols + 1);  // beyond this every k gives the same result
  const size_t elem = dtype_size(x.dtype());
  const int64_t matrices = rows * cols == 0 ? 0 : x.numel() / (rows * cols);
  Tensor& y = ctx.allocate_output(0, x.dtype(), x.shape());  // zero-filled: zero bytes are 0 in every dtype
  const auto* src = static_cast<const std::byte*>(x.raw());
  auto* dst = static_cast<std::byte*>(y.raw());
  for (int64_t m = 0; m < matrices; ++m) {
    for (int64_t i = 0; i < rows; ++i) {
      const int64_t begin = upper ? std::clamp<int64_t>(i + k, 0, cols) : 0;
      const int64_t end = upper ? cols : std::clamp<int64_t>(i + k + 1, 0, cols);
      if (end <= begin) continue;
      const int64_t at = (m * rows + i) * cols + begin;
      std::memcpy(dst + at * static_cast<int64_t>(elem), src + at * static_cast<int64_t>(elem),
                  static_cast<size_t>(end - begin) * elem);
    }
  }
  return Status::ok();
}

}  // namespace

KILN_REGISTER_OP({.op_type = "Trilu", .infer = infer, .reference = run, .cost = data_movement_cost});

}  // namespace kiln::ops
