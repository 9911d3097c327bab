// Split and Concat of float32 tensors with static shapes, any axis: each output of a Split (each
// input of a Concat) is `outer` contiguous runs copied from (into) the whole tensor, one memcpy
// per run, the runs split over the threads. (Those the memory plan makes views of, contiguous
// blocks, never get here: their steps are no-ops.)
#include <cstring>

#include "cpu/tactic.h"

namespace kiln::cpu {
namespace {

// {outer, inner, whole extent along the axis, part extents...}: the whole tensor is Split's input
// (Concat's output), the parts its outputs (inputs).
std::optional<std::vector<int64_t>> copy_dims(const ir::Node& node) {
  const bool split = node.op_type == "Split";
  const ir::Value* whole = split ? node.input(0) : node.outputs.empty() ? nullptr : node.outputs[0];
  const std::vector<ir::Value*>& parts = split ? node.outputs : node.inputs;
  if (!is_static_f32(whole) || whole->shape.empty() || parts.empty()) return std::nullopt;
  // Concat has one output and a required axis; Split's axis defaults to 0.
  if (!split && (node.outputs.size() != 1 || !node.has_attr("axis"))) return std::nullopt;
  const int64_t rank = static_cast<int64_t>(whole->shape.size());
  int64_t axis = node.attr_int("axis", 0);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) return std::nullopt;
  std::vector<int64_t> d{1, 1, whole->shape[axis]};
  for (int64_t i = 0; i < axis; ++i) d[0] *= whole->shape[i];
  for (int64_t i = axis + 1; i < rank; ++i) d[1] *= whole->shape[i];
  int64_t total = 0;
  for (const ir::Value* p : parts) {
    if (!p || !is_static_f32(p) || p->shape.size() != whole->shape.size()) return std::nullopt;
    for (int64_t i = 0; i < rank; ++i)
      if (i != axis && p->shape[i] != whole->shape[i]) return std::nullopt;
    d.push_back(p->shape[axis]);
    total += p->shape[axis];
  }
  if (total != whole->shape[axis]) return std::nullopt;
  return d;
}

bool supports(const ir::Node& node, Isa) { return copy_dims(node).has_value(); }

using Params = ParamsOnly<copy_dims>;

template <bool kSplit>
Status run(const TacticArgs& a) {
  const int64_t outer = a.params[0], inner = a.params[1], extent = a.params[2];
  const size_t parts = a.params.size() - 3;
  a.pool.parallel_for(outer * static_cast<int64_t>(parts), [&](int64_t task, int) {
    const int64_t o = task / static_cast<int64_t>(parts);
    const size_t i = static_cast<size_t>(task % static_cast<int64_t>(parts));
    int64_t start = 0;
    for (size_t j = 0; j < i; ++j) start += a.params[3 + j];
    const int64_t len = a.params[3 + i] * inner;
    if (len <= 0) return;
    const int64_t at = (o * extent + start) * inner;
    if (kSplit)
      std::memcpy(a.outputs[i]->data<float>() + o * len, a.inputs[0]->data<float>() + at,
                  len * sizeof(float));
    else
      std::memcpy(a.outputs[0]->data<float>() + at, a.inputs[i]->data<float>() + o * len,
                  len * sizeof(float));
  });
  return Status::ok();
}

}  // namespace

KILN_REGISTER_TACTIC({"split.copy", "Split", "", Isa::kGeneric, supports, Params::prepare, nullptr, run<true>,
                      Params::check});
KILN_REGISTER_TACTIC({"concat.copy", "Concat", "", Isa::kGeneric, supports, Params::prepare, nullptr,
                      run<false>, Params::check});

}  // namespace kiln::cpu
