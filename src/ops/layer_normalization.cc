// LayerNormalization (opset 17): normalises over the dims from `axis` on, computing in stash_type
// (float by default, even for double inputs), then y = normalized * Scale + B with Scale and B
// broadcast to the normalised shape. Optional outputs Mean and InvStdDev have shape
// X.shape[:axis] + [1] * (rank - axis) and the stash type.
#include <cmath>
#include <vector>

#include "ops/norm_util.h"
#include "ops/required_inputs.h"
#include "ops/util.h"

namespace kiln::ops {
namespace {

Expected<DataType> stash_dtype(const ir::Node& node) {
  const int64_t code = node.attr_int("stash_type", 1);
  switch (code) {
    case 1:
      return DataType::kFloat32;
    case 10:
      return DataType::kFloat16;
    case 11:
      return DataType::kFloat64;
    case 16:
      return DataType::kBFloat16;
    default:
      break;
  }
  return invalid_argument(node.describe() + ": stash_type " + std::to_string(code) +
                          " is not a float type (1 = float, 10 = float16, 11 = double, 16 = bfloat16)");
}

Shape stats_shape(const Shape& x, int64_t axis) {
  Shape s(x.begin(), x.begin() + axis);
  s.resize(x.size(), 1);
  return s;
}

Status infer(InferContext& ctx) {
  const TensorType& x = ctx.input(0);
  if (ctx.num_inputs() < 2) return ctx.error("expects inputs X and Scale");
  if (!dtype_is_float(x.dtype)) return ctx.error("X must have a float type");
  KILN_ASSIGN_OR_RETURN(DataType stash, stash_dtype(ctx.node));
  KILN_RETURN_IF_ERROR(infer_same_as_input0(ctx));
  for (size_t i = 1; i < ctx.num_outputs() && i < 3; ++i) {
    if (!x.rank_known) {
      ctx.set_output_unknown_rank(i, stash);
      continue;
    }
    KILN_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(ctx.node, ctx.node.attr_int("axis", -1),
                                                       static_cast<int64_t>(x.shape.size())));
    ctx.set_output(i, stash, stats_shape(x.shape, axis));
  }
  return Status::ok();
}

Status run(RunContext& ctx) {
  KILN_RETURN_IF_ERROR(require_inputs(ctx, 2));
  const Tensor& x = ctx.input(0);
  KILN_ASSIGN_OR_RETURN(DataType stash, stash_dtype(ctx.node));
  KILN_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(ctx.node, ctx.node.attr_int("axis", -1), x.rank()));
  const Shape norm_shape(x.shape().begin() + axis, x.shape().end());
  const int64_t inner = shape_numel(norm_shape), outer = inner == 0 ? 0 : x.numel() / inner;
  // Scale and B broadcast (unidirectionally) to the normalised shape.
  std::vector<int64_t> scale_at, bias_at;
  for (size_t i = 1; i < 3; ++i) {
    if (!ctx.has_input(i)) continue;
    const Shape& s = ctx.input(i).shape();
    KILN_ASSIGN_OR_RETURN(Shape b, broadcast_shapes(ctx.node, {norm_shape, s}));
    if (b != norm_shape) {
      return ctx.error(std::string(i == 1 ? "Scale" : "B") + " (" + shape_str(s) +
                       ") does not broadcast to the normalised shape " + shape_str(norm_shape));
    }
    (i == 1 ? scale_at : bias_at) = broadcast_offsets(s, norm_shape);
  }
  const double epsilon = ctx.node.attr_float("epsilon", 1e-5f);
  std::vector<double> scale(static_cast<size_t>(ctx.input(1).numel())), bias;
  for (int64_t i = 0; i < ctx.input(1).numel(); ++i) scale[i] = ctx.input(1).as_double(i);
  if (ctx.has_input(2)) {
    bias.resize(static_cast<size_t>(ctx.input(2).numel()));
    for (int64_t i = 0; i < ctx.input(2).numel(); ++i) bias[i] = ctx.input(2).as_double(i);
  }
  std::vector<double> means(static_cast<size_t>(outer)), inv_std(static_cast<size_t>(outer));
  Tensor& y = ctx.allocate_output(0, x.dtype(), x.shape());
  KILN_RETURN_IF_ERROR(visit_float_dtype(x.dtype(), "LayerNormalization", [&]<typename T>() -> Status {
    auto normalize = [&]<typename Acc>() {
      std::vector<Acc> row(static_cast<size_t>(inner));
      for (int64_t o = 0; o < outer; ++o) {
        const T* src = x.data<T>() + o * inner;
        T* dst = y.data<T>() + o * inner;
        for (int64_t i = 0; i < inner; ++i) row[i] = static_cast<Acc>(src[i]);
        Acc mean, var;
        mean_and_variance(row.data(), inner, mean, var);
        const Acc inv = Acc(1) / std::sqrt(var + static_cast<Acc>(epsilon));
        for (int64_t i = 0; i < inner; ++i) {
          Acc v = (row[i] - mean) * inv * static_cast<Acc>(scale[scale_at[i]]);
          if (!bias.empty()) v += static_cast<Acc>(bias[bias_at[i]]);
          dst[i] = static_cast<T>(v);
        }
        means[o] = mean, inv_std[o] = inv;
      }
    };
    if (stash == DataType::kFloat64) {
      normalize.template operator()<double>();
    } else {
      normalize.template operator()<float>();
    }
    return Status::ok();
  }));
  const Shape stats = stats_shape(x.shape(), axis);
  if (ctx.output_requested(1)) ctx.set_output(1, Tensor::from_doubles(stash, stats, means));
  if (ctx.output_requested(2)) ctx.set_output(2, Tensor::from_doubles(stash, stats, inv_std));
  return Status::ok();
}

}  // namespace

KILN_REGISTER_OP({.op_type = "LayerNormalization", .domain = "", .infer = infer, .reference = run});

}  // namespace kiln::ops
