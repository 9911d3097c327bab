#include "ops/util.h"

namespace kiln::ops {

std::vector<int64_t> strides_of(const Shape& shape) {
  std::vector<int64_t> s(shape.size(), 1);
  for (int64_t i = static_cast<int64_t>(shape.size()) - 2; i >= 0; --i) s[i] = s[i + 1] * shape[i + 1];
  return s;
}

Expected<int64_t> normalize_axis(const ir::Node& node, int64_t axis, int64_t rank) {
  int64_t a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) {
    return invalid_argument(node.describe() + ": axis " + std::to_string(axis) + " is out of range for rank " +
                            std::to_string(rank));
  }
  return a;
}

Expected<Shape> broadcast_shapes(const ir::Node& node, const std::vector<Shape>& shapes) {
  size_t rank = 0;
  for (const auto& s : shapes) rank = std::max(rank, s.size());
  Shape out(rank, 1);
  for (const auto& s : shapes) {
    size_t off = rank - s.size();
    for (size_t i = 0; i < s.size(); ++i) {
      int64_t d = s[i];
      int64_t& o = out[off + i];
      if (d == 1) continue;
      if (o == 1) {
        o = d;
      } else if (d == -1) {
        // unknown stays as whatever is known
      } else if (o == -1) {
        o = d;
      } else if (o != d) {
        return invalid_argument(node.describe() + ": shapes cannot be broadcast together (dimension " +
                                std::to_string(o) + " vs " + std::to_string(d) + ")");
      }
    }
  }
  return out;
}

std::vector<int64_t> broadcast_offsets(const Shape& in, const Shape& out) {
  const int64_t n = shape_numel(out);
  std::vector<int64_t> offsets(static_cast<size_t>(n));
  const size_t rank = out.size();
  const size_t off = rank - in.size();
  std::vector<int64_t> in_strides = strides_of(in);
  // Effective stride per output dim: 0 where the input is broadcast.
  std::vector<int64_t> eff(rank, 0);
  for (size_t i = 0; i < in.size(); ++i) eff[off + i] = in[i] == 1 ? 0 : in_strides[i];
  std::vector<int64_t> idx(rank, 0);
  int64_t cur = 0;
  for (int64_t k = 0; k < n; ++k) {
    offsets[static_cast<size_t>(k)] = cur;
    for (int64_t d = static_cast<int64_t>(rank) - 1; d >= 0; --d) {
      if (++idx[d] < out[d]) {
        cur += eff[d];
        break;
      }
      cur -= eff[d] * (out[d] - 1);
      idx[d] = 0;
    }
  }
  return offsets;
}

Status infer_same_as_input0(InferContext& ctx) {
  const TensorType& t = ctx.input(0);
  if (t.rank_known) {
    ctx.set_output(0, t.dtype, t.shape);
  } else {
    ctx.set_output_unknown_rank(0, t.dtype);
  }
  return Status::ok();
}

}  // namespace kiln::ops
