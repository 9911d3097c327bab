// Det: the determinant of each square matrix in the last two dims ([..., M, M] -> [...]), by LU
// decomposition with partial pivoting in double.
#include <cmath>
#include <utility>
#include <vector>

#include "ops/op.h"
#include "ops/required_inputs.h"

namespace kiln::ops {
namespace {

Status infer(InferContext& ctx) {
  const TensorType& x = ctx.input(0);
  if (!dtype_is_float(x.dtype)) return ctx.error("X must have a float type");
  if (!x.rank_known) {
    ctx.set_output_unknown_rank(0, x.dtype);
    return Status::ok();
  }
  const size_t r = x.shape.size();
  if (r < 2) return ctx.error("X must have rank 2 or more ([..., M, M])");
  if (x.shape[r - 1] >= 0 && x.shape[r - 2] >= 0 && x.shape[r - 1] != x.shape[r - 2]) {
    return ctx.error("the last two dims of X must be equal, got " + shape_str(x.shape));
  }
  ctx.set_output(0, x.dtype, Shape(x.shape.begin(), x.shape.end() - 2));
  return Status::ok();
}

double determinant(std::vector<double>& a, int64_t n) {
  double det = 1;
  for (int64_t c = 0; c < n; ++c) {
    int64_t pivot = c;
    for (int64_t r = c + 1; r < n; ++r) {
      if (std::abs(a[r * n + c]) > std::abs(a[pivot * n + c])) pivot = r;
    }
    if (a[pivot * n + c] == 0) return 0;
    if (pivot != c) {
      for (int64_t k = 0; k < n; ++k) std::swap(a[c * n + k], a[pivot * n + k]);
      det = -det;
    }
    det *= a[c * n + c];
    for (int64_t r = c + 1; r < n; ++r) {
      const double f = a[r * n + c] / a[c * n + c];
      for (int64_t k = c; k < n; ++k) a[r * n + k] -= f * a[c * n + k];
    }
  }
  return det;
}

Status run(RunContext& ctx) {
  KILN_RETURN_IF_ERROR(require_inputs(ctx, 1));
  const Tensor& x = ctx.input(0);
  if (x.rank() < 2 || x.dim(x.rank() - 1) != x.dim(x.rank() - 2)) {
    return ctx.error("X must be [..., M, M], got " + shape_str(x.shape()));
  }
  const int64_t n = x.dim(x.rank() - 1);
  Tensor& y = ctx.allocate_output(0, x.dtype(), Shape(x.shape().begin(), x.shape().end() - 2));
  return visit_float_dtype(x.dtype(), "Det", [&]<typename T>() {
    std::vector<double> a(static_cast<size_t>(n * n));
    for (int64_t m = 0; m < y.numel(); ++m) {
      const T* src = x.data<T>() + m * n * n;
      for (int64_t i = 0; i < n * n; ++i) a[i] = static_cast<double>(src[i]);
      y.data<T>()[m] = static_cast<T>(determinant(a, n));
    }
    return Status::ok();
  });
}

}  // namespace

KILN_REGISTER_OP({.op_type = "Det", .domain = "", .infer = infer, .reference = run});

}  // namespace kiln::ops
