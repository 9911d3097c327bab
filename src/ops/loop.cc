// Loop: body(iteration, cond, carried...) -> (cond, carried..., scan outputs...). Runs while the
// trip count and the condition allow; scan outputs are stacked along a new leading axis.
#include "ops/control_flow_util.h"

namespace kiln::ops {
namespace {

Status infer(InferContext& ctx) {
  const ir::Graph* body = ctx.node.attr_graph("body");
  if (!body) return ctx.error("needs a body graph");
  if (body->outputs.empty()) return ctx.error("body has no outputs (it must return the condition first)");
  infer_from_subgraph_outputs(ctx, body, 1, 0, ctx.num_outputs(), false);
  return Status::ok();
}

Status run(RunContext& ctx) {
  const ir::Graph* body = ctx.node.attr_graph("body");
  if (!body) return ctx.error("needs a body graph");
  const size_t n_carried = ctx.num_inputs() >= 2 ? ctx.num_inputs() - 2 : 0;
  if (body->inputs.size() != n_carried + 2) {
    return ctx.error("body takes " + std::to_string(body->inputs.size()) +
                     " inputs; expected iteration, condition and " + std::to_string(n_carried) +
                     " loop-carried values");
  }
  if (body->outputs.size() < n_carried + 1)
    return ctx.error("body returns fewer outputs than loop-carried values");
  const size_t n_scan = body->outputs.size() - 1 - n_carried;
  int64_t max_trips = ctx.has_input(0) ? ctx.input(0).as_int64(0) : INT64_MAX;
  bool cond = ctx.has_input(1) ? ctx.input(1).as_double(0) != 0 : true;
  std::vector<Tensor> carried;
  for (size_t i = 0; i < n_carried; ++i) carried.push_back(ctx.input(2 + i));
  std::vector<std::vector<Tensor>> scans(n_scan);
  for (int64_t it = 0; it < max_trips && cond; ++it) {
    std::vector<Tensor> in;
    in.push_back(Tensor::from_int64s({}, {it}));
    Tensor c(DataType::kBool, {});
    c.data<bool>()[0] = cond;
    in.push_back(c);
    for (const Tensor& t : carried) in.push_back(t);
    KILN_ASSIGN_OR_RETURN(std::vector<Tensor> out, ctx.subgraphs()->run(*body, in));
    cond = out[0].as_double(0) != 0;
    for (size_t i = 0; i < n_carried; ++i) carried[i] = out[1 + i];
    for (size_t k = 0; k < n_scan; ++k) {
      Tensor& s = out[1 + n_carried + k];
      if (!scans[k].empty() && s.shape() != scans[k][0].shape()) {
        return ctx.error("scan output " + std::to_string(k) + " changes shape between iterations (" +
                         shape_str(scans[k][0].shape()) + " then " + shape_str(s.shape()) + ")");
      }
      scans[k].push_back(s);
    }
  }
  for (size_t i = 0; i < n_carried && i < ctx.num_outputs(); ++i) ctx.set_output(i, carried[i]);
  for (size_t k = 0; k < n_scan && n_carried + k < ctx.num_outputs(); ++k) {
    const ir::Value* decl = body->outputs[1 + n_carried + k];
    ctx.set_output(n_carried + k, stack_along(scans[k], 0, false, decl->dtype, {}));
  }
  return Status::ok();
}

}  // namespace

KILN_REGISTER_OP({.op_type = "Loop", .infer = infer, .reference = run});

}  // namespace kiln::ops
