// kiln.ToBlocked, kiln.ToPlanar and kiln.BlockedConv: see blocked_layout.h.
#include "ops/blocked_layout.h"

#include <algorithm>
#include <cstring>

#include "ops/elementwise.h"
#include "ops/fused_layer.h"
#include "ops/op.h"

namespace kiln::ops {

Shape blocked_shape(const Shape& planar, int64_t block) {
  Shape s = planar;
  s[1] = (planar[1] + block - 1) / block;
  s.push_back(block);
  return s;
}

Shape planar_shape(const Shape& blocked, int64_t channels) {
  Shape s(blocked.begin(), blocked.end() - 1);
  s[1] = channels;
  return s;
}

void to_blocked(const float* planar, float* blocked, int64_t n, int64_t c, int64_t spatial, int64_t block) {
  const int64_t cb = (c + block - 1) / block;
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t k = 0; k < cb; ++k) {
      float* dst = blocked + (i * cb + k) * spatial * block;
      const int64_t lanes = std::min(block, c - k * block);
      if (lanes < block) std::memset(dst, 0, spatial * block * sizeof(float));
      for (int64_t l = 0; l < lanes; ++l) {
        const float* src = planar + (i * c + k * block + l) * spatial;
        for (int64_t p = 0; p < spatial; ++p) dst[p * block + l] = src[p];
      }
    }
  }
}

void to_planar(const float* blocked, float* planar, int64_t n, int64_t c, int64_t spatial, int64_t block) {
  const int64_t cb = (c + block - 1) / block;
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t ch = 0; ch < c; ++ch) {
      const float* src = blocked + (i * cb + ch / block) * spatial * block + ch % block;
      float* dst = planar + (i * c + ch) * spatial;
      for (int64_t p = 0; p < spatial; ++p) dst[p] = src[p * block];
    }
  }
}

namespace {

int64_t spatial_of(const Shape& s, size_t first) {
  int64_t n = 1;
  for (size_t i = first; i < s.size(); ++i) n *= s[i];
  return n;
}

Expected<int64_t> block_attr(const ir::Node& node) {
  const int64_t b = node.attr_int("block", 0);
  if (b != 8 && b != 16) {
    return invalid_argument(node.describe() + ": attribute block is " + std::to_string(b) +
                            "; the blocked layout has blocks of 8 or 16 channels");
  }
  return b;
}

// ---- ToBlocked --------------------------------------------------------------------------------

Status infer_to_blocked(InferContext& ctx) {
  KILN_ASSIGN_OR_RETURN(const int64_t b, block_attr(ctx.node));
  if (ctx.num_inputs() != 1 || ctx.dtype(0) != DataType::kFloat32)
    return ctx.error("takes one float32 input");
  if (!ctx.input(0).shape_known() || ctx.shape(0).size() < 2)
    return ctx.error("needs a static input of rank >= 2 (N, C, spatial...)");
  ctx.set_output(0, DataType::kFloat32, blocked_shape(ctx.shape(0), b));
  return Status::ok();
}

Status run_to_blocked(RunContext& ctx) {
  const Tensor& x = ctx.input(0);
  const int64_t b = ctx.node.attr_int("block", 16);
  Tensor& y = ctx.allocate_output(0, DataType::kFloat32, blocked_shape(x.shape(), b));
  to_blocked(x.data<float>(), y.data<float>(), x.shape()[0], x.shape()[1], spatial_of(x.shape(), 2), b);
  return Status::ok();
}

// ---- ToPlanar ---------------------------------------------------------------------------------

Status check_blocked_input(const InferContext& ctx, size_t i, int64_t channels) {
  const TensorType& t = ctx.input(i);
  if (t.dtype != DataType::kFloat32 || !t.shape_known() || t.shape.size() < 3)
    return ctx.error("input " + std::to_string(i) + " must be a static blocked float32 tensor");
  const int64_t b = t.shape.back();
  if ((b != 8 && b != 16) || t.shape[1] != (channels + b - 1) / b) {
    return ctx.error("input " + std::to_string(i) + " (" + shape_str(t.shape) + ") is not " +
                     std::to_string(channels) + " channels in blocks of 8 or 16");
  }
  return Status::ok();
}

Status infer_to_planar(InferContext& ctx) {
  const int64_t c = ctx.node.attr_int("channels", 0);
  if (ctx.num_inputs() != 1 || c <= 0) return ctx.error("takes one input and channels > 0");
  KILN_RETURN_IF_ERROR(check_blocked_input(ctx, 0, c));
  ctx.set_output(0, DataType::kFloat32, planar_shape(ctx.shape(0), c));
  return Status::ok();
}

Status run_to_planar(RunContext& ctx) {
  const Tensor& x = ctx.input(0);
  const int64_t c = ctx.node.attr_int("channels", 0);
  const int64_t b = x.shape().back();
  Tensor& y = ctx.allocate_output(0, DataType::kFloat32, planar_shape(x.shape(), c));
  to_planar(x.data<float>(), y.data<float>(), x.shape()[0], c, spatial_of(y.shape(), 2), b);
  return Status::ok();
}

// ---- BlockedConv ------------------------------------------------------------------------------

// The FusedConv node this one computes, for its reference and inference.
ir::Node planar_node(const ir::Node& node) {
  ir::Node p = node;
  p.op_type = std::string(kFusedPrefix) + "Conv";
  p.attrs.erase("block");
  return p;
}

// Input channels from W ([out, in / group, k...]) and the group.
int64_t conv_in_channels(const ir::Node& node, const Shape& w) { return w[1] * node.attr_int("group", 1); }

Status infer_blocked_conv(InferContext& ctx) {
  KILN_ASSIGN_OR_RETURN(const int64_t b, block_attr(ctx.node));
  if (ctx.num_inputs() < 2 || !ctx.input(1).shape_known() || ctx.shape(1).size() < 3)
    return ctx.error("expects X (blocked) and a static W");
  const Shape& w = ctx.shape(1);
  const int64_t cin = conv_in_channels(ctx.node, w), cout = w[0];
  const bool planar_in = ctx.input(0).rank_known && ctx.shape(0).size() == 4;  // a first layer's image
  if (!planar_in) {
    KILN_RETURN_IF_ERROR(check_blocked_input(ctx, 0, cin));
    if (ctx.shape(0).back() != b) return ctx.error("X's blocks do not have the node's block size");
  }
  std::vector<TensorType> types;
  std::vector<const Tensor*> values;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    TensorType t = ctx.input(i);
    if (i == 0 && !planar_in) t.shape = planar_shape(t.shape, cin);
    if (i == kResidualInput && ctx.has_input(i)) {
      KILN_RETURN_IF_ERROR(check_blocked_input(ctx, i, cout));
      t.shape = planar_shape(t.shape, cout);
    }
    types.push_back(t);
    values.push_back(i == 0 || i == kResidualInput ? nullptr : ctx.value(i));
  }
  const ir::Node p = planar_node(ctx.node);
  InferContext pc(p, types, values);
  KILN_RETURN_IF_ERROR(find_op("kiln", p.op_type)->infer(pc));
  if (pc.outputs.empty() || !pc.outputs[0].shape_known()) return ctx.error("output shape is not static");
  ctx.set_output(0, DataType::kFloat32, blocked_shape(pc.outputs[0].shape, b));
  return Status::ok();
}

