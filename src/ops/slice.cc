// Slice: per listed axis, elements start, start + step, ... up to (not including) end. starts and
// ends are clamped to the dim (negative values count from the end); steps may be negative. The
// parameters are attributes before opset 10 and inputs (starts, ends, axes, steps) from then on.
#include <algorithm>

#include "ops/data_movement.h"

namespace kiln::ops {
namespace {

struct AxisSlice {
  int64_t start = 0;
  int64_t step = 1;
  int64_t len = -1;  // -1: the dim is not known
};

struct Params {
  std::optional<std::vector<int64_t>> starts, ends, axes, steps;
  bool axes_given = false, steps_given = false;
};

Params params(const InferContext& ctx) {
  Params p;
  if (ctx.node.opset < 10) {
    p.starts = ctx.node.attr_ints("starts");
    p.ends = ctx.node.attr_ints("ends");
    p.axes_given = ctx.node.has_attr("axes");
    if (p.axes_given) p.axes = ctx.node.attr_ints("axes");
    return p;
  }
  p.starts = const_ints(ctx, 1);
  p.ends = const_ints(ctx, 2);
  p.axes_given = ctx.has_input(3);
  if (p.axes_given) p.axes = const_ints(ctx, 3);
  p.steps_given = ctx.has_input(4);
  if (p.steps_given) p.steps = const_ints(ctx, 4);
  return p;
}

// Number of elements start, start + step, ... strictly before end (step > 0), without overflow.
int64_t count(int64_t start, int64_t end, int64_t step) {
  const int64_t span = end - start;
  return span <= 0 ? 0 : (span - 1) / step + 1;
}

// The slice of every dim of `shape`; dims of unknown size get len -1.
Expected<std::vector<AxisSlice>> plan(const ir::Node& node, const Shape& shape, const Params& p) {
  const std::vector<int64_t>& starts = *p.starts;
  const std::vector<int64_t>& ends = *p.ends;
  const size_t n = starts.size();
  if (ends.size() != n) {
    return invalid_argument(node.describe() + ": starts has " + std::to_string(n) + " values but ends has " +
                            std::to_string(ends.size()));
  }
  std::vector<int64_t> axes_in(n);
  for (size_t i = 0; i < n; ++i) axes_in[i] = static_cast<int64_t>(i);
  if (p.axes_given) axes_in = *p.axes;
  std::vector<int64_t> steps(n, 1);
  if (p.steps_given) steps = *p.steps;
  if (axes_in.size() != n || steps.size() != n) {
    return invalid_argument(node.describe() + ": starts, ends, axes and steps must have one length");
  }
  KILN_ASSIGN_OR_RETURN(std::vector<int64_t> axes,
                        normalize_axes(node, axes_in, static_cast<int64_t>(shape.size())));
  std::vector<AxisSlice> out(shape.size());
  for (size_t d = 0; d < shape.size(); ++d) out[d].len = shape[d];
  for (size_t i = 0; i < n; ++i) {
    const int64_t step = steps[i];
    if (step == 0) return invalid_argument(node.describe() + ": steps must not be 0");
    AxisSlice& s = out[axes[i]];
    s.step = step;
    const int64_t dim = shape[axes[i]];
    if (dim < 0) {
      s.len = -1;
      continue;
    }
    int64_t start = starts[i] < 0 ? starts[i] + dim : starts[i];
    int64_t end = ends[i] < 0 ? ends[i] + dim : ends[i];
    if (step > 0) {
      start = std::clamp<int64_t>(start, 0, dim);
      end = std::clamp<int64_t>(end, 0, dim);
      s.len = count(start, end, step);
    } else {
      start = std::clamp<int64_t>(start, 0, dim - 1);
      end = std::clamp<int64_t>(end, -1, dim - 1);
      s.len = dim == 0 ? 0 : count(end, start, step == INT64_MIN ? INT64_MAX : -step);
    }
    s.start = start;
  }
  return out;
}

Status infer(InferContext& ctx) {
  const DataType dt = ctx.dtype(0);
  if (!ctx.input(0).rank_known) {
    ctx.set_output_unknown_rank(0, dt);
    return Status::ok();
  }
  const Shape& in = ctx.shape(0);
  const Params p = params(ctx);
  const bool known = p.starts && p.ends && (!p.axes_given || p.axes) && (!p.steps_given || p.steps);
  if (!known) {  // only the sliced axes change, when they are known
    Shape out(in.size(), -1);
    if (p.axes) {
      out = in;
      KILN_ASSIGN_OR_RETURN(std::vector<int64_t> axes,
                            normalize_axes(ctx.node, *p.axes, static_cast<int64_t>(in.size())));
      for (int64_t a : axes) out[a] = -1;
    }
    ctx.set_output(0, dt, std::move(out));
    return Status::ok();
  }
  KILN_ASSIGN_OR_RETURN(std::vector<AxisSlice> slices, plan(ctx.node, in, p));
  Shape out(in.size());
  for (size_t d = 0; d < in.size(); ++d) out[d] = slices[d].len;
  ctx.set_output(0, dt, std::move(out));
  return Status::ok();
}

Status run(RunContext& ctx) {
  const Tensor& x = ctx.input(0);
  KILN_ASSIGN_OR_RETURN(std::vector<std::vector<int64_t>> offsets,
                        slice_offsets(known_infer_context(ctx), x.shape()));
  Shape out_shape(offsets.size());
  for (size_t d = 0; d < offsets.size(); ++d) out_shape[d] = static_cast<int64_t>(offsets[d].size());
  Tensor& y = ctx.allocate_output(0, x.dtype(), out_shape);
  copy_by_axis_offsets(x.raw(), y.raw(), out_shape, offsets, dtype_size(x.dtype()));
  return Status::ok();
}

}  // namespace

Expected<std::vector<std::vector<int64_t>>> slice_offsets(const InferContext& ctx, const Shape& shape) {
  const Params p = params(ctx);
  if (!p.starts || !p.ends || (p.axes_given && !p.axes) || (p.steps_given && !p.steps))
    return invalid_argument(ctx.node.describe() + ": starts, ends, axes and steps are not known");
  KILN_ASSIGN_OR_RETURN(std::vector<AxisSlice> slices, plan(ctx.node, shape, p));
  const std::vector<int64_t> strides = strides_of(shape);
  std::vector<std::vector<int64_t>> offsets(slices.size());
  for (size_t d = 0; d < slices.size(); ++d) {
    if (slices[d].len < 0) return invalid_argument(ctx.node.describe() + ": the input's shape is not known");
    for (int64_t i = 0; i < slices[d].len; ++i)
      offsets[d].push_back((slices[d].start + i * slices[d].step) * strides[d]);
  }
  return offsets;
}

KILN_REGISTER_OP({.op_type = "Slice", .infer = infer, .reference = run, .cost = data_movement_cost});

}  // namespace kiln::ops
