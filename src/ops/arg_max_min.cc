// ArgMax and ArgMin, one mechanism: the int64 index of the first (or, with select_last_index, the
// last) extreme element along `axis`; keepdims keeps that axis as size 1.
#include <type_traits>

#include "ops/kernel_util.h"
#include "ops/util.h"

namespace kiln::ops {
namespace {

bool is_max(const ir::Node& node) { return node.op_type == "ArgMax"; }

Shape out_shape(const Shape& in, int64_t axis, bool keepdims) {
  Shape out;
  for (int64_t i = 0; i < static_cast<int64_t>(in.size()); ++i) {
    if (i != axis) {
      out.push_back(in[i]);
    } else if (keepdims) {
      out.push_back(1);
    }
  }
  return out;
}

Status infer(InferContext& ctx) {
  const DataType dt = ctx.dtype(0);
  if (dt == DataType::kBool || dt == DataType::kUndefined) {
    return ctx.error(std::string("input type ") + dtype_name(dt) + " is not supported (use a numeric type)");
  }
  const bool keepdims = ctx.node.attr_int("keepdims", 1) != 0;
  if (!ctx.input(0).rank_known) {
    ctx.set_output_unknown_rank(0, DataType::kInt64);
    return Status::ok();
  }
  const Shape& in = ctx.shape(0);
  KILN_ASSIGN_OR_RETURN(
      int64_t axis, normalize_axis(ctx.node, ctx.node.attr_int("axis", 0), static_cast<int64_t>(in.size())));
  ctx.set_output(0, DataType::kInt64, out_shape(in, axis, keepdims));
  return Status::ok();
}

Status run(RunContext& ctx) {
  const Tensor& x = ctx.input(0);
  KILN_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(ctx.node, ctx.node.attr_int("axis", 0), x.rank()));
  const bool keepdims = ctx.node.attr_int("keepdims", 1) != 0;
  const bool last = ctx.node.attr_int("select_last_index", 0) != 0;
  const bool want_max = is_max(ctx.node);
  const int64_t len = x.dim(axis);
  if (len == 0) return ctx.error("cannot take the index of an extreme along an empty axis");
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < axis; ++i) outer *= x.dim(i);
  for (int64_t i = axis + 1; i < x.rank(); ++i) inner *= x.dim(i);
  Tensor& y = ctx.allocate_output(0, DataType::kInt64, out_shape(x.shape(), axis, keepdims));
  int64_t* dst = y.data<int64_t>();
  return visit_dtype(x.dtype(), [&]<typename T>() {
    using C = std::conditional_t<std::is_integral_v<T>, T, float_acc_t<T>>;
    const T* src = x.data<T>();
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t i = 0; i < inner; ++i) {
        const T* row = src + o * len * inner + i;
        int64_t best = 0;
        C best_v = static_cast<C>(row[0]);
        for (int64_t k = 1; k < len; ++k) {
          const C v = static_cast<C>(row[k * inner]);
          const bool better =
              want_max ? (last ? v >= best_v : v > best_v) : (last ? v <= best_v : v < best_v);
          if (better) {
            best = k;
            best_v = v;
          }
        }
        dst[o * inner + i] = best;
      }
    }
    return Status::ok();
  });
}

Cost cost(const ir::Node&, std::span<const TensorType> in, std::span<const TensorType> out) {
  return {.flops = type_numel(in[0]), .bytes = type_bytes(in[0]) + type_bytes(out[0])};
}

}  // namespace

KILN_REGISTER_OP({.op_type = "ArgMax", .infer = infer, .reference = run, .cost = cost});
KILN_REGISTER_OP({.op_type = "ArgMin", .infer = infer, .reference = run, .cost = cost});

}  // namespace kiln::ops
