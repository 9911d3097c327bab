// TopK: the k largest (largest=1, default) or smallest elements along `axis` (default -1) and
// their int64 indices. Ties go to the smaller index first. k is attribute `k` before opset 10 and
// input 1 from then on. Results are always sorted (sorted=0 allows any order, so sorted is valid).
#include <algorithm>
#include <cmath>
#include <numeric>

#include "ops/data_movement.h"

namespace kiln::ops {
namespace {

std::optional<int64_t> k_of(const InferContext& ctx) {
  if (ctx.node.opset < 10) return ctx.node.attr_int("k", 0);
  std::optional<std::vector<int64_t>> k = const_ints(ctx, 1);
  if (!k || k->size() != 1) return std::nullopt;
  return (*k)[0];
}

Status infer(InferContext& ctx) {
  const DataType dt = ctx.dtype(0);
  if (ctx.node.opset >= 10 && ctx.value(1) && ctx.value(1)->numel() != 1) {
    return ctx.error("K must hold one value");
  }
  if (!ctx.input(0).rank_known) {
    ctx.set_output_unknown_rank(0, dt);
    ctx.set_output_unknown_rank(1, DataType::kInt64);
    return Status::ok();
  }
  Shape out = ctx.shape(0);
  KILN_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(ctx.node, ctx.node.attr_int("axis", -1),
                                                     static_cast<int64_t>(out.size())));
  const std::optional<int64_t> k = k_of(ctx);
  if (k && (*k < 0 || (out[axis] >= 0 && *k > out[axis]))) {
    return ctx.error("k = " + std::to_string(*k) + " must be in [0, " + std::to_string(out[axis]) + "]");
  }
  out[axis] = k ? *k : -1;
  ctx.set_output(0, dt, out);
  ctx.set_output(1, DataType::kInt64, out);
  return Status::ok();
}

Status run(RunContext& ctx) {
  const Tensor& x = ctx.input(0);
  KILN_ASSIGN_OR_RETURN(Shape out_shape, inferred_shape(ctx, infer));
  const size_t axis = static_cast<size_t>(*normalize_axis(ctx.node, ctx.node.attr_int("axis", -1), x.rank()));
  const bool largest = ctx.node.attr_int("largest", 1) != 0;
  const int64_t k = out_shape[axis];
  const int64_t n = x.shape()[axis];
  const int64_t outer = dims_product(x.shape(), 0, axis);
  const int64_t inner = dims_product(x.shape(), axis + 1, x.shape().size());
  Tensor& values = ctx.allocate_output(0, x.dtype(), out_shape);
  int64_t* indices = ctx.allocate_output(1, DataType::kInt64, out_shape).data<int64_t>();
  visit_dtype(x.dtype(), [&]<typename T>() {
    const T* src = x.data<T>();
    T* dst = values.data<T>();
    std::vector<int64_t> order(static_cast<size_t>(n));
    // Compare half types as float, the others as themselves (int64 does not fit a double).
    using Key = std::conditional_t<std::is_same_v<T, float16> || std::is_same_v<T, bfloat16>, float, T>;
    std::vector<Key> line(static_cast<size_t>(n));
    // A strict order: by value (descending when largest), then by index. NaN counts as largest.
    auto before = [&](int64_t a, int64_t b) {
      const Key va = line[a], vb = line[b];
      if constexpr (std::is_floating_point_v<Key>) {
        if (std::isnan(va) || std::isnan(vb)) {
          if (std::isnan(va) && std::isnan(vb)) return a < b;
          return largest ? std::isnan(va) : std::isnan(vb);
        }
      }
      if (va != vb) return largest ? vb < va : va < vb;
      return a < b;
    };
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t i = 0; i < inner; ++i) {
        const int64_t base = o * n * inner + i;
        for (int64_t j = 0; j < n; ++j) line[j] = static_cast<Key>(src[base + j * inner]);
        std::iota(order.begin(), order.end(), 0);
        std::partial_sort(order.begin(), order.begin() + k, order.end(), before);
        const int64_t out_base = o * k * inner + i;
        for (int64_t j = 0; j < k; ++j) {
          dst[out_base + j * inner] = src[base + order[j] * inner];
          indices[out_base + j * inner] = order[j];
        }
      }
    }
  });
  return Status::ok();
}

Cost cost(const ir::Node& node, std::span<const TensorType> inputs, std::span<const TensorType> outputs) {
  Cost c = data_movement_cost(node, inputs, outputs);
  if (inputs[0].shape_known()) c.flops = static_cast<double>(shape_numel(inputs[0].shape));  // comparisons
  return c;
}

}  // namespace

KILN_REGISTER_OP({.op_type = "TopK", .infer = infer, .reference = run, .cost = cost});

}  // namespace kiln::ops
