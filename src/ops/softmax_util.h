// What Softmax, LogSoftmax and Hardmax share: which elements form one row, and a driver that
// gathers each row into a contiguous buffer, lets the op transform it, and scatters it back.
// Before opset 13 the input is flattened to 2-D at `axis` (default 1), so a row is everything from
// `axis` on; from opset 13 a row runs along the single axis `axis` (default -1).
#pragma once

#include <vector>

#include "ops/kernel_util.h"
#include "ops/util.h"

namespace kiln::ops {

struct SoftmaxRows {
  int64_t outer = 1;  // rows before the axis
  int64_t len = 1;    // elements of a row
  int64_t inner = 1;  // stride between a row's elements (rows after the axis)
};

inline Expected<SoftmaxRows> softmax_rows(const ir::Node& node, const Shape& shape) {
  const int64_t rank = static_cast<int64_t>(shape.size());
  const bool flatten = node.opset < 13;
  const int64_t axis_attr = node.attr_int("axis", flatten ? 1 : -1);
  SoftmaxRows r;
  if (flatten) {
    // The 2-D view [prod(shape[:axis]), prod(shape[axis:])] allows axis == rank.
    int64_t a = axis_attr < 0 ? axis_attr + rank : axis_attr;
    if (a < 0 || a > rank) {
      return invalid_argument(node.describe() + ": axis " + std::to_string(axis_attr) +
                              " is out of range for rank " + std::to_string(rank));
    }
    for (int64_t i = 0; i < a; ++i) r.outer *= shape[i];
    for (int64_t i = a; i < rank; ++i) r.len *= shape[i];
    return r;
  }
  KILN_ASSIGN_OR_RETURN(int64_t a, normalize_axis(node, axis_attr, rank));
  for (int64_t i = 0; i < a; ++i) r.outer *= shape[i];
  r.len = shape[a];
  for (int64_t i = a + 1; i < rank; ++i) r.inner *= shape[i];
  return r;
}

/// infer for the three ops: the output is the input's type and shape once the axis checks out.
inline Status infer_softmax_like(InferContext& ctx) {
  if (!dtype_is_float(ctx.dtype(0))) {
    return ctx.error(std::string("input type ") + dtype_name(ctx.dtype(0)) +
                     " is not supported (use a float type)");
  }
  if (ctx.input(0).rank_known) KILN_RETURN_IF_ERROR(softmax_rows(ctx.node, ctx.shape(0)).status());
  return infer_same_as_input0(ctx);
}

/// Runs `row(const A* in, A* out, int64_t len)` over every row of input 0 into output 0, with A the
/// accumulation type of the element type.
template <typename RowFn>
Status run_softmax_like(RunContext& ctx, const char* what, RowFn row) {
  const Tensor& x = ctx.input(0);
  KILN_ASSIGN_OR_RETURN(SoftmaxRows r, softmax_rows(ctx.node, x.shape()));
  Tensor& y = ctx.allocate_output(0, x.dtype(), x.shape());
  return visit_float_dtype(x.dtype(), what, [&]<typename T>() {
    using A = float_acc_t<T>;
    const T* src = x.data<T>();
    T* dst = y.data<T>();
    std::vector<A> in(static_cast<size_t>(r.len)), out(static_cast<size_t>(r.len));
    for (int64_t o = 0; o < r.outer; ++o) {
      for (int64_t i = 0; i < r.inner; ++i) {
        const int64_t base = o * r.len * r.inner + i;
        for (int64_t k = 0; k < r.len; ++k) in[k] = static_cast<A>(src[base + k * r.inner]);
        row(in.data(), out.data(), r.len);
        for (int64_t k = 0; k < r.len; ++k) dst[base + k * r.inner] = static_cast<T>(out[k]);
      }
    }
    return Status::ok();
  });
}

}  // namespace kiln::ops
