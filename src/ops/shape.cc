// Shape: the input's dims as a 1-D int64 tensor. Since opset 15, `start` and `end` select a range
// of axes; negative values count from the back and both clamp to [0, rank].
#include <algorithm>

#include "ops/elementwise.h"

namespace kiln::ops {
namespace {

struct AxisRange {
  int64_t start, end;  // 0 <= start, end <= rank; empty when start >= end
  int64_t size() const { return std::max<int64_t>(0, end - start); }
};

AxisRange axis_range(const ir::Node& node, int64_t rank) {
  auto clamp = [&](int64_t a) { return std::clamp(a < 0 ? a + rank : a, int64_t{0}, rank); };
  return {clamp(node.attr_int("start", 0)), clamp(node.attr_int("end", rank))};
}

Status infer(InferContext& ctx) {
  if (!ctx.has_input(0)) return ctx.error("input 0 is missing");
  const TensorType& x = ctx.input(0);
  const int64_t n = x.rank_known ? axis_range(ctx.node, static_cast<int64_t>(x.shape.size())).size() : -1;
  ctx.set_output(0, DataType::kInt64, {n});
  return Status::ok();
}

Status run(RunContext& ctx) {
  if (!ctx.has_input(0)) return ctx.error("input 0 is missing");
  const Tensor& x = ctx.input(0);
  const AxisRange r = axis_range(ctx.node, x.rank());
  std::vector<int64_t> dims(x.shape().begin() + r.start, x.shape().begin() + r.start + r.size());
  ctx.set_output(0, Tensor::from_int64s({r.size()}, dims));
  return Status::ok();
}

}  // namespace

KILN_REGISTER_OP({.op_type = "Shape", .infer = infer, .reference = run, .cost = output_only_cost});

}  // namespace kiln::ops