Tensor unblock(const Tensor& x, int64_t channels) {
  Tensor y(DataType::kFloat32, planar_shape(x.shape(), channels));
  to_planar(x.data<float>(), y.data<float>(), y.shape()[0], channels, spatial_of(y.shape(), 2),
            x.shape().back());
  return y;
}

Status run_blocked_conv(RunContext& ctx) {
  const Tensor& w = ctx.input(1);
  const int64_t b = ctx.node.attr_int("block", 16);
  const int64_t cin = conv_in_channels(ctx.node, w.shape()), cout = w.shape()[0];
  std::vector<Tensor> planar;
  std::vector<const Tensor*> in;
  planar.reserve(2);
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    if (!ctx.has_input(i)) {
      in.push_back(nullptr);
    } else if ((i == 0 && ctx.input(0).rank() == 5) || i == kResidualInput) {
      planar.push_back(unblock(ctx.input(i), i == 0 ? cin : cout));
      in.push_back(&planar.back());
    } else {
      in.push_back(&ctx.input(i));
    }
  }
  const ir::Node p = planar_node(ctx.node);
  RunContext pc(p, in, ctx.subgraphs());
  KILN_RETURN_IF_ERROR(find_op("kiln", p.op_type)->reference(pc));
  const Tensor& y = pc.output(0);
  Tensor& out = ctx.allocate_output(0, DataType::kFloat32, blocked_shape(y.shape(), b));
  to_blocked(y.data<float>(), out.data<float>(), y.shape()[0], cout, spatial_of(y.shape(), 2), b);
  return Status::ok();
}

// FusedConv's cost on the planar types (what the layer computes, not the padding).
Cost cost_blocked_conv(const ir::Node& node, std::span<const TensorType> in,
                       std::span<const TensorType> out) {
  if (in.size() < 2 || !in[1].shape_known() || in[1].shape.size() < 3 || out.empty() || !out[0].shape_known())
    return per_element_cost(1, in, out);
  const int64_t cin = conv_in_channels(node, in[1].shape), cout = in[1].shape[0];
  std::vector<TensorType> pin(in.begin(), in.end()), pout(out.begin(), out.end());
  if (pin[0].shape_known() && pin[0].shape.size() == 5) pin[0].shape = planar_shape(pin[0].shape, cin);
  if (pin.size() > kResidualInput && pin[kResidualInput].shape_known() &&
      pin[kResidualInput].shape.size() >= 3)
    pin[kResidualInput].shape = planar_shape(pin[kResidualInput].shape, cout);
  pout[0].shape = planar_shape(pout[0].shape, cout);
  const ir::Node p = planar_node(node);
  return op_cost(p, pin, pout);
}

// The residual when the output may be written over it: every BlockedConv kernel reads an output
// element's residual before it writes anything there (the direct kernel adds it in its first pass
// over K, so it must come before the activation), and no other input may be the same tensor.
int blocked_conv_in_place(const ir::Node& node) {
  const ir::Value* r = node.input(kResidualInput);
  if (!r || r == node.input(0) || node.attr_string("residual_position", "") == "after") return -1;
  return static_cast<int>(kResidualInput);
}

}  // namespace

KILN_REGISTER_OP(
    {.op_type = kToBlocked, .domain = "kiln", .infer = infer_to_blocked, .reference = run_to_blocked});
KILN_REGISTER_OP(
    {.op_type = kToPlanar, .domain = "kiln", .infer = infer_to_planar, .reference = run_to_planar});
KILN_REGISTER_OP({.op_type = kBlockedConv,
                  .domain = "kiln",
                  .infer = infer_blocked_conv,
                  .reference = run_blocked_conv,
                  .cost = cost_blocked_conv,
                  .memory = Memory::kInPlace,
                  .in_place_input = blocked_conv_in_place});

}  // namespace kiln::ops
