// DFT: the discrete Fourier transform of real ([..., 1]) or complex ([..., 2]) input along
// `axis` (an attribute, default 1, before opset 20; optional input 2, default -2, from it),
// zero-padded or truncated to dft_length (input 1). inverse scales by 1/n; onesided keeps the
// first n/2 + 1 bins. The output is complex [..., 2].
#include <algorithm>
#include <optional>

#include "ops/dft_util.h"
#include "ops/kernel_util.h"
#include "ops/util.h"

namespace kiln::ops {
namespace {

// The axis, or nullopt while its input value is unknown.
Expected<std::optional<int64_t>> axis_of(const ir::Node& node, int64_t rank, const Tensor* axis_value,
                                         bool axis_given) {
  int64_t axis = node.attr_int("axis", 1);
  if (node.opset >= 20) {
    axis = -2;
    if (axis_given) {
      if (axis_value == nullptr) return std::optional<int64_t>();
      if (axis_value->numel() != 1) return invalid_argument(node.describe() + ": axis must be a scalar");
      axis = axis_value->as_int64(0);
    }
  }
  // The last dim holds real/imaginary parts and is not a signal axis.
  const int64_t a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a > rank - 2) {
    return invalid_argument(node.describe() + ": axis " + std::to_string(axis) +
                            " is out of range for rank " + std::to_string(rank));
  }
  return std::optional<int64_t>(a);
}

// The transform length: dft_length when given, else the axis' dim. -1 while unknown.
Expected<int64_t> length_of(const ir::Node& node, int64_t dim, const Tensor* len_value, bool len_given) {
  if (!len_given) return dim;
  if (len_value == nullptr) return int64_t{-1};
  if (len_value->numel() != 1) return invalid_argument(node.describe() + ": dft_length must be a scalar");
  const int64_t n = len_value->as_int64(0);
  if (n <= 0) return invalid_argument(node.describe() + ": dft_length must be positive");
  return n;
}

Status infer(InferContext& ctx) {
  const DataType dt = ctx.dtype(0);
  if (!dtype_is_float(dt))
    return ctx.error(std::string("input type ") + dtype_name(dt) + " is not supported (use a float type)");
  if (!ctx.input(0).rank_known) {
    ctx.set_output_unknown_rank(0, dt);
    return Status::ok();
  }
  Shape s = ctx.shape(0);
  const int64_t rank = static_cast<int64_t>(s.size());
  if (rank < 2 || (s.back() >= 0 && s.back() != 1 && s.back() != 2)) {
    return ctx.error("the input must be [..., 1] (real) or [..., 2] (complex); got " + shape_str(s));
  }
  s.back() = 2;
  KILN_ASSIGN_OR_RETURN(auto axis, axis_of(ctx.node, rank, ctx.value(2), ctx.has_input(2)));
  if (!axis) {
    ctx.set_output(0, dt, Shape(s.size(), -1));
    ctx.outputs[0].shape.back() = 2;
    return Status::ok();
  }
  KILN_ASSIGN_OR_RETURN(int64_t n, length_of(ctx.node, s[*axis], ctx.value(1), ctx.has_input(1)));
  const bool onesided = ctx.node.attr_int("onesided", 0) != 0;
  s[*axis] = n < 0 ? -1 : (onesided ? n / 2 + 1 : n);
  ctx.set_output(0, dt, s);
  return Status::ok();
}

Status run(RunContext& ctx) {
  const Tensor& x = ctx.input(0);
  const int64_t rank = x.rank();
  if (rank < 2 || (x.shape().back() != 1 && x.shape().back() != 2)) {
    return ctx.error("the input must be [..., 1] (real) or [..., 2] (complex); got " + shape_str(x.shape()));
  }
  KILN_ASSIGN_OR_RETURN(
      auto axis_opt, axis_of(ctx.node, rank, ctx.has_input(2) ? &ctx.input(2) : nullptr, ctx.has_input(2)));
  const int64_t axis = *axis_opt;
  KILN_ASSIGN_OR_RETURN(int64_t n, length_of(ctx.node, x.dim(axis),
                                             ctx.has_input(1) ? &ctx.input(1) : nullptr, ctx.has_input(1)));
  if (n <= 0) return ctx.error("the transform length must be positive");
  const bool inverse = ctx.node.attr_int("inverse", 0) != 0;
  const bool onesided = ctx.node.attr_int("onesided", 0) != 0;
  const int64_t parts = x.shape().back(), in_len = x.dim(axis), out_len = onesided ? n / 2 + 1 : n;
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < axis; ++i) outer *= x.dim(i);
  for (int64_t i = axis + 1; i < rank - 1; ++i) inner *= x.dim(i);
  Shape out_shape = x.shape();
  out_shape[axis] = out_len;
  out_shape.back() = 2;
  Tensor& y = ctx.allocate_output(0, x.dtype(), out_shape);
  return visit_float_dtype(x.dtype(), "DFT", [&]<typename T>() {
    const T* src = x.data<T>();
    T* dst = y.data<T>();
    const auto w = dft_twiddles(n, inverse);
    const double scale = inverse ? 1.0 / static_cast<double>(n) : 1.0;
    std::vector<std::complex<double>> row(static_cast<size_t>(std::min(in_len, n))),
        out(static_cast<size_t>(out_len));
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t i = 0; i < inner; ++i) {
        for (size_t j = 0; j < row.size(); ++j) {
          const T* e = src + ((o * in_len + static_cast<int64_t>(j)) * inner + i) * parts;
          row[j] = {static_cast<double>(e[0]), parts == 2 ? static_cast<double>(e[1]) : 0.0};
        }
        dft_row(row, w, scale, out);
        for (int64_t k = 0; k < out_len; ++k) {
          T* e = dst + ((o * out_len + k) * inner + i) * 2;
          e[0] = static_cast<T>(out[k].real());
          e[1] = static_cast<T>(out[k].imag());
        }
      }
    }
    return Status::ok();
  });
}

Cost cost(const ir::Node& node, std::span<const TensorType> in, std::span<const TensorType> out) {
  // A complex multiply-add (8 flops) per output bin per input sample along the axis.
  double n = 0;
  const int64_t rank = static_cast<int64_t>(in[0].shape.size());
  if (in[0].rank_known && rank >= 2) {
    int64_t axis = node.opset >= 20 ? -2 : node.attr_int("axis", 1);
    if (axis < 0) axis += rank;
    if (axis >= 0 && axis < rank - 1) n = static_cast<double>(std::max<int64_t>(in[0].shape[axis], 0));
  }
  return {.flops = 8 * n * type_numel(out[0]) / 2, .bytes = io_bytes(in, out)};
}

}  // namespace

KILN_REGISTER_OP({.op_type = "DFT", .infer = infer, .reference = run, .cost = cost});

}  // namespace kiln::ops
