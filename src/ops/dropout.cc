// Dropout. At inference (the default, and always before opset 12) the output is the input and the
// optional mask is all true. Opsets before 7 had an is_test attribute defaulting to training; kiln
// is an inference runtime and old exporters left it unset, so it is ignored. In training mode
// (opset 12's training_mode input) each element is kept with probability 1 - ratio and scaled by
// 1 / (1 - ratio); the random stream is kiln's own (std::mt19937_64 seeded by `seed`, else 0), so
// it cannot match another runtime's draws. The mask is bool since opset 10, x's type before.
#include <random>

#include "ops/elementwise.h"

namespace kiln::ops {
namespace {

constexpr TypeSet kTypes = TypeSet::kFloat;

DataType mask_dtype(const ir::Node& node, DataType x) { return node.opset >= 10 ? DataType::kBool : x; }

Status infer(InferContext& ctx) {
  if (!ctx.has_input(0)) return ctx.error("input 0 is missing");
  KILN_RETURN_IF_ERROR(check_type(ctx.node, 0, ctx.dtype(0), kTypes));
  KILN_RETURN_IF_ERROR(infer_same_as_input0(ctx));
  if (ctx.num_outputs() > 1) {
    const TensorType& x = ctx.input(0);
    if (x.rank_known)
      ctx.set_output(1, mask_dtype(ctx.node, x.dtype), x.shape);
    else
      ctx.set_output_unknown_rank(1, mask_dtype(ctx.node, x.dtype));
  }
  return Status::ok();
}

struct Mode {
  bool training = false;
  double ratio = 0.5;
};

Expected<Mode> mode(const RunContext& ctx) {
  Mode m;
  const ir::Node& node = ctx.node;
  if (node.opset < 12) {
    m.ratio = node.attr_float("ratio", 0.5f);
  } else {
    if (ctx.has_input(1)) {
      if (ctx.input(1).numel() != 1) return ctx.error("ratio (input 1) must be a scalar");
      m.ratio = ctx.input(1).as_double(0);
    }
    if (ctx.has_input(2)) {
      if (ctx.input(2).numel() != 1) return ctx.error("training_mode (input 2) must be a scalar");
      m.training = ctx.input(2).as_double(0) != 0;
    }
  }
  if (m.training && !(m.ratio >= 0 && m.ratio < 1)) {
    return ctx.error("ratio is " + std::to_string(m.ratio) + "; in training mode it must be in [0, 1)");
  }
  return m;
}

Status run(RunContext& ctx) {
  if (!ctx.has_input(0)) return ctx.error("input 0 is missing");
  const Tensor& x = ctx.input(0);
  KILN_RETURN_IF_ERROR(check_type(ctx.node, 0, x.dtype(), kTypes));
  KILN_ASSIGN_OR_RETURN(const Mode m, mode(ctx));
  const bool want_mask = ctx.output_requested(1);
  if (!m.training || m.ratio == 0) {
    ctx.set_output(0, x);
    if (want_mask) {
      Tensor& mask = ctx.allocate_output(1, mask_dtype(ctx.node, x.dtype()), x.shape());
      visit_dtype(mask.dtype(), [&]<typename M>() {
        for (int64_t i = 0; i < mask.numel(); ++i) mask.data<M>()[i] = static_cast<M>(1.0f);
      });
    }
    return Status::ok();
  }
  Tensor& y = ctx.allocate_output(0, x.dtype(), x.shape());
  Tensor mask(mask_dtype(ctx.node, x.dtype()), x.shape());
  std::mt19937_64 rng(static_cast<uint64_t>(ctx.node.attr_int("seed", 0)));
  std::bernoulli_distribution keep(1.0 - m.ratio);
  const double scale = 1.0 / (1.0 - m.ratio);
  visit_dtype(x.dtype(), [&]<typename T>() {
    if constexpr (type_in_set<T>(kTypes)) {
      using C = compute_t<T>;
      visit_dtype(mask.dtype(), [&]<typename M>() {
        for (int64_t i = 0; i < x.numel(); ++i) {
          const bool k = keep(rng);
          y.data<T>()[i] =
              k ? static_cast<T>(static_cast<C>(x.data<T>()[i]) * static_cast<C>(scale)) : T(0.0f);
          mask.data<M>()[i] = static_cast<M>(k ? 1.0f : 0.0f);
        }
      });
    }
  });
  if (want_mask) ctx.set_output(1, mask);
  return Status::ok();
}

}  // namespace

KILN_REGISTER_OP({.op_type = "Dropout", .infer = infer, .reference = run, .cost = copy_cost});

}  // namespace kiln::ops
