// If: runs then_branch or else_branch on the enclosing scope's values; outputs are the branch's.
#include "ops/control_flow_util.h"

namespace kiln::ops {
namespace {

Status infer(InferContext& ctx) {
  const ir::Graph* then_g = ctx.node.attr_graph("then_branch");
  if (!then_g || !ctx.node.attr_graph("else_branch"))
    return ctx.error("needs then_branch and else_branch graphs");
  infer_from_subgraph_outputs(ctx, then_g, 0, 0, ctx.num_outputs(), false);
  return Status::ok();
}

Status run(RunContext& ctx) {
  const Tensor& cond = ctx.input(0);
  if (cond.numel() != 1)
    return ctx.error("cond must hold exactly one element, got shape " + shape_str(cond.shape()));
  const ir::Graph* branch = ctx.node.attr_graph(cond.as_double(0) != 0 ? "then_branch" : "else_branch");
  if (!branch) return ctx.error("missing branch graph");
  KILN_ASSIGN_OR_RETURN(std::vector<Tensor> outs, ctx.subgraphs()->run(*branch, {}));
  if (outs.size() != ctx.num_outputs()) {
    return ctx.error("branch produced " + std::to_string(outs.size()) + " outputs, the node has " +
                     std::to_string(ctx.num_outputs()));
  }
  for (size_t i = 0; i < outs.size(); ++i) ctx.set_output(i, std::move(outs[i]));
  return Status::ok();
}

}  // namespace

KILN_REGISTER_OP({.op_type = "If", .infer = infer, .reference = run});

}  // namespace kiln::ops
