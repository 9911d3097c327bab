// Split of a float32 tensor with static shapes, any axis: each output is `outer` contiguous runs
// copied from the input (memcpy), the runs split over the threads. (A Split of contiguous blocks
// the memory plan can make views of never gets here: its step is a no-op.)
#include <cstring>

#include "cpu/tactic.h"

namespace kiln::cpu {
namespace {

// {outer, inner, input extent along the axis, output extents...} of the node.
std::optional<std::vector<int64_t>> split_dims(const ir::Node& node) {
  const ir::Value* x = node.input(0);
  if (!is_static_f32(x) || x->shape.empty() || node.outputs.empty()) return std::nullopt;
  const int64_t rank = static_cast<int64_t>(x->shape.size());
  int64_t axis = node.attr_int("axis", 0);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) return std::nullopt;
  std::vector<int64_t> d{1, 1, x->shape[axis]};
  for (int64_t i = 0; i < axis; ++i) d[0] *= x->shape[i];
  for (int64_t i = axis + 1; i < rank; ++i) d[1] *= x->shape[i];
  int64_t total = 0;
  for (const ir::Value* y : node.outputs) {
    if (!y || !is_static_f32(y) || y->shape.size() != x->shape.size()) return std::nullopt;
    for (int64_t i = 0; i < rank; ++i)
      if (i != axis && y->shape[i] != x->shape[i]) return std::nullopt;
    d.push_back(y->shape[axis]);
    total += y->shape[axis];
  }
  if (total != x->shape[axis]) return std::nullopt;
  return d;
}

bool supports(const ir::Node& node, Isa) { return split_dims(node).has_value(); }

using Params = ParamsOnly<split_dims>;

Status run(const TacticArgs& a) {
  const int64_t outer = a.params[0], inner = a.params[1], extent = a.params[2];
  const size_t outputs = a.params.size() - 3;
  const float* x = a.inputs[0]->data<float>();
  a.pool.parallel_for(outer * static_cast<int64_t>(outputs), [&](int64_t task, int) {
    const int64_t o = task / static_cast<int64_t>(outputs);
    const size_t i = static_cast<size_t>(task % static_cast<int64_t>(outputs));
    int64_t start = 0;
    for (size_t j = 0; j < i; ++j) start += a.params[3 + j];
    const int64_t len = a.params[3 + i] * inner;
    if (len > 0)
      std::memcpy(a.outputs[i]->data<float>() + o * len, x + (o * extent + start) * inner,
                  len * sizeof(float));
  });
  return Status::ok();
}

}  // namespace

KILN_REGISTER_TACTIC({"split.copy", "Split", "", Isa::kGeneric, supports, Params::prepare, nullptr, run,
                      Params::check});

}  // namespace kiln::cpu
