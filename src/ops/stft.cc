// STFT: the DFT of frames of signal [batch, length, 1 | 2], each frame_length long and
// frame_step apart, times the window when given. Output [batch, frames, bins, 2] with
// frames = (length - frame_length) / frame_step + 1 and bins = frame_length / 2 + 1 when
// onesided (the default), else frame_length.
#include <algorithm>
#include <complex>
#include <optional>

#include "ops/dft_util.h"
#include "ops/kernel_util.h"
#include "ops/util.h"

namespace kiln::ops {
namespace {

struct Framing {
  int64_t step = -1, length = -1;  // -1 while unknown
};

// Inputs: 1 frame_step (scalar), 2 window [frame_length] (optional), 3 frame_length (optional).
Expected<Framing> framing_of(const ir::Node& node, const Tensor* step, bool window_given, int64_t window_len,
                             bool length_given, const Tensor* length) {
  Framing f;
  if (step != nullptr) {
    if (step->numel() != 1) return invalid_argument(node.describe() + ": frame_step must be a scalar");
    f.step = step->as_int64(0);
    if (f.step <= 0) return invalid_argument(node.describe() + ": frame_step must be positive");
  }
  if (length_given) {
    if (length != nullptr) {
      if (length->numel() != 1) return invalid_argument(node.describe() + ": frame_length must be a scalar");
      f.length = length->as_int64(0);
      if (f.length <= 0) return invalid_argument(node.describe() + ": frame_length must be positive");
      if (window_given && window_len >= 0 && window_len != f.length) {
        return invalid_argument(node.describe() + ": the window has " + std::to_string(window_len) +
                                " values but frame_length is " + std::to_string(f.length));
      }
    }
  } else if (window_given) {
    f.length = window_len;
  } else {
    return invalid_argument(node.describe() + ": give a window or a frame_length");
  }
  return f;
}

Status infer(InferContext& ctx) {
  const DataType dt = ctx.dtype(0);
  if (!dtype_is_float(dt))
    return ctx.error(std::string("signal type ") + dtype_name(dt) + " is not supported (use a float type)");
  const bool window_given = ctx.has_input(2);
  const int64_t window_len =
      window_given && ctx.input(2).rank_known && ctx.shape(2).size() == 1 ? ctx.shape(2)[0] : -1;
  KILN_ASSIGN_OR_RETURN(Framing f, framing_of(ctx.node, ctx.value(1), window_given, window_len,
                                              ctx.has_input(3), ctx.value(3)));
  const bool onesided = ctx.node.attr_int("onesided", 1) != 0;
  int64_t batch = -1, frames = -1;
  if (ctx.input(0).rank_known) {
    const Shape& s = ctx.shape(0);
    if (s.size() != 3) return ctx.error("the signal must be [batch, length, 1 | 2]; got " + shape_str(s));
    batch = s[0];
    if (s[1] >= 0 && f.step > 0 && f.length > 0) {
      if (s[1] < f.length) return ctx.error("the signal is shorter than one frame");
      frames = (s[1] - f.length) / f.step + 1;
    }
  }
  const int64_t bins = f.length < 0 ? -1 : (onesided ? f.length / 2 + 1 : f.length);
  ctx.set_output(0, dt, {batch, frames, bins, 2});
  return Status::ok();
}

Status run(RunContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (x.rank() != 3 || (x.dim(2) != 1 && x.dim(2) != 2)) {
    return ctx.error("the signal must be [batch, length, 1 | 2]; got " + shape_str(x.shape()));
  }
  const Tensor* window = ctx.has_input(2) ? &ctx.input(2) : nullptr;
  if (window != nullptr && window->rank() != 1) return ctx.error("the window must be 1-D");
  KILN_ASSIGN_OR_RETURN(Framing f, framing_of(ctx.node, &ctx.input(1), window != nullptr,
                                              window != nullptr ? window->dim(0) : -1, ctx.has_input(3),
                                              ctx.has_input(3) ? &ctx.input(3) : nullptr));
  const int64_t batch = x.dim(0), len = x.dim(1), parts = x.dim(2);
  if (len < f.length) return ctx.error("the signal is shorter than one frame");
  const bool onesided = ctx.node.attr_int("onesided", 1) != 0;
  const int64_t frames = (len - f.length) / f.step + 1, bins = onesided ? f.length / 2 + 1 : f.length;
  std::vector<double> win(static_cast<size_t>(f.length), 1.0);
  if (window != nullptr) {
    for (int64_t i = 0; i < f.length; ++i) win[i] = window->as_double(i);
  }
  Tensor& y = ctx.allocate_output(0, x.dtype(), {batch, frames, bins, 2});
  return visit_float_dtype(x.dtype(), "STFT", [&]<typename T>() {
    const T* src = x.data<T>();
    T* dst = y.data<T>();
    const auto w = dft_twiddles(f.length, false);
    std::vector<std::complex<double>> frame(static_cast<size_t>(f.length)), out(static_cast<size_t>(bins));
    for (int64_t b = 0; b < batch; ++b) {
      for (int64_t fr = 0; fr < frames; ++fr) {
        for (int64_t j = 0; j < f.length; ++j) {
          const T* e = src + (b * len + fr * f.step + j) * parts;
          frame[j] =
              std::complex<double>(static_cast<double>(e[0]), parts == 2 ? static_cast<double>(e[1]) : 0.0) *
              win[j];
        }
        dft_row(frame, w, 1.0, out);
        for (int64_t k = 0; k < bins; ++k) {
          T* e = dst + ((b * frames + fr) * bins + k) * 2;
          e[0] = static_cast<T>(out[k].real());
          e[1] = static_cast<T>(out[k].imag());
        }
      }
    }
    return Status::ok();
  });
}

Cost cost(const ir::Node&, std::span<const TensorType> in, std::span<const TensorType> out) {
  // A complex multiply-add per bin per frame sample; the frame length is about twice the bins.
  const double bins = out[0].rank_known && out[0].shape.size() == 4
                          ? static_cast<double>(std::max<int64_t>(out[0].shape[2], 0))
                          : 0;
  return {.flops = 8 * 2 * bins * type_numel(out[0]) / 2, .bytes = io_bytes(in, out)};
}

}  // namespace

KILN_REGISTER_OP({.op_type = "STFT", .infer = infer, .reference = run, .cost = cost});

}  // namespace kiln::ops
