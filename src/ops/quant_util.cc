#include "ops/quant_util.h"

#include "ops/util.h"

namespace kiln::ops {

bool is_quantized_dtype(DataType t) {
  return t == DataType::kInt8 || t == DataType::kUInt8 || t == DataType::kInt16 || t == DataType::kUInt16;
}

Expected<QuantParamLayout> quant_param_layout(const ir::Node& node, const Shape& x, const Shape& param,
                                              int64_t axis, int64_t block_size) {
  QuantParamLayout q;
  q.axis_dim = shape_numel(x);
  if (shape_numel(param) == 1 && block_size == 0) return q;  // per tensor
  KILN_ASSIGN_OR_RETURN(int64_t a, normalize_axis(node, axis, static_cast<int64_t>(x.size())));
  q.per_tensor = false;
  q.outer = shape_numel(Shape(x.begin(), x.begin() + a));
  q.axis_dim = x[a];
  q.inner = shape_numel(Shape(x.begin() + a + 1, x.end()));
  if (block_size == 0) {
    if (param.size() != 1 || param[0] != x[a]) {
      return invalid_argument(node.describe() + ": a per-axis scale or zero point must be 1-D with " +
                              std::to_string(x[a]) + " values (dim " + std::to_string(a) +
                              " of the input), got " + shape_str(param));
    }
    return q;
  }
  if (block_size < 0) return invalid_argument(node.describe() + ": block_size must not be negative");
  q.block = block_size;
  q.blocks = (x[a] + block_size - 1) / block_size;
  Shape want = x;
  want[a] = q.blocks;
  if (param != want) {
    return invalid_argument(node.describe() + ": a blocked scale or zero point must have shape " +
                            shape_str(want) + ", got " + shape_str(param));
  }
  return q;
}

std::vector<int32_t> zero_points(const RunContext& ctx, size_t input) {
  if (!ctx.has_input(input)) return {0};
  const Tensor& t = ctx.input(input);
  std::vector<int32_t> v(static_cast<size_t>(t.numel()));
  for (int64_t i = 0; i < t.numel(); ++i) v[i] = static_cast<int32_t>(t.as_int64(i));
  return v;
}

Status check_param_count(const RunContext& ctx, size_t input, const char* name, int64_t count,
                         int64_t channels) {
  if (count == 1 || count == channels) return Status::ok();
  return ctx.error(std::string(name) + " has " + std::to_string(count) + " values, expected 1 or " +
                   std::to_string(channels));
}

}  // namespace kiln::ops
