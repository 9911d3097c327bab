// Gemm: Y = alpha * op(A) * op(B) + beta * C, op transposing when transA / transB is set, C
// (optional from opset 11) broadcast to [M, N]. f16 and bf16 compute in float.
#include "ops/blocked_gemm.h"
#include "ops/required_inputs.h"
#include "ops/spatial.h"
#include "ops/util.h"

namespace kiln::ops {
namespace {

bool supported(DataType t) {
  return dtype_is_float(t) || t == DataType::kInt32 || t == DataType::kInt64 || t == DataType::kUInt32 ||
         t == DataType::kUInt64;
}

// [M, N] from A's and B's shapes (dims may be -1).
Expected<Shape> output_shape(const ir::Node& node, const Shape& a, const Shape& b) {
  if (a.size() != 2 || b.size() != 2) {
    return invalid_argument(node.describe() + ": A (" + shape_str(a) + ") and B (" + shape_str(b) +
                            ") must be matrices");
  }
  const bool ta = node.attr_int("transA", 0) != 0, tb = node.attr_int("transB", 0) != 0;
  const int64_t ka = ta ? a[0] : a[1], kb = tb ? b[1] : b[0];
  if (ka >= 0 && kb >= 0 && ka != kb) {
    return invalid_argument(node.describe() + ": inner dims disagree: op(A) has K = " + std::to_string(ka) +
                            ", op(B) has K = " + std::to_string(kb) + " (check transA / transB)");
  }
  return Shape{ta ? a[1] : a[0], tb ? b[0] : b[1]};
}

Status infer(InferContext& ctx) {
  if (ctx.num_inputs() < 2) return ctx.error("expects inputs A and B");
  const DataType t = ctx.dtype(0);
  if (!supported(t)) return ctx.error(std::string("type ") + dtype_name(t) + " is not supported");
  if (!ctx.input(0).rank_known || !ctx.input(1).rank_known) {
    ctx.set_output(0, t, {-1, -1});
    return Status::ok();
  }
  KILN_ASSIGN_OR_RETURN(Shape out, output_shape(ctx.node, ctx.shape(0), ctx.shape(1)));
  ctx.set_output(0, t, out);
  return Status::ok();
}

Status run(RunContext& ctx) {
  KILN_RETURN_IF_ERROR(require_inputs(ctx, 2));
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  if (a.dtype() != b.dtype() || !supported(a.dtype()))
    return ctx.error("A and B must have the same supported type");
  KILN_ASSIGN_OR_RETURN(Shape out, output_shape(ctx.node, a.shape(), b.shape()));
  const bool ta = ctx.node.attr_int("transA", 0) != 0, tb = ctx.node.attr_int("transB", 0) != 0;
  const double alpha = ctx.node.attr_float("alpha", 1.0f), beta = ctx.node.attr_float("beta", 1.0f);
  const int64_t m = out[0], n = out[1], k = ta ? a.dim(0) : a.dim(1);
  std::vector<int64_t> c_at;
  const bool has_c = ctx.has_input(2) && beta != 0;
  if (has_c) {
    const Shape& cs = ctx.input(2).shape();
    KILN_ASSIGN_OR_RETURN(Shape bc, broadcast_shapes(ctx.node, {out, cs}));
    if (bc != out)
      return ctx.error("C (" + shape_str(cs) + ") does not broadcast to [M, N] = " + shape_str(out));
    c_at = broadcast_offsets(cs, out);
  }
  const DataType ct = gemm_compute_dtype(a.dtype());
  const Tensor ac = as_dtype(a, ct), bc = as_dtype(b, ct);
  const Tensor cc = has_c ? as_dtype(ctx.input(2), ct) : Tensor();
  Tensor y(ct, out);
  auto compute = [&]<typename T>() {
    T* dst = y.data<T>();
    gemm_accumulate<T>(m, n, k, {ac.data<T>(), a.dim(1), ta}, {bc.data<T>(), b.dim(1), tb}, dst, n);
    if constexpr (std::is_floating_point_v<T>) {
      const T al = static_cast<T>(alpha), be = static_cast<T>(beta);
      for (int64_t i = 0; i < m * n; ++i) dst[i] = al * dst[i] + (has_c ? be * cc.data<T>()[c_at[i]] : T(0));
    } else {  // integer Gemm: alpha and beta are floats, as in ONNX's reference
      for (int64_t i = 0; i < m * n; ++i) {
        const double c = has_c ? beta * static_cast<double>(cc.data<T>()[c_at[i]]) : 0.0;
        dst[i] = static_cast<T>(alpha * static_cast<double>(dst[i]) + c);
      }
    }
  };
  switch (ct) {
    case DataType::kFloat32:
      compute.operator()<float>();
      break;
    case DataType::kFloat64:
      compute.operator()<double>();
      break;
    case DataType::kInt32:
      compute.operator()<int32_t>();
      break;
    case DataType::kInt64:
      compute.operator()<int64_t>();
      break;
    case DataType::kUInt32:
      compute.operator()<uint32_t>();
      break;
    case DataType::kUInt64:
      compute.operator()<uint64_t>();
      break;
    default:
      return ctx.error(std::string("type ") + dtype_name(a.dtype()) + " is not supported");
  }
  ctx.set_output(0, as_dtype(y, a.dtype()));
  return Status::ok();
}

// 2 * M * N * K for the product, plus the scale and the C term per output element.
Cost cost(const ir::Node& node, std::span<const TensorType> in, std::span<const TensorType> out) {
  Cost c;
  for (const auto& t : in) c.bytes += tensor_bytes(t);
  for (const auto& t : out) c.bytes += tensor_bytes(t);
  if (in.size() < 2 || out.empty() || !in[0].shape_known() || in[0].shape.size() != 2) return c;
  const double k = static_cast<double>(node.attr_int("transA", 0) != 0 ? in[0].shape[0] : in[0].shape[1]);
  const bool has_c = in.size() > 2 && in[2].dtype != DataType::kUndefined;
  c.flops = known_numel(out[0]) * (2 * k + (has_c ? 2 : 1));
  return c;
}

}  // namespace

KILN_REGISTER_OP({.op_type = "Gemm", .domain = "", .infer = infer, .reference = run, .cost = cost});

}  // namespace kiln::ops
