// NumPy matmul semantics shared by MatMul, MatMulInteger and QLinearMatMul: 1-D operands,
// broadcast batch dims, and the batched product on top of the blocked GEMM.
#pragma once

#include <vector>

#include "ops/blocked_gemm.h"
#include "ops/op.h"

namespace kiln::ops {

/// The output shape of matmul(a, b) (dims may be -1); fails naming the node when K disagrees or
/// the batch dims do not broadcast.
Expected<Shape> matmul_output_shape(const ir::Node& node, const Shape& a, const Shape& b);

/// The batched product laid out for the kernel: A as [.., M, K], B as [.., K, N] (1-D operands
/// promoted), and for each output matrix the indices of its A and B matrices.
struct MatMulPlan {
  int64_t m = 0, n = 0, k = 0;
  Shape out_shape;
  std::vector<int64_t> a_matrix, b_matrix;  // per output matrix
  /// B is one matrix and A's matrices are contiguous: one GEMM of (batch * M) x K x N does it all.
  bool fold_batch = false;
};
Expected<MatMulPlan> plan_matmul(const ir::Node& node, const Shape& a, const Shape& b);

/// y (zero-filled, of plan.out_shape) += matmul(a, b) for a type gemm_accumulate supports.
template <typename T>
void run_matmul(const MatMulPlan& plan, const T* a, const T* b, T* y) {
  if (plan.fold_batch) {
    const int64_t rows = plan.a_matrix.size() * plan.m;
    gemm_accumulate<T>(rows, plan.n, plan.k, {a, plan.k, false}, {b, plan.n, false}, y, plan.n);
    return;
  }
  for (size_t i = 0; i < plan.a_matrix.size(); ++i) {
    const T* am = a + plan.a_matrix[i] * plan.m * plan.k;
    const T* bm = b + plan.b_matrix[i] * plan.k * plan.n;
    gemm_accumulate<T>(plan.m, plan.n, plan.k, {am, plan.k, false}, {bm, plan.n, false},
                       y + static_cast<int64_t>(i) * plan.m * plan.n, plan.n);
  }
}

/// The int32 accumulator of MatMulInteger and QLinearMatMul: matmul(a - a_zero_point,
/// b - b_zero_point) for 8-bit a and b. a's zero point is per tensor or per row of A (M values, or
/// one per row of every matrix); b's per tensor or per column of B (N values, or one per column of
/// every matrix). Absent zero points are empty vectors.
Expected<Tensor> matmul_integer(const ir::Node& node, const MatMulPlan& plan, const Tensor& a,
                                const std::vector<int32_t>& a_zero_point, const Tensor& b,
                                const std::vector<int32_t>& b_zero_point);

/// Cost of a matmul-like op: 2 * M * N * K per output matrix, bytes of all tensors once.
Cost matmul_cost(const ir::Node& node, std::span<const TensorType> in, std::span<const TensorType> out);

}  // namespace kiln::ops
