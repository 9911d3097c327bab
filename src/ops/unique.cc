// Unique: the distinct elements (or, with `axis`, distinct slices along axis) of X, sorted
// ascending (sorted=1, default) or in order of first occurrence; plus, for each, the index of its
// first occurrence and its count, and for each element (slice) of X the index of its match in Y.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "ops/data_movement.h"

namespace kiln::ops {
namespace {

Status infer(InferContext& ctx) {
  const DataType dt = ctx.dtype(0);
  const bool has_axis = ctx.node.has_attr("axis");
  ctx.set_output(1, DataType::kInt64, {-1});
  ctx.set_output(3, DataType::kInt64, {-1});
  if (!ctx.input(0).rank_known) {
    ctx.set_output(2, DataType::kInt64, {-1});
    if (has_axis) {
      ctx.set_output_unknown_rank(0, dt);
    } else {
      ctx.set_output(0, dt, {-1});
    }
    return Status::ok();
  }
  const Shape& in = ctx.shape(0);
  if (!has_axis) {
    ctx.set_output(0, dt, {-1});
    ctx.set_output(2, DataType::kInt64, {ctx.input(0).shape_known() ? shape_numel(in) : -1});
    return Status::ok();
  }
  KILN_ASSIGN_OR_RETURN(
      int64_t axis, normalize_axis(ctx.node, ctx.node.attr_int("axis", 0), static_cast<int64_t>(in.size())));
  Shape y = in;
  y[axis] = -1;
  ctx.set_output(0, dt, std::move(y));
  ctx.set_output(2, DataType::kInt64, {in[axis]});
  return Status::ok();
}

// X seen as [outer, n, inner]: slice a is the outer * inner elements x[o, a, i], in (o, i) order.
struct Slices {
  int64_t outer = 1, n = 0, inner = 1;
};

// Slice indices ordered by slice value (ties by index); starts_group marks where a run of equal
// slices begins.
template <typename T>
std::vector<int64_t> sorted_slices(const T* x, const Slices& s, std::vector<bool>& starts_group) {
  auto key = [](T v) {
    if constexpr (std::is_same_v<T, float16> || std::is_same_v<T, bfloat16>) {
      return static_cast<float>(v);
    } else {
      return v;
    }
  };
  // <0, 0, >0 as slice a sorts before, with or after slice b.
  auto compare = [&](int64_t a, int64_t b) {
    for (int64_t o = 0; o < s.outer; ++o) {
      const T* pa = x + (o * s.n + a) * s.inner;
      const T* pb = x + (o * s.n + b) * s.inner;
      for (int64_t i = 0; i < s.inner; ++i) {
        const auto a_key = key(pa[i]), b_key = key(pb[i]);
        if constexpr (std::is_floating_point_v<decltype(a_key)>) {
          // NaNs sort last and equal each other, so the order stays a strict weak order.
          if (std::isnan(a_key) || std::isnan(b_key)) {
            if (std::isnan(a_key) != std::isnan(b_key)) return std::isnan(a_key) ? 1 : -1;
            continue;
          }
        }
        if (a_key < b_key) return -1;
        if (b_key < a_key) return 1;
      }
    }
    return 0;
  };
  std::vector<int64_t> order(static_cast<size_t>(s.n));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return compare(a, b) < 0; });
  starts_group.assign(order.size(), false);
  for (size_t k = 0; k < order.size(); ++k) starts_group[k] = k == 0 || compare(order[k - 1], order[k]) != 0;
  return order;
}

Status run(RunContext& ctx) {
  const Tensor& x = ctx.input(0);
  Slices s;
  s.n = x.numel();
  size_t axis = 0;
  const bool has_axis = ctx.node.has_attr("axis");
  if (has_axis) {
    KILN_ASSIGN_OR_RETURN(int64_t a, normalize_axis(ctx.node, ctx.node.attr_int("axis", 0), x.rank()));
    axis = static_cast<size_t>(a);
    s.outer = dims_product(x.shape(), 0, axis);
    s.n = x.shape()[axis];
    s.inner = dims_product(x.shape(), axis + 1, x.shape().size());
  }
  std::vector<bool> starts_group;
  const std::vector<int64_t> order =
      visit_dtype(x.dtype(), [&]<typename T>() { return sorted_slices<T>(x.data<T>(), s, starts_group); });

  // Groups of equal slices: first occurrence (the smallest index, as the sort is stable), count.
  std::vector<int64_t> first, count, group_of(static_cast<size_t>(s.n));
  for (size_t k = 0; k < order.size(); ++k) {
    if (starts_group[k]) {
      first.push_back(order[k]);
      count.push_back(0);
    }
    ++count.back();
    group_of[order[k]] = static_cast<int64_t>(first.size()) - 1;
  }
  // Output position of each group: sorted order as is, else by first occurrence.
  const int64_t u = static_cast<int64_t>(first.size());
  std::vector<int64_t> groups(static_cast<size_t>(u));
  std::iota(groups.begin(), groups.end(), 0);
  if (ctx.node.attr_int("sorted", 1) == 0) {
    std::sort(groups.begin(), groups.end(), [&](int64_t a, int64_t b) { return first[a] < first[b]; });
  }
  std::vector<int64_t> position(static_cast<size_t>(u));
  for (int64_t p = 0; p < u; ++p) position[groups[p]] = p;

  Shape y_shape = has_axis ? x.shape() : Shape{u};
  y_shape[axis] = u;
  Tensor& y = ctx.allocate_output(0, x.dtype(), y_shape);
  const size_t slice_bytes = static_cast<size_t>(s.inner) * dtype_size(x.dtype());
  const auto* src = static_cast<const std::byte*>(x.raw());
  auto* dst = static_cast<std::byte*>(y.raw());
  for (int64_t o = 0; o < s.outer; ++o) {
    for (int64_t p = 0; p < u; ++p) {
      std::memcpy(dst + (o * u + p) * slice_bytes, src + (o * s.n + first[groups[p]]) * slice_bytes,
                  slice_bytes);
    }
  }
  if (ctx.output_requested(1)) {
    int64_t* out = ctx.allocate_output(1, DataType::kInt64, {u}).data<int64_t>();
    for (int64_t p = 0; p < u; ++p) out[p] = first[groups[p]];
  }
  if (ctx.output_requested(2)) {
    int64_t* out = ctx.allocate_output(2, DataType::kInt64, {s.n}).data<int64_t>();
    for (int64_t a = 0; a < s.n; ++a) out[a] = position[group_of[a]];
  }
  if (ctx.output_requested(3)) {
    int64_t* out = ctx.allocate_output(3, DataType::kInt64, {u}).data<int64_t>();
    for (int64_t p = 0; p < u; ++p) out[p] = count[groups[p]];
  }
  return Status::ok();
}

}  // namespace

KILN_REGISTER_OP({.op_type = "Unique", .infer = infer, .reference = run});

}  // namespace kiln::ops
