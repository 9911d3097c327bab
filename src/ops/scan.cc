// Scan (opset 9+): iterates the body over slices of the scan inputs, threading state values;
// per-iteration scan outputs are stacked along their output axes.
#include "ops/control_flow_util.h"
#include "ops/util.h"

namespace kiln::ops {
namespace {

Status infer(InferContext& ctx) {
  const ir::Graph* body = ctx.node.attr_graph("body");
  if (!body) return ctx.error("needs a body graph");
  if (ctx.node.opset < 9) return ctx.error("Scan before opset 9 (with a batch axis) is not supported");
  infer_from_subgraph_outputs(ctx, body, 0, 0, ctx.num_outputs(), false);
  return Status::ok();
}

Status run(RunContext& ctx) {
  const ir::Graph* body = ctx.node.attr_graph("body");
  if (!body) return ctx.error("needs a body graph");
  if (ctx.node.opset < 9) return ctx.error("Scan before opset 9 (with a batch axis) is not supported");
  const int64_t m = ctx.node.attr_int("num_scan_inputs", -1);
  if (m < 0 || static_cast<size_t>(m) > ctx.num_inputs())
    return ctx.error("num_scan_inputs is missing or too large");
  const size_t n_state = ctx.num_inputs() - static_cast<size_t>(m);
  if (body->outputs.size() < n_state) return ctx.error("body returns fewer outputs than state values");
  const size_t n_scan_out = body->outputs.size() - n_state;
  auto in_dirs = ctx.node.attr_ints("scan_input_directions", std::vector<int64_t>(m, 0));
  auto in_axes = ctx.node.attr_ints("scan_input_axes", std::vector<int64_t>(m, 0));
  auto out_dirs = ctx.node.attr_ints("scan_output_directions", std::vector<int64_t>(n_scan_out, 0));
  auto out_axes = ctx.node.attr_ints("scan_output_axes", std::vector<int64_t>(n_scan_out, 0));
  if (in_dirs.size() != static_cast<size_t>(m) || in_axes.size() != static_cast<size_t>(m) ||
      out_dirs.size() != n_scan_out || out_axes.size() != n_scan_out) {
    return ctx.error("scan direction/axis attributes do not match the number of scan inputs/outputs");
  }
  int64_t seq_len = -1;
  std::vector<int64_t> axes(m);
  for (int64_t j = 0; j < m; ++j) {
    const Tensor& x = ctx.input(n_state + j);
    KILN_ASSIGN_OR_RETURN(axes[j], normalize_axis(ctx.node, in_axes[j], x.rank()));
    int64_t len = x.dim(axes[j]);
    if (seq_len >= 0 && len != seq_len) return ctx.error("scan inputs have different sequence lengths");
    seq_len = len;
  }
  if (seq_len < 0) seq_len = 0;
  std::vector<Tensor> state;
  for (size_t i = 0; i < n_state; ++i) state.push_back(ctx.input(i));
  std::vector<std::vector<Tensor>> scans(n_scan_out);
  for (int64_t t = 0; t < seq_len; ++t) {
    std::vector<Tensor> in = state;
    for (int64_t j = 0; j < m; ++j) {
      int64_t idx = in_dirs[j] ? seq_len - 1 - t : t;
      in.push_back(slice_along(ctx.input(n_state + j), axes[j], idx));
    }
    KILN_ASSIGN_OR_RETURN(std::vector<Tensor> out, ctx.subgraphs()->run(*body, in));
    for (size_t i = 0; i < n_state; ++i) state[i] = out[i];
    for (size_t k = 0; k < n_scan_out; ++k) scans[k].push_back(out[n_state + k]);
  }
  for (size_t i = 0; i < n_state; ++i) ctx.set_output(i, state[i]);
  for (size_t k = 0; k < n_scan_out; ++k) {
    const ir::Value* decl = body->outputs[n_state + k];
    int64_t rank = (scans[k].empty() ? 0 : scans[k][0].rank()) + 1;
    KILN_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(ctx.node, out_axes[k], rank));
    ctx.set_output(n_state + k, stack_along(scans[k], axis, out_dirs[k] != 0, decl->dtype, {}));
  }
  return Status::ok();
}

}  // namespace

KILN_REGISTER_OP({.op_type = "Scan", .infer = infer, .reference = run});

}  // namespace kiln::ops
