// Size: the number of elements of the input, as an int64 scalar.
#include "ops/elementwise.h"

namespace kiln::ops {
namespace {

Status infer(InferContext& ctx) {
  if (!ctx.has_input(0)) return ctx.error("input 0 is missing");
  ctx.set_output(0, DataType::kInt64, {});
  return Status::ok();
}

Status run(RunContext& ctx) {
  if (!ctx.has_input(0)) return ctx.error("input 0 is missing");
  ctx.set_output(0, Tensor::from_int64s({}, {ctx.input(0).numel()}));
  return Status::ok();
}

}  // namespace

KILN_REGISTER_OP({.op_type = "Size", .infer = infer, .reference = run, .cost = output_only_cost});

}  // namespace kiln::ops
