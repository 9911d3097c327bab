// Reshape: the same elements seen with another shape. In the requested shape, -1 is inferred from
// the element count and 0 copies the input's dim at that index (or, with allowzero=1, means 0).
// The shape is attribute `shape` before opset 5 and input 1 from then on.
#include "ops/data_movement.h"

namespace kiln::ops {
namespace {

Expected<Shape> resolve_shape(const ir::Node& node, const TensorType& in, const std::vector<int64_t>& spec) {
  const bool allowzero = node.attr_int("allowzero", 0) != 0;
  Shape out(spec.size());
  int64_t infer_at = -1;
  int64_t known_product = 1;
  bool product_known = true;
  bool has_zero = false;
  for (size_t i = 0; i < spec.size(); ++i) {
    const int64_t v = spec[i];
    if (v == -1) {
      if (infer_at >= 0) return invalid_argument(node.describe() + ": the shape has more than one -1");
      infer_at = static_cast<int64_t>(i);
      continue;
    }
    if (v < -1) {
      return invalid_argument(node.describe() + ": shape dim " + std::to_string(v) + " is invalid");
    }
    if (v == 0 && !allowzero) {
      if (!in.rank_known) {
        out[i] = -1;
      } else if (i >= in.shape.size()) {
        return invalid_argument(node.describe() + ": shape dim " + std::to_string(i) +
                                " is 0 (copy the input dim) but the input has rank " +
                                std::to_string(in.shape.size()));
      } else {
        out[i] = in.shape[i];
      }
    } else {
      out[i] = v;
    }
    has_zero |= out[i] == 0;
    if (out[i] < 0) {
      product_known = false;
    } else {
      known_product *= out[i];
    }
  }
  const bool in_known = in.shape_known();
  const int64_t numel = in_known ? shape_numel(in.shape) : -1;
  if (infer_at >= 0) {
    if (allowzero && has_zero) {
      return invalid_argument(node.describe() + ": with allowzero=1 the shape cannot hold both 0 and -1");
    }
    out[infer_at] = -1;
    if (product_known && in_known) {
      if (known_product == 0) {
        if (numel != 0) {
          return invalid_argument(node.describe() + ": cannot infer the -1 dim next to a 0 dim");
        }
        out[infer_at] = 0;
      } else if (numel % known_product != 0) {
        return invalid_argument(node.describe() + ": cannot reshape " + shape_str(in.shape) + " into " +
                                shape_str(out));
      } else {
        out[infer_at] = numel / known_product;
      }
    }
  } else if (product_known && in_known && known_product != numel) {
    return invalid_argument(node.describe() + ": cannot reshape " + shape_str(in.shape) + " (" +
                            std::to_string(numel) + " elements) into " + shape_str(out));
  }
  return out;
}

Status infer(InferContext& ctx) {
  const DataType dt = ctx.dtype(0);
  std::optional<std::vector<int64_t>> spec;
  if (ctx.node.opset < 5) {
    if (!ctx.node.has_attr("shape")) return ctx.error("attribute 'shape' is required before opset 5");
    spec = ctx.node.attr_ints("shape");
  } else {
    spec = const_ints(ctx, 1);
  }
  if (!spec) {
    const bool len_known =
        ctx.has_input(1) && ctx.input(1).rank_known && ctx.shape(1).size() == 1 && ctx.shape(1)[0] >= 0;
    if (len_known) {
      ctx.set_output(0, dt, Shape(static_cast<size_t>(ctx.shape(1)[0]), -1));
    } else {
      ctx.set_output_unknown_rank(0, dt);
    }
    return Status::ok();
  }
  KILN_ASSIGN_OR_RETURN(Shape out, resolve_shape(ctx.node, ctx.input(0), *spec));
  ctx.set_output(0, dt, std::move(out));
  return Status::ok();
}

Status run(RunContext& ctx) {
  KILN_ASSIGN_OR_RETURN(Shape out, inferred_shape(ctx, infer));
  ctx.set_output(0, ctx.input(0).reshaped(std::move(out)));
  return Status::ok();
}

}  // namespace

KILN_REGISTER_OP({.op_type = "Reshape", .infer = infer, .reference = run, .cost = view_cost, .memory = Memory::kView});

}  // namespace kiln::ops
