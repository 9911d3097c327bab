// Resize: resamples a tensor to sizes or by scales with nearest, linear or cubic interpolation.
// Opset 10 takes (X, scales) and behaves like Upsample; opset 11+ takes (X, roi, scales, sizes)
// with the coordinate modes of resize_util.h; opset 18 adds axes, keep_aspect_ratio_policy and
// antialias. An empty scales (or sizes) input counts as absent.
#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "ops/kernel_util.h"
#include "ops/resize_util.h"
#include "ops/util.h"

namespace kiln::ops {
namespace {

// An optional input as infer or run sees it: absent, empty, present with an unknown value, or known.
struct Operand {
  bool present = false;
  bool empty = false;
  const Tensor* value = nullptr;
};

Operand operand_of(const InferContext& ctx, size_t i) {
  Operand o;
  if (!ctx.has_input(i)) return o;
  o.present = true;
  o.value = ctx.value(i);
  if (o.value != nullptr) {
    o.empty = o.value->numel() == 0;
  } else if (ctx.input(i).rank_known) {
    for (int64_t d : ctx.shape(i)) o.empty = o.empty || d == 0;
  }
  return o;
}

Operand operand_of(const RunContext& ctx, size_t i) {
  Operand o;
  if (!ctx.has_input(i)) return o;
  o.present = true;
  o.value = &ctx.input(i);
  o.empty = o.value->numel() == 0;
  return o;
}

struct Target {
  Shape out;
  std::vector<double> scales;  // what each dim's coordinate transform divides by
  std::vector<double> roi;     // starts then ends, per dim
};

// The output shape and scales; nullopt while input values they depend on are unknown. Unknown
// input dims give -1 output dims (and NaN scales, which only infer sees).
Expected<std::optional<Target>> target_of(const ir::Node& node, const Shape& in, const Operand& roi,
                                          const Operand& scales, const Operand& sizes) {
  const int64_t rank = static_cast<int64_t>(in.size());
  std::vector<int64_t> axes;
  if (node.opset >= 18 && node.has_attr("axes")) {
    std::vector<bool> seen(static_cast<size_t>(rank), false);
    for (int64_t a : node.attr_ints("axes")) {
      KILN_ASSIGN_OR_RETURN(int64_t n, normalize_axis(node, a, rank));
      if (seen[n]) return invalid_argument(node.describe() + ": axis " + std::to_string(a) + " is repeated");
      seen[n] = true;
      axes.push_back(n);
    }
  } else {
    for (int64_t i = 0; i < rank; ++i) axes.push_back(i);
  }
  const size_t k = axes.size();
  const bool use_scales = scales.present && !scales.empty;
  const bool use_sizes = sizes.present && !sizes.empty;
  if (use_scales && use_sizes) return invalid_argument(node.describe() + ": give scales or sizes, not both");
  if (!use_scales && !use_sizes)
    return invalid_argument(node.describe() + ": one of scales and sizes must be given");
  const Operand& given = use_scales ? scales : sizes;
  if (given.value == nullptr) return std::optional<Target>();
  if (static_cast<size_t>(given.value->numel()) != k) {
    return invalid_argument(node.describe() + ": " + (use_scales ? "scales" : "sizes") + " has " +
                            std::to_string(given.value->numel()) + " values for " + std::to_string(k) +
                            " axes");
  }
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Target t{in, std::vector<double>(static_cast<size_t>(rank), 1.0), {}};
  if (use_scales) {
    for (size_t i = 0; i < k; ++i) {
      // The scale is a float: its double value times the dim, floored, as the reference does.
      const double s = static_cast<float>(given.value->as_double(static_cast<int64_t>(i)));
      if (!(s > 0)) return invalid_argument(node.describe() + ": scales must be positive");
      const int64_t d = axes[i];
      t.scales[d] = s;
      t.out[d] = in[d] < 0 ? -1 : static_cast<int64_t>(std::floor(s * static_cast<double>(in[d])));
    }
  } else {
    const std::vector<int64_t> sz = given.value->to_int64_vector();
    for (int64_t v : sz) {
      if (v < 0) return invalid_argument(node.describe() + ": sizes must not be negative");
    }
    const std::string policy =
        node.opset >= 18 ? node.attr_string("keep_aspect_ratio_policy", "stretch") : "stretch";
    if (policy == "stretch") {
      for (size_t i = 0; i < k; ++i) {
        const int64_t d = axes[i];
        t.out[d] = sz[i];
        t.scales[d] = in[d] <= 0 ? nan : static_cast<double>(sz[i]) / static_cast<double>(in[d]);
      }
    } else if (policy == "not_larger" || policy == "not_smaller") {
      // One scale for all axes, the largest that fits in (or smallest that covers) the sizes.
      double s = policy == "not_larger" ? std::numeric_limits<double>::infinity() : 0.0;
      bool known = true;
      for (size_t i = 0; i < k; ++i) {
        const int64_t d = axes[i];
        if (in[d] <= 0) {
          known = false;
          continue;
        }
        const double r = static_cast<double>(sz[i]) / static_cast<double>(in[d]);
        s = policy == "not_larger" ? std::min(s, r) : std::max(s, r);
      }
      for (size_t i = 0; i < k; ++i) {
        const int64_t d = axes[i];
        t.scales[d] = known ? s : nan;
        t.out[d] = known ? static_cast<int64_t>(std::floor(s * static_cast<double>(in[d]) + 0.5)) : -1;
      }
    } else {
      return invalid_argument(node.describe() + ": keep_aspect_ratio_policy '" + policy +
                              "' is not one of stretch, not_larger, not_smaller");
    }
  }
  if (roi.present && !roi.empty && roi.value != nullptr) {
    if (static_cast<size_t>(roi.value->numel()) != 2 * k) {
      return invalid_argument(node.describe() + ": roi has " + std::to_string(roi.value->numel()) +
                              " values; it needs a start and an end for each of " + std::to_string(k) +
                              " axes");
    }
    t.roi.assign(static_cast<size_t>(2 * rank), 0.0);
    for (int64_t d = 0; d < rank; ++d) t.roi[rank + d] = 1.0;
    for (size_t i = 0; i < k; ++i) {
      t.roi[axes[i]] = roi.value->as_double(static_cast<int64_t>(i));
      t.roi[rank + axes[i]] = roi.value->as_double(static_cast<int64_t>(k + i));
    }
  }
  return std::optional<Target>(std::move(t));
}

// Input indices of roi, scales and sizes (roi and sizes only from opset 11).
constexpr size_t kNone = ~size_t{0};
size_t roi_input(const ir::Node& node) { return node.opset >= 11 ? 1 : kNone; }
size_t scales_input(const ir::Node& node) { return node.opset >= 11 ? 2 : 1; }
size_t sizes_input(const ir::Node& node) { return node.opset >= 11 ? 3 : kNone; }

template <typename Ctx>
Operand operand_at(const Ctx& ctx, size_t i) {
  return i == kNone ? Operand{} : operand_of(ctx, i);
}

Status infer(InferContext& ctx) {
  KILN_RETURN_IF_ERROR(read_resize_spec(ctx.node, ctx.node.opset >= 11).status());
  const DataType dt = ctx.dtype(0);
  if (!ctx.input(0).rank_known) {
    ctx.set_output_unknown_rank(0, dt);
    return Status::ok();
  }
  const Shape& in = ctx.shape(0);
  KILN_ASSIGN_OR_RETURN(
      auto t, target_of(ctx.node, in, operand_at(ctx, roi_input(ctx.node)),
                        operand_at(ctx, scales_input(ctx.node)), operand_at(ctx, sizes_input(ctx.node))));
  ctx.set_output(0, dt, t ? t->out : Shape(in.size(), -1));
  return Status::ok();
}

Status run(RunContext& ctx) {
  const Tensor& x = ctx.input(0);
  KILN_ASSIGN_OR_RETURN(ResizeSpec spec, read_resize_spec(ctx.node, ctx.node.opset >= 11));
  KILN_ASSIGN_OR_RETURN(
      auto t, target_of(ctx.node, x.shape(), operand_at(ctx, roi_input(ctx.node)),
                        operand_at(ctx, scales_input(ctx.node)), operand_at(ctx, sizes_input(ctx.node))));
  if (!t) return ctx.error("the scales or sizes input has no value");
  if (spec.coord == CoordMode::kTfCropAndResize && t->roi.empty()) {
    return ctx.error("coordinate_transformation_mode 'tf_crop_and_resize' needs the roi input");
  }
  Tensor& y = ctx.allocate_output(0, x.dtype(), t->out);
  return resize_tensor(ctx.node, spec, x, t->scales, t->roi, y);
}

Cost cost(const ir::Node& node, std::span<const TensorType> in, std::span<const TensorType> out) {
  const std::string mode = node.attr_string("mode", "nearest");
  const double taps = mode == "nearest" ? 1 : (mode == "cubic" ? 8 : 4);
  return {.flops = taps * type_numel(out[0]), .bytes = type_bytes(in[0]) + type_bytes(out[0])};
}

}  // namespace

KILN_REGISTER_OP({.op_type = "Resize", .infer = infer, .reference = run, .cost = cost});

}  // namespace kiln::ops
