#include "ops/matmul_util.h"

#include <algorithm>

#include "ops/spatial.h"
#include "ops/util.h"

namespace kiln::ops {
namespace {

// a and b promoted to rank >= 2: a 1-D a becomes [1, K], a 1-D b becomes [K, 1].
void promote(Shape& a, Shape& b) {
  if (a.size() == 1) a.insert(a.begin(), 1);
  if (b.size() == 1) b.push_back(1);
}

}  // namespace

Expected<Shape> matmul_output_shape(const ir::Node& node, const Shape& a_in, const Shape& b_in) {
  if (a_in.empty() || b_in.empty())
    return invalid_argument(node.describe() + ": matmul operands must have rank 1 or more");
  Shape a = a_in, b = b_in;
  promote(a, b);
  const int64_t ka = a.back(), kb = b[b.size() - 2];
  if (ka >= 0 && kb >= 0 && ka != kb) {
    return invalid_argument(node.describe() + ": inner dims disagree: A is " + shape_str(a_in) + ", B is " +
                            shape_str(b_in));
  }
  KILN_ASSIGN_OR_RETURN(
      Shape out, broadcast_shapes(node, {Shape(a.begin(), a.end() - 2), Shape(b.begin(), b.end() - 2)}));
  if (a_in.size() > 1) out.push_back(a[a.size() - 2]);
  if (b_in.size() > 1) out.push_back(b.back());
  return out;
}

Expected<MatMulPlan> plan_matmul(const ir::Node& node, const Shape& a_in, const Shape& b_in) {
  MatMulPlan p;
  KILN_ASSIGN_OR_RETURN(p.out_shape, matmul_output_shape(node, a_in, b_in));
  Shape a = a_in, b = b_in;
  promote(a, b);
  p.m = a[a.size() - 2], p.k = a.back(), p.n = b.back();
  const Shape a_batch(a.begin(), a.end() - 2), b_batch(b.begin(), b.end() - 2);
  KILN_ASSIGN_OR_RETURN(Shape batch, broadcast_shapes(node, {a_batch, b_batch}));
  p.a_matrix = broadcast_offsets(a_batch, batch);
  p.b_matrix = broadcast_offsets(b_batch, batch);
  p.fold_batch = shape_numel(b_batch) == 1 && shape_numel(a_batch) == shape_numel(batch);
  return p;
}

Expected<Tensor> matmul_integer(const ir::Node& node, const MatMulPlan& plan, const Tensor& a,
                                const std::vector<int32_t>& a_zero_point, const Tensor& b,
                                const std::vector<int32_t>& b_zero_point) {
  Tensor ai = a.cast(DataType::kInt32), bi = b.cast(DataType::kInt32);  // fresh copies
  const int64_t a_rows = plan.k == 0 ? 0 : a.numel() / plan.k,
                b_matrices = shape_numel(b.shape()) / std::max<int64_t>(1, plan.k * plan.n);
  const int64_t az = static_cast<int64_t>(a_zero_point.size()),
                bz = static_cast<int64_t>(b_zero_point.size());
  if (az > 1 && az != plan.m && az != a_rows) {
    return invalid_argument(node.describe() + ": a_zero_point has " + std::to_string(az) +
                            " values, expected 1 or one per row of A (" + std::to_string(plan.m) + ")");
  }
  if (bz > 1 && bz != plan.n && bz != b_matrices * plan.n) {
    return invalid_argument(node.describe() + ": b_zero_point has " + std::to_string(bz) +
                            " values, expected 1 or one per column of B (" + std::to_string(plan.n) + ")");
  }
  int32_t* ap = ai.data<int32_t>();
  for (int64_t r = 0; r < a_rows && az > 0; ++r) {
    const int32_t zp = a_zero_point[static_cast<size_t>(r % az)];
    for (int64_t k = 0; k < plan.k; ++k) ap[r * plan.k + k] -= zp;
  }
  int32_t* bp = bi.data<int32_t>();
  for (int64_t mat = 0; mat < b_matrices && bz > 0; ++mat) {
    for (int64_t k = 0; k < plan.k; ++k) {
      int32_t* row = bp + (mat * plan.k + k) * plan.n;
      for (int64_t n = 0; n < plan.n; ++n)
        row[n] -= b_zero_point[static_cast<size_t>(bz == 1 ? 0 : (mat * plan.n + n) % bz)];
    }
  }
  Tensor y(DataType::kInt32, plan.out_shape);
  run_matmul<int32_t>(plan, ai.data<int32_t>(), bi.data<int32_t>(), y.data<int32_t>());
  return y;
}

Cost matmul_cost(const ir::Node& node, std::span<const TensorType> in, std::span<const TensorType> out) {
  Cost c;
  for (const auto& t : in) c.bytes += tensor_bytes(t);
  for (const auto& t : out) c.bytes += tensor_bytes(t);
  if (in.size() < 2 || out.empty() || !in[0].shape_known() || in[0].shape.empty()) return c;
  // Every output element is a dot product of length K.
  c.flops = 2 * known_numel(out[0]) * static_cast<double>(in[0].shape.back());
  return c;
}

}  // namespace kiln::ops
