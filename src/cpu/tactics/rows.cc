// Softmax along a contiguous last axis (every row's elements adjacent), GlobalAveragePool of NCHW
// float tensors and LayerNormalization over contiguous trailing dims: cpu/ukernels/rows.h, rows
// split over the threads.
#include <bit>

#include "cpu/tactic.h"
#include "cpu/ukernels/rows.h"
#include "ops/softmax_util.h"

namespace kiln::cpu {
namespace {

// Calls fn(r0, r1) on ranges of [0, rows): four per thread (fewer for few rows).
template <typename F>
void for_row_ranges(ThreadPool& pool, int64_t rows, F&& fn) {
  const int64_t chunks = std::min<int64_t>(rows, pool.threads() * 4);
  pool.parallel_for(chunks, [&](int64_t t, int) { fn(rows * t / chunks, rows * (t + 1) / chunks); });
}

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
  for_row_ranges(a.pool, rows, [&](int64_t r0, int64_t r1) {
    if (softmax) {
      k.softmax(x + r0 * n, y + r0 * n, r1 - r0, n);
    } else {
      k.mean(x + r0 * n, y + r0, r1 - r0, n);
    }
  });
  return Status::ok();
}

// Strips leading 1s.
Shape squeezed_front(const Shape& s) {
  size_t i = 0;
  while (i < s.size() && s[i] == 1) ++i;
  return Shape(s.begin() + static_cast<std::ptrdiff_t>(i), s.end());
}

// LayerNormalization: {rows, row length, epsilon's bits}, when the rows are the trailing dims from
// `axis`, Scale (and B) hold one float32 per row element in order, the statistics are float and
// the Mean / InvStdDev outputs are not wanted.
std::optional<std::vector<int64_t>> layer_norm_params(const ir::Node& node) {
  const ir::Value *x = node.input(0), *y = node.outputs.empty() ? nullptr : node.outputs[0];
  if (!is_static_f32(x) || !is_static_f32(y) || y->shape != x->shape || x->shape.empty()) return std::nullopt;
  for (size_t i = 1; i < node.outputs.size(); ++i)
    if (node.outputs[i]) return std::nullopt;
  if (node.attr_int("stash_type", 1) != 1) return std::nullopt;
  const int64_t rank = static_cast<int64_t>(x->shape.size());
  int64_t axis = node.attr_int("axis", -1);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) return std::nullopt;
  const Shape norm(x->shape.begin() + axis, x->shape.end());
  const int64_t n = shape_numel(norm);
  if (n <= 0) return std::nullopt;
  for (size_t i = 1; i < 3; ++i) {
    const ir::Value* v = node.input(i);
    if (!v && i == 2) continue;
    if (!is_static_f32(v) || squeezed_front(v->shape) != squeezed_front(norm) ||
        v->shape.size() > norm.size())
      return std::nullopt;
  }
  const float eps = node.attr_float("epsilon", 1e-5f);
  return std::vector<int64_t>{shape_numel(x->shape) / n, n,
                              static_cast<int64_t>(std::bit_cast<uint32_t>(eps))};
}

bool supports_layer_norm(const ir::Node& node, Isa isa) {
  return row_kernels(isa) && layer_norm_params(node).has_value();
}

using LayerNormParams = ParamsOnly<layer_norm_params>;

Status run_layer_norm(const TacticArgs& a) {
  const int64_t rows = a.params[0], n = a.params[1];
  const float eps = std::bit_cast<float>(static_cast<uint32_t>(a.params[2]));
  const RowKernels& k = *row_kernels(a.isa);
  const float* x = a.inputs[0]->data<float>();
  const float* scale = a.inputs[1]->data<float>();
  const float* bias = a.inputs.size() > 2 && a.inputs[2] ? a.inputs[2]->data<float>() : nullptr;
  float* y = a.outputs[0]->data<float>();
  for_row_ranges(a.pool, rows, [&](int64_t r0, int64_t r1) {
    k.layer_norm(x + r0 * n, y + r0 * n, r1 - r0, n, scale, bias, eps);
  });
  return Status::ok();
}

}  // namespace

KILN_REGISTER_TACTIC({"layer_norm.avx512", "LayerNormalization", "", Isa::kAvx512, supports_layer_norm,
                      LayerNormParams::prepare, nullptr, run_layer_norm, LayerNormParams::check});
KILN_REGISTER_TACTIC({"layer_norm.avx2", "LayerNormalization", "", Isa::kAvx2, supports_layer_norm,
                      LayerNormParams::prepare, nullptr, run_layer_norm, LayerNormParams::check});
KILN_REGISTER_TACTIC({"softmax.avx512", "Softmax", "", Isa::kAvx512, supports, prepare, nullptr, run, check});
KILN_REGISTER_TACTIC({"softmax.avx2", "Softmax", "", Isa::kAvx2, supports, prepare, nullptr, run, check});
KILN_REGISTER_TACTIC({"global_average_pool.avx512", "GlobalAveragePool", "", Isa::kAvx512, supports, prepare,
                      nullptr, run, check});
KILN_REGISTER_TACTIC({"global_average_pool.avx2", "GlobalAveragePool", "", Isa::kAvx2, supports, prepare,
                      nullptr, run, check});

}  // namespace kiln::cpu
