// Softmax along a contiguous last axis (every row's elements adjacent) and GlobalAveragePool of
// NCHW float tensors: cpu/ukernels/rows.h, rows split over the threads.
#include "cpu/ukernels/rows.h"
#include "cpu/tactic.h"
#include "ops/softmax_util.h"

namespace kiln::cpu {
namespace {

/// Rows and row length of the node, when its rows are contiguous.
std::optional<std::pair<int64_t, int64_t>> rows_of(const ir::Node& node) {
  const ir::Value *x = node.input(0), *y = node.outputs.empty() ? nullptr : node.outputs[0];
  if (!is_static_f32(x) || !is_static_f32(y) || x->shape.empty()) return std::nullopt;
  if (node.op_type == "Softmax") {
    auto r = ops::softmax_rows(node, x->shape);
    if (!r || r->inner != 1 || r->len == 0 || y->shape != x->shape) return std::nullopt;
    return std::make_pair(r->outer, r->len);
  }
  // GlobalAveragePool: [N, C, spatial...] -> [N, C, 1, ...].
  if (x->shape.size() < 3) return std::nullopt;
  const int64_t rows = x->shape[0] * x->shape[1];
  const int64_t n = shape_numel(x->shape) / std::max<int64_t>(rows, 1);
  if (rows == 0 || n == 0 || shape_numel(y->shape) != rows) return std::nullopt;
  return std::make_pair(rows, n);
}

bool supports(const ir::Node& node, Isa isa) { return row_kernels(isa) && rows_of(node).has_value(); }
Status prepare(const ir::Node&, Isa, std::vector<Tensor>&, std::vector<int64_t>&) { return Status::ok(); }
bool check(const ir::Node&, Isa, std::span<const Tensor* const> prepared, std::span<const int64_t>) {
  return prepared.empty();
}

Status run(const TacticArgs& a) {
  const auto [rows, n] = *rows_of(a.node);
  const RowKernels& k = *row_kernels(a.isa);
  const float* x = a.inputs[0]->data<float>();
  float* y = a.outputs[0]->data<float>();
  const bool softmax = a.node.op_type == "Softmax";
  const int64_t chunks = std::min<int64_t>(rows, a.pool.threads() * 4);
  a.pool.parallel_for(chunks, [&](int64_t t, int) {
    const int64_t r0 = rows * t / chunks, r1 = rows * (t + 1) / chunks;
    if (softmax) {
      k.softmax(x + r0 * n, y + r0 * n, r1 - r0, n);
    } else {
      k.mean(x + r0 * n, y + r0, r1 - r0, n);
    }
  });
  return Status::ok();
}

}  // namespace

KILN_REGISTER_TACTIC({"softmax.avx512", "Softmax", "", Isa::kAvx512, supports, prepare, nullptr, run, check});
KILN_REGISTER_TACTIC({"softmax.avx2", "Softmax", "", Isa::kAvx2, supports, prepare, nullptr, run, check});
KILN_REGISTER_TACTIC({"global_average_pool.avx512", "GlobalAveragePool", "", Isa::kAvx512, supports, prepare,
                      nullptr, run, check});
KILN_REGISTER_TACTIC({"global_average_pool.avx2", "GlobalAveragePool", "", Isa::kAvx2, supports, prepare,
                      nullptr, run, check});

}  // namespace kiln::cpu
