// NonZero: the coordinates of the non-zero elements in row-major order, as int64 [rank, count]
// (a scalar input gives [0, count], as the ONNX spec says).
#include "ops/data_movement.h"

namespace kiln::ops {
namespace {

template <typename T>
bool is_nonzero(T v) {
  if constexpr (std::is_same_v<T, float16> || std::is_same_v<T, bfloat16>) {
    return static_cast<float>(v) != 0.0f;
  } else {
    return v != T{};
  }
}

// Flat positions of the non-zero elements.
std::vector<int64_t> nonzero_positions(const Tensor& x) {
  std::vector<int64_t> positions;
  visit_dtype(x.dtype(), [&]<typename T>() {
    const T* p = x.data<T>();
    for (int64_t i = 0; i < x.numel(); ++i)
      if (is_nonzero(p[i])) positions.push_back(i);
  });
  return positions;
}

Status infer(InferContext& ctx) {
  const int64_t rank = ctx.input(0).rank_known ? static_cast<int64_t>(ctx.shape(0).size()) : -1;
  const int64_t count = ctx.value(0) ? static_cast<int64_t>(nonzero_positions(*ctx.value(0)).size()) : -1;
  ctx.set_output(0, DataType::kInt64, {rank, count});
  return Status::ok();
}

Status run(RunContext& ctx) {
  const Tensor& x = ctx.input(0);
  const std::vector<int64_t> positions = nonzero_positions(x);
  const int64_t count = static_cast<int64_t>(positions.size());
  Tensor& y = ctx.allocate_output(0, DataType::kInt64, {x.rank(), count});
  int64_t* out = y.data<int64_t>();
  const std::vector<int64_t> strides = strides_of(x.shape());
  for (int64_t k = 0; k < count; ++k) {
    int64_t rest = positions[k];
    for (int64_t d = 0; d < x.rank(); ++d) {
      out[d * count + k] = rest / strides[d];
      rest %= strides[d];
    }
  }
  return Status::ok();
}

}  // namespace

KILN_REGISTER_OP({.op_type = "NonZero", .infer = infer, .reference = run});

}  // namespace kiln::ops
