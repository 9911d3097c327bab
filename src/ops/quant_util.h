// Linear quantisation helpers shared by QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear,
// QLinearConv, QLinearMatMul, ConvInteger and MatMulInteger.
#pragma once

#include <cmath>
#include <limits>
#include <vector>

#include "ops/op.h"

namespace kiln::ops {

/// v rounded half to even and clamped into Q's range (NaN gives 0), as ONNX's saturating casts do.
template <typename Q>
Q saturate_round(float v) {
  if (std::isnan(v)) return Q(0);
  const float r = std::nearbyint(v);  // the default rounding mode: to nearest, ties to even
  if (r <= static_cast<float>(std::numeric_limits<Q>::lowest())) return std::numeric_limits<Q>::lowest();
  if (r >= static_cast<float>(std::numeric_limits<Q>::max())) return std::numeric_limits<Q>::max();
  return static_cast<Q>(r);
}

/// The integer types a quantised tensor may have here (int8, uint8, int16, uint16; int32 where noted).
bool is_quantized_dtype(DataType t);

/// How a scale or zero point lines up with x, viewed as [outer, axis_dim, inner]: one value
/// (per tensor), one per index of `axis` (per axis, a 1-D parameter), or one per block of
/// `block_size` along `axis` (blocked, a parameter of x's rank).
struct QuantParamLayout {
  int64_t outer = 1, axis_dim = 1, inner = 1;
  bool per_tensor = true;
  int64_t block = 0;  // 0 for per-axis; the block size for blocked
  int64_t blocks = 1;

  /// The parameter index for element (o, a, i) of x.
  int64_t index(int64_t o, int64_t a, int64_t i) const {
    if (per_tensor) return 0;
    if (block == 0) return a;
    return (o * blocks + a / block) * inner + i;
  }
};

/// Checks `param` against x (shape `x`) for `axis` (may be negative) and `block_size` (0 = none).
Expected<QuantParamLayout> quant_param_layout(const ir::Node& node, const Shape& x, const Shape& param,
                                              int64_t axis, int64_t block_size);

/// The values of an optional zero point input as int32 (a vector of one 0 when it is absent).
std::vector<int32_t> zero_points(const RunContext& ctx, size_t input);

/// The values of a scale input as float.
inline std::vector<float> scales(const RunContext& ctx, size_t input) {
  return ctx.input(input).to_float_vector();
}

/// Checks that a per-tensor or per-channel parameter has 1 or `channels` values; names it.
Status check_param_count(const RunContext& ctx, size_t input, const char* name, int64_t count,
                         int64_t channels);

/// Per-channel value c of a parameter holding 1 or `channels` values.
template <typename V>
V per_channel(const std::vector<V>& v, int64_t c) {
  return v.size() == 1 ? v[0] : v[static_cast<size_t>(c)];
}

}  // namespace kiln::ops
