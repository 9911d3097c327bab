#include "ops/control_flow_util.h"

#include <cstring>

namespace kiln::ops {

Tensor slice_along(const Tensor& t, int64_t axis, int64_t index) {
  Shape out_shape = t.shape();
  out_shape.erase(out_shape.begin() + axis);
  Tensor out(t.dtype(), out_shape);
  const size_t es = dtype_size(t.dtype());
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= t.dim(d);
  for (int64_t d = axis + 1; d < t.rank(); ++d) inner *= t.dim(d);
  const auto* src = static_cast<const std::byte*>(t.raw());
  auto* dst = static_cast<std::byte*>(out.raw());
  for (int64_t o = 0; o < outer; ++o) {
    std::memcpy(dst + o * inner * es, src + ((o * t.dim(axis) + index) * inner) * es, inner * es);
  }
  return out;
}

Tensor stack_along(const std::vector<Tensor>& parts, int64_t axis, bool reverse, DataType dtype,
                   const Shape& elem_shape) {
  Shape elem = parts.empty() ? elem_shape : parts[0].shape();
  DataType dt = parts.empty() ? dtype : parts[0].dtype();
  Shape out_shape = elem;
  const int64_t n = static_cast<int64_t>(parts.size());
  out_shape.insert(out_shape.begin() + axis, n);
  Tensor out(dt, out_shape);
  const size_t es = dtype_size(dt);
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= elem[d];
  for (size_t d = axis; d < elem.size(); ++d) inner *= elem[d];
  auto* dst = static_cast<std::byte*>(out.raw());
  for (int64_t k = 0; k < n; ++k) {
    const Tensor& p = parts[reverse ? n - 1 - k : k];
    const auto* src = static_cast<const std::byte*>(p.raw());
    for (int64_t o = 0; o < outer; ++o)
      std::memcpy(dst + ((o * n + k) * inner) * es, src + o * inner * es, inner * es);
  }
  return out;
}

void infer_from_subgraph_outputs(InferContext& ctx, const ir::Graph* body, size_t first_body_output,
                                 size_t first_node_output, size_t count, bool add_leading_dim) {
  for (size_t i = 0; i < count; ++i) {
    size_t bo = first_body_output + i;
    DataType dt = body && bo < body->outputs.size() ? body->outputs[bo]->dtype : DataType::kUndefined;
    ctx.set_output_unknown_rank(first_node_output + i, dt);
  }
  (void)add_leading_dim;
}

}  // namespace kiln::ops
