// BatchNormalization: y = (x - mean) / sqrt(var + epsilon) * scale + B per channel (axis 1).
// Inference uses the given running statistics. training_mode (opset 14+) normalises with the batch
// statistics and also outputs the updated running mean and variance. Before opset 9, spatial = 0
// gives statistics per (channel, spatial position) instead.
#include <cmath>
#include <vector>

#include "ops/required_inputs.h"
#include "ops/spatial.h"

namespace kiln::ops {
namespace {

bool training(const ir::Node& node) { return node.opset >= 14 && node.attr_int("training_mode", 0) != 0; }

Status infer(InferContext& ctx) {
  if (ctx.num_inputs() < 5) return ctx.error("expects inputs X, scale, B, input_mean and input_var");
  const TensorType& x = ctx.input(0);
  if (!dtype_is_float(x.dtype))
    return ctx.error(std::string("X has type ") + dtype_name(x.dtype) + ", expected a float type");
  if (x.rank_known) {
    ctx.set_output(0, x.dtype, x.shape);
  } else {
    ctx.set_output_unknown_rank(0, x.dtype);
  }
  // Outputs 1-2: running mean and variance (type of input_mean); 3-4 (before opset 14): saved batch stats.
  const TensorType& stats = ctx.input(3);
  for (size_t i = 1; i < ctx.num_outputs(); ++i) {
    const DataType t = i < 3 ? ctx.dtype(i + 2) : x.dtype;
    if (stats.rank_known) {
      ctx.set_output(i, t, stats.shape);
    } else {
      ctx.set_output_unknown_rank(i, t);
    }
  }
  return Status::ok();
}

Status run(RunContext& ctx) {
  KILN_RETURN_IF_ERROR(require_inputs(ctx, 5));
  const Tensor& x = ctx.input(0);
  if (x.rank() < 2) return ctx.error("X must have rank 2 or more ([N, C, ...])");
  const int64_t batch = x.dim(0), channels = x.dim(1);
  if (channels == 0) return ctx.error("X has no channels");
  const int64_t plane = batch * channels == 0 ? 0 : x.numel() / (batch * channels);
  // `features` statistics, each covering `inner` consecutive elements of every (n, c) plane.
  const int64_t count = ctx.input(1).numel();
  int64_t features = channels, inner = plane;
  if (count != channels) {
    if (count != channels * plane) {
      return ctx.error("scale has " + std::to_string(count) + " values, expected " +
                       std::to_string(channels) + " (one per channel)");
    }
    features = count, inner = 1;  // spatial = 0 (opset < 9): one statistic per (c, position)
  }
  for (size_t i = 2; i < 5; ++i) {
    if (ctx.input(i).numel() != count)
      return ctx.error("scale, B, input_mean and input_var must have the same size");
  }
  const std::vector<float> scale = ctx.input(1).to_float_vector(), bias = ctx.input(2).to_float_vector();
  std::vector<double> mean(static_cast<size_t>(count)), var(static_cast<size_t>(count));
  for (int64_t f = 0; f < count; ++f) {
    mean[f] = ctx.input(3).as_double(f);
    var[f] = ctx.input(4).as_double(f);
  }
  const double epsilon = ctx.node.attr_float("epsilon", 1e-5f);
  const double momentum = ctx.node.attr_float("momentum", 0.9f);
  const int64_t per_channel = features / channels;  // 1, or the plane size with spatial = 0

  return visit_float_dtype(x.dtype(), "BatchNormalization", [&]<typename T>() -> Status {
    using Acc = std::conditional_t<std::is_same_v<T, double>, double, float>;
    const T* src = x.data<T>();
    // Offset of the run of `inner` elements of feature f in image n.
    auto at = [&](int64_t n, int64_t f) {
      return (n * channels + f / per_channel) * plane + (f % per_channel) * inner;
    };
    std::vector<double> batch_mean(static_cast<size_t>(features)), batch_var(static_cast<size_t>(features));
    const bool train = training(ctx.node) || (ctx.node.opset < 14 && ctx.output_requested(3));
    if (train) {
      const double n = static_cast<double>(batch * inner);
      for (int64_t f = 0; f < features; ++f) {
        Acc sum = 0, sq = 0;
        for (int64_t b = 0; b < batch; ++b) {
          const T* run = src + at(b, f);
          for (int64_t j = 0; j < inner; ++j) sum += static_cast<Acc>(run[j]);
        }
        const Acc m = sum / static_cast<Acc>(n);
        for (int64_t b = 0; b < batch; ++b) {
          const T* run = src + at(b, f);
          for (int64_t j = 0; j < inner; ++j)
            sq += (static_cast<Acc>(run[j]) - m) * (static_cast<Acc>(run[j]) - m);
        }
        batch_mean[f] = m, batch_var[f] = sq / static_cast<Acc>(n);
      }
    }
    const bool use_batch = training(ctx.node);
    Tensor& y = ctx.allocate_output(0, x.dtype(), x.shape());
    T* dst = y.data<T>();
    for (int64_t f = 0; f < features; ++f) {
      const Acc m = static_cast<Acc>(use_batch ? batch_mean[f] : mean[f]);
      const Acc v = static_cast<Acc>(use_batch ? batch_var[f] : var[f]);
      const Acc inv = Acc(1) / std::sqrt(v + static_cast<Acc>(epsilon));
      const Acc a = inv * scale[f], c = bias[f];
      for (int64_t b = 0; b < batch; ++b) {
        const int64_t base = at(b, f);
        for (int64_t j = 0; j < inner; ++j)
          dst[base + j] = static_cast<T>((static_cast<Acc>(src[base + j]) - m) * a + c);
      }
    }
    // Running statistics: updated with the batch's when training, passed through otherwise.
    for (size_t o = 1; o < 3; ++o) {
      if (!ctx.output_requested(o)) continue;
      const Tensor& running = ctx.input(o + 2);
      std::vector<double> v(static_cast<size_t>(count));
      for (int64_t f = 0; f < count; ++f) {
        const double batch_stat = o == 1 ? batch_mean[f] : batch_var[f];
        v[f] =
            use_batch ? running.as_double(f) * momentum + batch_stat * (1 - momentum) : running.as_double(f);
      }
      ctx.set_output(o, Tensor::from_doubles(running.dtype(), running.shape(), v));
    }
    for (size_t o = 3; o < 5; ++o) {  // saved mean and variance of the batch (opset < 14)
      if (ctx.output_requested(o)) {
        ctx.set_output(
            o, Tensor::from_doubles(x.dtype(), ctx.input(3).shape(), o == 3 ? batch_mean : batch_var));
      }
    }
    return Status::ok();
  });
}

// A subtraction, a multiply-add and a scale per element (inference); training adds two passes.
Cost cost(const ir::Node& node, std::span<const TensorType> in, std::span<const TensorType> out) {
  Cost c;
  for (const auto& t : in) c.bytes += tensor_bytes(t);
  for (const auto& t : out) c.bytes += tensor_bytes(t);
  if (!in.empty()) c.flops = known_numel(in[0]) * (training(node) ? 7 : 3);
  return c;
}

}  // namespace

KILN_REGISTER_OP(
    {.op_type = "BatchNormalization", .domain = "", .infer = infer, .reference = run, .cost = cost});

}  // namespace kiln::ops
