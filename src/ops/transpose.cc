// Transpose: output dim d is input dim perm[d]; perm defaults to reversing the dims.
#include "ops/data_movement.h"

namespace kiln::ops {

Expected<std::vector<int64_t>> transpose_permutation(const ir::Node& node, size_t rank) {
  std::vector<int64_t> perm = node.attr_ints("perm");
  if (!node.has_attr("perm")) {
    for (size_t i = 0; i < rank; ++i) perm.push_back(static_cast<int64_t>(rank - 1 - i));
    return perm;
  }
  if (perm.size() != rank) {
    return invalid_argument(node.describe() + ": perm has " + std::to_string(perm.size()) +
                            " entries but the input has rank " + std::to_string(rank));
  }
  std::vector<bool> seen(rank, false);
  for (int64_t p : perm) {
    if (p < 0 || p >= static_cast<int64_t>(rank) || seen[p]) {
      return invalid_argument(node.describe() + ": perm is not a permutation of 0.." +
                              std::to_string(static_cast<int64_t>(rank) - 1));
    }
    seen[p] = true;
  }
  return perm;
}

namespace {

Status infer(InferContext& ctx) {
  const DataType dt = ctx.dtype(0);
  if (!ctx.input(0).rank_known) {
    if (ctx.node.has_attr("perm")) {
      ctx.set_output(0, dt, Shape(ctx.node.attr_ints("perm").size(), -1));
    } else {
      ctx.set_output_unknown_rank(0, dt);
    }
    return Status::ok();
  }
  const Shape& in = ctx.shape(0);
  KILN_ASSIGN_OR_RETURN(std::vector<int64_t> perm, transpose_permutation(ctx.node, in.size()));
  Shape out(in.size());
  for (size_t d = 0; d < in.size(); ++d) out[d] = in[perm[d]];
  ctx.set_output(0, dt, std::move(out));
  return Status::ok();
}

Status run(RunContext& ctx) {
  const Tensor& x = ctx.input(0);
  KILN_ASSIGN_OR_RETURN(std::vector<int64_t> perm, transpose_permutation(ctx.node, x.shape().size()));
  ctx.set_output(0, transpose_tensor(x, perm));
  return Status::ok();
}

}  // namespace

KILN_REGISTER_OP({.op_type = "Transpose", .infer = infer, .reference = run, .cost = data_movement_cost});

}  // namespace kiln::ops
