// Slice and Transpose of static shapes (any element type): the reference's per-axis offset tables
// (ops/data_movement.h), computed once at build time and kept in the step's parameters, and a
// copy of output rows split over the threads, whose innermost axis is a memcpy (contiguous), a
// strided loop (YOLOX's stride-2 Focus slices, a transpose's gathered axis) or the table.
//
// params: element size, rank, the output shape, the innermost axis's stride in elements (0: not
// an arithmetic progression; read its table), then every axis's offsets, axis 0 first.
#include <array>
#include <cstring>

#include "cpu/tactic.h"
#include "ops/data_movement.h"
#include "ops/op.h"

namespace kiln::cpu {
namespace {

constexpr size_t kMaxRank = 8;  // run() keeps its row index on the stack

bool static_value(const ir::Value* v) {
  if (!v || !v->rank_known || v->is_sequence || v->shape.empty() || v->dtype == DataType::kUndefined)
    return false;
  const size_t size = dtype_size(v->dtype);
  if (size != 1 && size != 2 && size != 4 && size != 8) return false;
  for (int64_t d : v->shape)
    if (d < 0) return false;
  return true;
}

std::optional<std::vector<int64_t>> movement_params(const ir::Node& node) {
  if (node.inputs.empty() || node.outputs.size() != 1) return std::nullopt;
  const ir::Value* x = node.input(0);
  const ir::Value* y = node.outputs[0];
  if (!static_value(x) || !static_value(y) || x->is_constant() || y->shape.size() != x->shape.size() ||
      x->shape.size() > kMaxRank)
    return std::nullopt;
  // The tables hold one offset per index of every axis: refuse absurd dims (a corrupted plan's)
  // rather than allocate for them.
  for (const Shape* shape : {&x->shape, &y->shape})
    for (int64_t d : *shape)
      if (d > (int64_t{1} << 24)) return std::nullopt;
  std::vector<std::vector<int64_t>> offsets;
  if (node.op_type == "Transpose") {
    auto perm = ops::transpose_permutation(node, x->shape.size());
    if (!perm.has_value()) return std::nullopt;
    offsets = ops::transpose_offsets(x->shape, *perm);
  } else {
    std::vector<ops::TensorType> types;
    std::vector<const Tensor*> values;
    for (const ir::Value* v : node.inputs) {
      types.push_back(v ? ops::TensorType{v->dtype, v->shape, v->rank_known} : ops::TensorType{});
      values.push_back(v && v->is_constant() ? &*v->constant : nullptr);
    }
    auto o = ops::slice_offsets(ops::InferContext(node, types, values), x->shape);
    if (!o.has_value()) return std::nullopt;
    offsets = std::move(*o);
  }
  const size_t rank = offsets.size();
  std::vector<int64_t> p{static_cast<int64_t>(dtype_size(x->dtype)), static_cast<int64_t>(rank)};
  for (size_t d = 0; d < rank; ++d) {
    if (static_cast<int64_t>(offsets[d].size()) != y->shape[d]) return std::nullopt;
    p.push_back(y->shape[d]);
  }
  const std::vector<int64_t>& last = offsets.back();
  int64_t stride = last.size() > 1 ? last[1] - last[0] : 1;
  for (size_t j = 1; j < last.size() && stride > 0; ++j)
    if (last[j] - last[j - 1] != stride) stride = 0;
  p.push_back(stride > 0 ? stride : 0);
  for (const std::vector<int64_t>& o : offsets) p.insert(p.end(), o.begin(), o.end());
  return p;
}

bool supports(const ir::Node& node, Isa) { return movement_params(node).has_value(); }

using Params = ParamsOnly<movement_params>;

Status run(const TacticArgs& a) {
  const std::span<const int64_t> p = a.params;
  const size_t elem = static_cast<size_t>(p[0]), rank = static_cast<size_t>(p[1]);
  const std::span<const int64_t> shape = p.subspan(2, rank);
  const int64_t stride = p[2 + rank];
  std::array<const int64_t*, kMaxRank> table{};
  const int64_t* at = p.data() + 3 + rank;
  for (size_t d = 0; d < rank; ++d) {
    table[d] = at;
    at += shape[d];
  }
  const int64_t inner = shape[rank - 1];
  int64_t rows = 1;
  for (size_t d = 0; d + 1 < rank; ++d) rows *= shape[d];
  if (rows == 0 || inner == 0) return Status::ok();
  const int64_t tasks = std::min<int64_t>(rows, 8 * a.pool.threads());
  ops::visit_elem_size(elem, [&]<typename U>() {
    const U* src = static_cast<const U*>(a.inputs[0]->raw());
    U* dst = static_cast<U*>(a.outputs[0]->raw());
    a.pool.parallel_for(tasks, [&](int64_t task, int) {
      const int64_t r0 = rows * task / tasks, r1 = rows * (task + 1) / tasks;
      // The first row's index along every outer axis, then counted up row by row.
      std::array<int64_t, kMaxRank> idx{};
      for (int64_t r = r0, d = static_cast<int64_t>(rank) - 2; d >= 0; --d) {
        idx[d] = r % shape[d];
        r /= shape[d];
      }
      const int64_t* last = table[rank - 1];
      for (int64_t r = r0; r < r1; ++r) {
        int64_t base = last[0];
        for (size_t d = 0; d + 1 < rank; ++d) base += table[d][idx[d]];
        U* out = dst + r * inner;
        const U* in = src + base;
        if (stride == 1) {
          std::memcpy(out, in, static_cast<size_t>(inner) * sizeof(U));
        } else if (stride > 0) {
          for (int64_t j = 0; j < inner; ++j) out[j] = in[j * stride];
        } else {
          for (int64_t j = 0; j < inner; ++j) out[j] = src[base - last[0] + last[j]];
        }
        for (int64_t d = static_cast<int64_t>(rank) - 2; d >= 0; --d) {
          if (++idx[d] < shape[d]) break;
          idx[d] = 0;
        }
      }
    });
  });
  return Status::ok();
}

}  // namespace

KILN_REGISTER_TACTIC({"movement.slice", "Slice", "", Isa::kGeneric, supports, Params::prepare, nullptr, run,
                      Params::check});
KILN_REGISTER_TACTIC({"movement.transpose", "Transpose", "", Isa::kGeneric, supports, Params::prepare,
                      nullptr, run, Params::check});

}  // namespace kiln::cpu
