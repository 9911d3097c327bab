// HannWindow, HammingWindow and BlackmanWindow, one table of cosine-sum windows:
//   w[n] = a0 - a1 cos(2 pi n / N) + a2 cos(4 pi n / N),  n in [0, size),
// with N = size when periodic (the default) and size - 1 when symmetric. The output type is
// output_datatype (default float).
#include <cmath>
#include <numbers>

#include "ops/dtype_attr.h"
#include "ops/util.h"

namespace kiln::ops {
namespace {

struct WindowDef {
  const char* op_type;
  double a0, a1, a2;
};

constexpr WindowDef kWindows[] = {
    {"HannWindow", 0.5, 0.5, 0.0},
    {"HammingWindow", 25.0 / 46.0, 21.0 / 46.0, 0.0},
    {"BlackmanWindow", 0.42, 0.5, 0.08},
};

const WindowDef& def_of(const ir::Node& node) {
  for (const WindowDef& d : kWindows) {
    if (node.op_type == d.op_type) return d;
  }
  return kWindows[0];  // unreachable: only the table's op types are registered
}

Expected<int64_t> size_of(const ir::Node& node, const Tensor& t) {
  if (t.numel() != 1) return invalid_argument(node.describe() + ": the size must be a scalar");
  const int64_t n = t.as_int64(0);
  if (n < 0) return invalid_argument(node.describe() + ": the size must not be negative");
  return n;
}

Status infer(InferContext& ctx) {
  KILN_ASSIGN_OR_RETURN(DataType dt, dtype_attr(ctx.node, "output_datatype", DataType::kFloat32));
  if (ctx.value(0) == nullptr) {
    ctx.set_output(0, dt, {-1});
    return Status::ok();
  }
  KILN_ASSIGN_OR_RETURN(int64_t n, size_of(ctx.node, *ctx.value(0)));
  ctx.set_output(0, dt, {n});
  return Status::ok();
}

Status run(RunContext& ctx) {
  KILN_ASSIGN_OR_RETURN(DataType dt, dtype_attr(ctx.node, "output_datatype", DataType::kFloat32));
  KILN_ASSIGN_OR_RETURN(int64_t size, size_of(ctx.node, ctx.input(0)));
  const bool periodic = ctx.node.attr_int("periodic", 1) != 0;
  const WindowDef& d = def_of(ctx.node);
  const double denom = static_cast<double>(periodic ? size : size - 1);
  std::vector<double> v(static_cast<size_t>(size));
  for (int64_t i = 0; i < size; ++i) {
    // A symmetric window of one sample has N = 0: take its single sample at angle 0.
    const double angle = denom > 0 ? 2 * std::numbers::pi * static_cast<double>(i) / denom : 0.0;
    v[i] = d.a0 - d.a1 * std::cos(angle) + d.a2 * std::cos(2 * angle);
  }
  ctx.set_output(0, Tensor::from_doubles(dt, {size}, v));
  return Status::ok();
}

}  // namespace

[[maybe_unused]] static const bool kRegistered = [] {
  for (const WindowDef& d : kWindows)
    register_op({.op_type = d.op_type, .domain = "", .infer = infer, .reference = run});
  return true;
}();

}  // namespace kiln::ops
