// Identity: the output is the input; the bytes are shared, not copied.
#include "ops/elementwise.h"

namespace kiln::ops {
namespace {

Status run(RunContext& ctx) {
  if (!ctx.has_input(0)) return ctx.error("input 0 is missing");
  ctx.set_output(0, ctx.input(0));
  return Status::ok();
}

Status infer(InferContext& ctx) {
  if (!ctx.has_input(0)) return ctx.error("input 0 is missing");
  return infer_same_as_input0(ctx);
}

}  // namespace

KILN_REGISTER_OP({.op_type = "Identity", .infer = infer, .reference = run, .cost = zero_cost, .memory = Memory::kView});

}  // namespace kiln::ops
