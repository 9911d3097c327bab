// ConvTranspose: the adjoint of Conv (1-D to 3-D) with groups, strides, dilations, pads,
// output_padding, output_shape and auto_pad. The reference is GEMM + col2im (see conv_kernel.h).
#include "ops/blocked_gemm.h"
#include "ops/conv_kernel.h"
#include "ops/required_inputs.h"

namespace kiln::ops {
namespace {

struct TransposeAttrs {
  Window win;
  std::vector<int64_t> output_padding;
  std::vector<int64_t> output_shape;  // spatial dims, empty when absent
  int64_t group = 1;
};

Expected<TransposeAttrs> read_attrs(const ir::Node& node, size_t nspatial,
                                    const std::vector<int64_t>& kernel) {
  TransposeAttrs a;
  KILN_ASSIGN_OR_RETURN(a.win, read_window(node, nspatial, kernel));
  a.output_padding = node.attr_ints("output_padding", std::vector<int64_t>(nspatial, 0));
  a.output_shape = node.attr_ints("output_shape");
  a.group = node.attr_int("group", 1);
  // Some exporters write output_shape with the batch and channel dims too.
  if (a.output_shape.size() == nspatial + 2)
    a.output_shape.erase(a.output_shape.begin(), a.output_shape.begin() + 2);
  if (a.output_padding.size() != nspatial || (!a.output_shape.empty() && a.output_shape.size() != nspatial)) {
    return invalid_argument(node.describe() +
                            ": output_padding and output_shape need one value per spatial dim (" +
                            std::to_string(nspatial) + ")");
  }
  for (size_t i = 0; i < nspatial; ++i) {
    if (a.output_padding[i] < 0 || (!a.output_shape.empty() && a.output_shape[i] < 1)) {
      return invalid_argument(node.describe() + ": output_padding must be >= 0 and output_shape >= 1");
    }
  }
  if (a.group < 1) return invalid_argument(node.describe() + ": group must be at least 1");
  return a;
}

// Output spatial dims (-1 where the input dim is unknown); resolves pads from output_shape or auto_pad.
Expected<Shape> output_dims(const ir::Node& node, const Shape& in, TransposeAttrs& a) {
  const size_t n = in.size();
  Window& w = a.win;
  Shape out(n, -1);
  const bool same = w.auto_pad == "SAME_UPPER" || w.auto_pad == "SAME_LOWER";
  for (size_t i = 0; i < n; ++i) {
    if (!a.output_shape.empty() || same) {
      out[i] = !a.output_shape.empty() ? a.output_shape[i] : (in[i] < 0 ? -1 : in[i] * w.strides[i]);
      if (in[i] < 0) continue;
      const int64_t total = w.strides[i] * (in[i] - 1) + a.output_padding[i] + w.extent(i) - out[i];
      // SAME_UPPER puts the odd pad at the end; SAME_LOWER and an explicit output_shape at the start.
      w.pads[i] = w.auto_pad == "SAME_UPPER" ? floor_div(total, 2) : total - floor_div(total, 2);
      w.pads[i + n] = total - w.pads[i];
    } else if (in[i] >= 0) {
      out[i] = w.strides[i] * (in[i] - 1) + a.output_padding[i] + w.extent(i) - w.pads[i] - w.pads[i + n];
    }
    if (out[i] == 0 || out[i] < -1) {
      return invalid_argument(node.describe() + ": the pads leave an empty output along spatial dim " +
                              std::to_string(i));
    }
  }
  return out;
}

Status infer(InferContext& ctx) {
  if (ctx.num_inputs() < 2) return ctx.error("expects inputs X and W");
  const TensorType& x = ctx.input(0);
  const TensorType& w = ctx.input(1);
  if (!dtype_is_float(x.dtype)) {
    return ctx.error(std::string("X has type ") + dtype_name(x.dtype) + ", expected a float type");
  }
  if (!x.rank_known && !w.rank_known) {
    ctx.set_output_unknown_rank(0, x.dtype);
    return Status::ok();
  }
  const size_t rank = x.rank_known ? x.shape.size() : w.shape.size();
  if (rank < 3 || (x.rank_known && w.rank_known && w.shape.size() != rank)) {
    return ctx.error("X and W must have the same rank, at least 3");
  }
  const size_t nspatial = rank - 2;
  std::vector<int64_t> kernel;
  if (w.shape_known()) kernel.assign(w.shape.begin() + 2, w.shape.end());
  const int64_t group = ctx.node.attr_int("group", 1);
  Shape out(rank, -1);
  if (x.rank_known) out[0] = x.shape[0];
  if (w.rank_known && w.shape[1] >= 0) out[1] = w.shape[1] * group;
  if (ctx.node.has_attr("kernel_shape") || !kernel.empty()) {
    KILN_ASSIGN_OR_RETURN(TransposeAttrs a, read_attrs(ctx.node, nspatial, kernel));
    Shape in_spatial(nspatial, -1);
    if (x.rank_known) in_spatial.assign(x.shape.begin() + 2, x.shape.end());
    KILN_ASSIGN_OR_RETURN(Shape out_spatial, output_dims(ctx.node, in_spatial, a));
    std::copy(out_spatial.begin(), out_spatial.end(), out.begin() + 2);
  }
  ctx.set_output(0, x.dtype, out);
  return Status::ok();
}

Status run(RunContext& ctx) {
  KILN_RETURN_IF_ERROR(require_inputs(ctx, 2));
  const Tensor& x = ctx.input(0);
  const Tensor& w = ctx.input(1);
  if (x.rank() < 3 || w.rank() != x.rank()) {
    return ctx.error("X (" + shape_str(x.shape()) + ") and W (" + shape_str(w.shape()) +
                     ") must have the same rank, at least 3");
  }
  if (w.dtype() != x.dtype() || !dtype_is_float(x.dtype()))
    return ctx.error("X and W must have the same float type");
  const size_t nspatial = static_cast<size_t>(x.rank()) - 2;
  KILN_ASSIGN_OR_RETURN(TransposeAttrs a,
                        read_attrs(ctx.node, nspatial, Shape(w.shape().begin() + 2, w.shape().end())));
  for (size_t i = 0; i < nspatial; ++i) {
    if (a.win.kernel[i] != w.dim(static_cast<int64_t>(i) + 2)) {
      return ctx.error("kernel_shape does not match W's spatial dims");
    }
  }
  ConvShape s{x.dim(0), x.dim(1), w.dim(1) * a.group, a.group};
  if (w.dim(0) != s.in_channels || s.in_channels % a.group != 0) {
    return ctx.error("X has " + std::to_string(s.in_channels) + " channels and W is " + shape_str(w.shape()) +
                     ": W must be [C, M / group, kernel...] with C divisible by group " +
                     std::to_string(a.group));
  }
  const bool has_bias = ctx.has_input(2);
  if (has_bias && ctx.input(2).numel() != s.out_channels) {
    return ctx.error("B has " + std::to_string(ctx.input(2).numel()) + " values, expected " +
                     std::to_string(s.out_channels) + " (one per output channel)");
  }
  const Shape in_spatial(x.shape().begin() + 2, x.shape().end());
  KILN_ASSIGN_OR_RETURN(Shape out_spatial, output_dims(ctx.node, in_spatial, a));
  KILN_ASSIGN_OR_RETURN(Geometry3d g, make_geometry_3d(ctx.node, a.win, out_spatial, in_spatial));

  Shape out_shape{s.batch, s.out_channels};
  out_shape.insert(out_shape.end(), out_spatial.begin(), out_spatial.end());
  const DataType ct = gemm_compute_dtype(x.dtype());
  const Tensor xc = as_dtype(x, ct), wc = as_dtype(w, ct);
  Tensor y(ct, out_shape);
  auto compute = [&]<typename T>() {
    T* dst = y.data<T>();
    conv_transpose_forward<T>(g, s, xc.data<T>(), wc.data<T>(), dst);
    if (!has_bias) return;
    const Tensor bc = as_dtype(ctx.input(2), ct);
    const int64_t plane = g.image_size();
    for (int64_t b = 0; b < s.batch; ++b) {
      for (int64_t c = 0; c < s.out_channels; ++c) {
        T* p = dst + (b * s.out_channels + c) * plane;
        for (int64_t i = 0; i < plane; ++i) p[i] += bc.data<T>()[c];
      }
    }
  };
  if (ct == DataType::kFloat64) {
    compute.operator()<double>();
  } else {
    compute.operator()<float>();
  }
  ctx.set_output(0, as_dtype(y, x.dtype()));
  return Status::ok();
}

// Every input element meets every weight of its group once: 2 * |X| * (M / group) * prod(kernel).
Cost cost(const ir::Node& node, std::span<const TensorType> in, std::span<const TensorType> out) {
  Cost c;
  for (const auto& t : in) c.bytes += tensor_bytes(t);
  for (const auto& t : out) c.bytes += tensor_bytes(t);
  if (in.size() < 2 || !in[1].shape_known()) return c;
  double macs_per_input = 1;
  for (size_t i = 1; i < in[1].shape.size(); ++i) macs_per_input *= static_cast<double>(in[1].shape[i]);
  c.flops = 2 * known_numel(in[0]) * macs_per_input;
  if (in.size() > 2 && in[2].dtype != DataType::kUndefined && !out.empty()) c.flops += known_numel(out[0]);
  return c;
}

}  // namespace

KILN_REGISTER_OP({.op_type = "ConvTranspose", .domain = "", .infer = infer, .reference = run, .cost = cost});

}  // namespace kiln::ops
