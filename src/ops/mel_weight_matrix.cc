// MelWeightMatrix: [dft_length / 2 + 1, num_mel_bins] triangular filters that map a onesided
// spectrum to mel bands between lower_edge_hertz and upper_edge_hertz. Follows the ONNX
// reference: num_mel_bins + 2 band edges evenly spaced in mel (2595 log10(1 + hz / 700)),
// snapped to the spectrum bins floor((dft_length + 1) * hz / sample_rate).
#include <cmath>

#include "ops/dtype_attr.h"
#include "ops/util.h"

namespace kiln::ops {
namespace {

struct MelArgs {
  int64_t mel_bins = 0, dft_length = 0, sample_rate = 0;
  float lower = 0, upper = 0;
};

Expected<MelArgs> args_of(const ir::Node& node, const Tensor* const v[5]) {
  for (int i = 0; i < 5; ++i) {
    if (v[i]->numel() != 1)
      return invalid_argument(node.describe() + ": input " + std::to_string(i) + " must be a scalar");
  }
  MelArgs a{v[0]->as_int64(0), v[1]->as_int64(0), v[2]->as_int64(0), static_cast<float>(v[3]->as_double(0)),
            static_cast<float>(v[4]->as_double(0))};
  if (a.mel_bins <= 0 || a.dft_length <= 0 || a.sample_rate <= 0) {
    return invalid_argument(node.describe() + ": num_mel_bins, dft_length and sample_rate must be positive");
  }
  if (!(a.lower >= 0 && a.lower < a.upper)) {
    return invalid_argument(node.describe() + ": need 0 <= lower_edge_hertz < upper_edge_hertz");
  }
  return a;
}

Status infer(InferContext& ctx) {
  KILN_ASSIGN_OR_RETURN(DataType dt, dtype_attr(ctx.node, "output_datatype", DataType::kFloat32));
  const int64_t bins = ctx.value(0) != nullptr && ctx.value(0)->numel() == 1 ? ctx.value(0)->as_int64(0) : -1;
  const int64_t spectrum =
      ctx.value(1) != nullptr && ctx.value(1)->numel() == 1 ? ctx.value(1)->as_int64(0) / 2 + 1 : -1;
  ctx.set_output(0, dt, {spectrum, bins});
  return Status::ok();
}

Status run(RunContext& ctx) {
  KILN_ASSIGN_OR_RETURN(DataType dt, dtype_attr(ctx.node, "output_datatype", DataType::kFloat32));
  const Tensor* v[5];
  for (int i = 0; i < 5; ++i) v[i] = &ctx.input(i);
  KILN_ASSIGN_OR_RETURN(MelArgs a, args_of(ctx.node, v));
  const int64_t spectrum = a.dft_length / 2 + 1;
  // The reference computes the mel edges in float and the rest in double.
  const float low_mel = 2595.0f * std::log10(1.0f + a.lower / 700.0f);
  const float high_mel = 2595.0f * std::log10(1.0f + a.upper / 700.0f);
  const float mel_step = (high_mel - low_mel) / static_cast<float>(a.mel_bins + 2);
  std::vector<int64_t> edge(static_cast<size_t>(a.mel_bins + 2));
  for (int64_t i = 0; i < a.mel_bins + 2; ++i) {
    const double mel = static_cast<double>(i) * static_cast<double>(mel_step) + static_cast<double>(low_mel);
    const double hz = 700.0 * (std::pow(10.0, mel / 2595.0) - 1.0);
    edge[i] = static_cast<int64_t>(
        std::floor(static_cast<double>(a.dft_length + 1) * hz / static_cast<double>(a.sample_rate)));
  }
  std::vector<double> out(static_cast<size_t>(spectrum * a.mel_bins), 0.0);
  auto set = [&](int64_t row, int64_t col, double value) {
    if (row >= 0 && row < spectrum) out[row * a.mel_bins + col] = value;
  };
  for (int64_t i = 0; i < a.mel_bins; ++i) {
    const int64_t lo = edge[i], center = edge[i + 1], hi = edge[i + 2];
    if (center == lo) {
      set(center, i, 1.0);
    } else {
      for (int64_t j = lo; j <= center; ++j)
        set(j, i, static_cast<double>(j - lo) / static_cast<double>(center - lo));
    }
    for (int64_t j = center; j < hi; ++j)
      set(j, i, static_cast<double>(hi - j) / static_cast<double>(hi - center));
  }
  ctx.set_output(0, Tensor::from_doubles(dt, {spectrum, a.mel_bins}, out));
  return Status::ok();
}

}  // namespace

KILN_REGISTER_OP({.op_type = "MelWeightMatrix", .infer = infer, .reference = run});

}  // namespace kiln::ops
