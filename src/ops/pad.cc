// Pad: grows (or, with negative pads, crops) each dim by pads[begin] and pads[end], filling with a
// constant or by reflecting, repeating the edge or wrapping around. pads is [x1_begin, x2_begin,
// ..., x1_end, x2_end] over all dims or, from opset 18, over `axes` (input 3). Before opset 11
// pads and the constant are attributes (`paddings` at opset 1); from 11 they are inputs 1 and 2.
#include <algorithm>
#include <cstring>

#include "ops/data_movement.h"

namespace kiln::ops {
namespace {

enum class Mode { kConstant, kReflect, kEdge, kWrap };

Expected<Mode> pad_mode(const ir::Node& node) {
  const std::string m = node.attr_string("mode", "constant");
  if (m == "constant") return Mode::kConstant;
  if (m == "reflect") return Mode::kReflect;
  if (m == "edge") return Mode::kEdge;
  if (m == "wrap") return Mode::kWrap;
  return invalid_argument(node.describe() + ": mode '" + m + "' is not one of constant, reflect, edge, wrap");
}

// Per-dim (begin, end) pads of a rank-`rank` input, or nullopt when not known yet.
Expected<std::optional<std::vector<std::pair<int64_t, int64_t>>>> dim_pads(const InferContext& ctx,
                                                                           int64_t rank) {
  using Result = std::optional<std::vector<std::pair<int64_t, int64_t>>>;
  std::optional<std::vector<int64_t>> pads;
  std::optional<std::vector<int64_t>> axes;
  if (ctx.node.opset < 11) {
    pads = ctx.node.attr_ints(ctx.node.opset < 2 ? "paddings" : "pads");
  } else {
    pads = const_ints(ctx, 1);
    if (ctx.has_input(3)) {
      axes = const_ints(ctx, 3);
      if (!axes) return Result{};
    }
  }
  if (!pads) return Result{};
  std::vector<int64_t> dims(static_cast<size_t>(rank));
  for (int64_t d = 0; d < rank; ++d) dims[d] = d;
  if (axes) {
    KILN_ASSIGN_OR_RETURN(dims, normalize_axes(ctx.node, *axes, rank));
  }
  if (pads->size() != 2 * dims.size()) {
    return invalid_argument(ctx.node.describe() + ": pads has " + std::to_string(pads->size()) +
                            " values; expected " + std::to_string(2 * dims.size()) +
                            " (begin and end per axis)");
  }
  std::vector<std::pair<int64_t, int64_t>> out(static_cast<size_t>(rank), {0, 0});
  for (size_t i = 0; i < dims.size(); ++i) out[dims[i]] = {(*pads)[i], (*pads)[i + dims.size()]};
  return Result{std::move(out)};
}

Status infer(InferContext& ctx) {
  const DataType dt = ctx.dtype(0);
  KILN_RETURN_IF_ERROR(pad_mode(ctx.node).status());
  if (!ctx.input(0).rank_known) {
    ctx.set_output_unknown_rank(0, dt);
    return Status::ok();
  }
  const Shape& in = ctx.shape(0);
  KILN_ASSIGN_OR_RETURN(auto pads, dim_pads(ctx, static_cast<int64_t>(in.size())));
  if (!pads) {
    ctx.set_output(0, dt, Shape(in.size(), -1));
    return Status::ok();
  }
  Shape out(in.size());
  for (size_t d = 0; d < in.size(); ++d) {
    out[d] = in[d] < 0 ? -1 : in[d] + (*pads)[d].first + (*pads)[d].second;
    if (in[d] >= 0 && out[d] < 0) {
      return ctx.error("pads crop dim " + std::to_string(d) + " (" + std::to_string(in[d]) + ") below zero");
    }
  }
  ctx.set_output(0, dt, std::move(out));
  return Status::ok();
}

// The source index along one dim for output index i, or -1 for the constant. Negative pads crop
// first, so reflect/edge/wrap act on the cropped range [lo, lo + n).
int64_t source_index(Mode mode, int64_t i, int64_t begin, int64_t lo, int64_t n) {
  int64_t j = i - begin;
  if (j >= 0 && j < n) return lo + j;
  switch (mode) {
    case Mode::kConstant:
      return -1;
    case Mode::kEdge:
      j = std::clamp<int64_t>(j, 0, n - 1);
      break;
    case Mode::kWrap:
      j = ((j % n) + n) % n;
      break;
    case Mode::kReflect: {
      if (n == 1) {
        j = 0;
        break;
      }
      const int64_t period = 2 * (n - 1);
      j = ((j % period) + period) % period;
      if (j >= n) j = period - j;
      break;
    }
  }
  return lo + j;
}

Status run(RunContext& ctx) {
  const Tensor& x = ctx.input(0);
  KILN_ASSIGN_OR_RETURN(Mode mode, pad_mode(ctx.node));
  KILN_ASSIGN_OR_RETURN(Shape out_shape, inferred_shape(ctx, infer));
  const InferContext ictx = known_infer_context(ctx);
  KILN_ASSIGN_OR_RETURN(auto pads, dim_pads(ictx, x.rank()));

  Tensor fill(x.dtype(), {});
  if (ctx.node.opset < 11) {
    fill = Tensor::from_doubles(x.dtype(), {}, {ctx.node.attr_float("value", 0.0f)});
  } else if (ctx.has_input(2) && ctx.input(2).numel() > 0) {
    if (ctx.input(2).dtype() != x.dtype()) return ctx.error("constant_value must have the data's type");
    std::memcpy(fill.raw(), ctx.input(2).raw(), dtype_size(x.dtype()));
  }

  const std::vector<int64_t> strides = strides_of(x.shape());
  std::vector<std::vector<int64_t>> offsets(out_shape.size());
  for (size_t d = 0; d < out_shape.size(); ++d) {
    const auto [begin, end] = (*pads)[d];
    const int64_t lo = std::max<int64_t>(0, -begin);
    const int64_t n = x.shape()[d] - lo - std::max<int64_t>(0, -end);
    if (n <= 0 && out_shape[d] > 0 && mode != Mode::kConstant) {
      return ctx.error("cannot pad dim " + std::to_string(d) + " in this mode: it has no elements");
    }
    for (int64_t i = 0; i < out_shape[d]; ++i) {
      const int64_t s = source_index(mode, i, std::max<int64_t>(0, begin), lo, n);
      offsets[d].push_back(s < 0 ? -1 : s * strides[d]);
    }
  }
  Tensor& y = ctx.allocate_output(0, x.dtype(), out_shape);
  copy_by_axis_offsets(x.raw(), y.raw(), out_shape, offsets, dtype_size(x.dtype()), fill.raw());
  return Status::ok();
}

}  // namespace

KILN_REGISTER_OP({.op_type = "Pad", .infer = infer, .reference = run, .cost = data_movement_cost});

}  // namespace kiln::ops
