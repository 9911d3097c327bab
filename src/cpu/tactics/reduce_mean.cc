// ReduceMean of a float32 tensor over one contiguous range of axes, viewed as [outer, mid, inner]
// and reduced over mid: x.mean((2, 3)) of an NCHW tensor (inner 1), and the blocked layout's
// global average pool (layout.cc turns GlobalAveragePool of [N, C/b, H, W, b] into this over
// H and W: inner b). Tasks are ranges of outer rows, so results do not depend on the thread
// count.
#include <algorithm>

#include "cpu/tactic.h"

namespace kiln::cpu {
namespace {

// {outer, mid, inner} when the reduced axes form one contiguous non-empty range.
std::optional<std::vector<int64_t>> plan_node(const ir::Node& node) {
  const ir::Value *x = node.input(0), *y = node.outputs.empty() ? nullptr : node.outputs[0];
  if (!is_static_f32(x) || !is_static_f32(y) || x->shape.empty()) return std::nullopt;
  std::vector<int64_t> axes;
  if (node.opset >= 18) {
    const ir::Value* a = node.input(1);
    if (!a || !a->is_constant()) return std::nullopt;
    axes = a->constant->to_int64_vector();
  } else {
    axes = node.attr_ints("axes");
  }
  if (axes.empty()) return std::nullopt;  // all axes, or none with noop_with_empty_axes
  const int64_t rank = static_cast<int64_t>(x->shape.size());
  for (int64_t& a : axes) {
    if (a < -rank || a >= rank) return std::nullopt;
    if (a < 0) a += rank;
  }
  std::sort(axes.begin(), axes.end());
  for (size_t i = 1; i < axes.size(); ++i)
    if (axes[i] != axes[i - 1] + 1) return std::nullopt;
  int64_t outer = 1, mid = 1, inner = 1;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t& part = d < axes.front() ? outer : d <= axes.back() ? mid : inner;
    part *= x->shape[d];
  }
  if (mid == 0 || shape_numel(y->shape) != outer * inner) return std::nullopt;
  return std::vector<int64_t>{outer, mid, inner};
}

bool supports(const ir::Node& node, Isa) { return plan_node(node).has_value(); }

using Params = ParamsOnly<plan_node>;

// Sums `mid` rows of L floats into local accumulators (kept in registers: summed through y, each
// row waited on the previous row's store; a blocked 160x160 plane took 3x the planar pool's time).
template <int L>
void mean_of_rows(const float* src, int64_t mid, float scale, float* dst) {
  float acc[L] = {};
  for (int64_t m = 0; m < mid; ++m, src += L)
    for (int i = 0; i < L; ++i) acc[i] += src[i];
  for (int i = 0; i < L; ++i) dst[i] = acc[i] * scale;
}

Status run(const TacticArgs& a) {
  const int64_t outer = a.params[0], mid = a.params[1], inner = a.params[2];
  const float* x = a.inputs[0]->data<float>();
  float* y = a.outputs[0]->data<float>();
  const float scale = 1.0f / static_cast<float>(mid);
  const int64_t chunks = std::min<int64_t>(outer, a.pool.threads() * 4);
  a.pool.parallel_for(chunks, [&](int64_t t, int) {
    for (int64_t o = outer * t / chunks; o < outer * (t + 1) / chunks; ++o) {
      const float* src = x + o * mid * inner;
      float* dst = y + o * inner;
      if (inner == 8 || inner == 16) {  // the blocked layouts' lanes
        if (inner == 8) {
          mean_of_rows<8>(src, mid, scale, dst);
        } else {
          mean_of_rows<16>(src, mid, scale, dst);
        }
        continue;
      }
      if (inner == 1) {  // eight partial sums, so the adds do not wait on each other
        float acc[8] = {};
        int64_t m = 0;
        for (; m + 8 <= mid; m += 8)
          for (int i = 0; i < 8; ++i) acc[i] += src[m + i];
        float sum = 0;
        for (; m < mid; ++m) sum += src[m];
        for (int i = 0; i < 8; ++i) sum += acc[i];
        dst[0] = sum * scale;
        continue;
      }
      std::fill(dst, dst + inner, 0.0f);
      for (int64_t m = 0; m < mid; ++m, src += inner)
        for (int64_t i = 0; i < inner; ++i) dst[i] += src[i];
      for (int64_t i = 0; i < inner; ++i) dst[i] *= scale;
    }
  });
  return Status::ok();
}

}  // namespace

KILN_REGISTER_TACTIC({"reduce_mean.rows", "ReduceMean", "", Isa::kGeneric, supports, Params::prepare, nullptr,
                      run, Params::check});

}  // namespace kiln::cpu
