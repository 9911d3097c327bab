// RoiAlign: for each region of interest (x1, y1, x2, y2) in rois, pools X [N, C, H, W] of the
// region's batch into an output_height x output_width grid of bins, each the average (or max) of
// bilinear samples. Follows ONNX Runtime's kernel, whose outputs the conformance tests hold:
// "max" takes the max of the weighted corner terms, not of interpolated values.
#include <algorithm>
#include <cmath>

#include "ops/kernel_util.h"
#include "ops/util.h"

namespace kiln::ops {
namespace {

struct Params {
  bool max = false;
  int64_t out_h = 1, out_w = 1;
  int64_t sampling_ratio = 0;
  float spatial_scale = 1;
  bool half_pixel = true;
};

Expected<Params> read_params(const ir::Node& node) {
  Params p;
  const std::string mode = node.attr_string("mode", "avg");
  if (mode != "avg" && mode != "max") {
    return invalid_argument(node.describe() + ": mode '" + mode + "' is not one of avg, max");
  }
  p.max = mode == "max";
  p.out_h = node.attr_int("output_height", 1);
  p.out_w = node.attr_int("output_width", 1);
  p.sampling_ratio = node.attr_int("sampling_ratio", 0);
  p.spatial_scale = node.attr_float("spatial_scale", 1.0f);
  if (p.out_h <= 0 || p.out_w <= 0 || p.sampling_ratio < 0) {
    return invalid_argument(node.describe() +
                            ": output_height and output_width must be positive and "
                            "sampling_ratio non-negative");
  }
  // Opset 10 had no coordinate_transformation_mode and behaved as output_half_pixel.
  const std::string coord = node.attr_string("coordinate_transformation_mode",
                                             node.opset >= 16 ? "half_pixel" : "output_half_pixel");
  if (coord != "half_pixel" && coord != "output_half_pixel") {
    return invalid_argument(node.describe() + ": coordinate_transformation_mode '" + coord +
                            "' is not one of half_pixel, output_half_pixel");
  }
  p.half_pixel = coord == "half_pixel";
  return p;
}

Status infer(InferContext& ctx) {
  KILN_ASSIGN_OR_RETURN(Params p, read_params(ctx.node));
  const DataType dt = ctx.dtype(0);
  if (!ctx.input(0).rank_known || !ctx.input(1).rank_known) {
    ctx.set_output(0, dt, {-1, -1, p.out_h, p.out_w});
    return Status::ok();
  }
  const Shape& x = ctx.shape(0);
  const Shape& rois = ctx.shape(1);
  if (x.size() != 4 || rois.size() != 2 || (rois[1] >= 0 && rois[1] != 4)) {
    return ctx.error("expects X [N, C, H, W] and rois [num_rois, 4]; got " + shape_str(x) + " and " +
                     shape_str(rois));
  }
  ctx.set_output(0, dt, {rois[0], x[1], p.out_h, p.out_w});
  return Status::ok();
}

// One bilinear sample: four input offsets and their weights (all zero outside the image).
template <typename A>
struct Sample {
  int64_t pos[4] = {0, 0, 0, 0};
  A w[4] = {0, 0, 0, 0};
};

template <typename A>
Sample<A> bilinear_sample(A y, A x, int64_t height, int64_t width) {
  Sample<A> s;
  if (!(y >= -1 && y <= static_cast<A>(height) && x >= -1 && x <= static_cast<A>(width))) return s;
  y = std::max(y, A(0));
  x = std::max(x, A(0));
  int64_t y_low = static_cast<int64_t>(y), x_low = static_cast<int64_t>(x), y_high, x_high;
  if (y_low >= height - 1) {
    y_high = y_low = height - 1;
    y = static_cast<A>(y_low);
  } else {
    y_high = y_low + 1;
  }
  if (x_low >= width - 1) {
    x_high = x_low = width - 1;
    x = static_cast<A>(x_low);
  } else {
    x_high = x_low + 1;
  }
  const A ly = y - static_cast<A>(y_low), lx = x - static_cast<A>(x_low);
  const A hy = 1 - ly, hx = 1 - lx;
  s.pos[0] = y_low * width + x_low;
  s.pos[1] = y_low * width + x_high;
  s.pos[2] = y_high * width + x_low;
  s.pos[3] = y_high * width + x_high;
  s.w[0] = hy * hx;
  s.w[1] = hy * lx;
  s.w[2] = ly * hx;
  s.w[3] = ly * lx;
  return s;
}

Status run(RunContext& ctx) {
  KILN_ASSIGN_OR_RETURN(Params p, read_params(ctx.node));
  const Tensor& x = ctx.input(0);
  const Tensor& rois = ctx.input(1);
  const Tensor& batch = ctx.input(2);
  if (x.rank() != 4 || rois.rank() != 2 || rois.dim(1) != 4 || batch.rank() != 1 ||
      batch.dim(0) != rois.dim(0)) {
    return ctx.error("expects X [N, C, H, W], rois [num_rois, 4] and batch_indices [num_rois]; got " +
                     shape_str(x.shape()) + ", " + shape_str(rois.shape()) + " and " +
                     shape_str(batch.shape()));
  }
  if (rois.dtype() != x.dtype()) return ctx.error("rois must have the type of X");
  const int64_t num_rois = rois.dim(0), channels = x.dim(1), height = x.dim(2), width = x.dim(3);
  const std::vector<int64_t> batch_idx = batch.to_int64_vector();
  for (int64_t b : batch_idx) {
    if (b < 0 || b >= x.dim(0)) return ctx.error("batch index " + std::to_string(b) + " is out of range");
  }
  Tensor& y = ctx.allocate_output(0, x.dtype(), {num_rois, channels, p.out_h, p.out_w});
  return visit_float_dtype(x.dtype(), "RoiAlign", [&]<typename T>() {
    using A = float_acc_t<T>;
    const T* src = x.data<T>();
    const T* roi = rois.data<T>();
    T* dst = y.data<T>();
    const A offset = p.half_pixel ? A(0.5) : A(0);
    const A scale = static_cast<A>(p.spatial_scale);
    std::vector<Sample<A>> samples;
    for (int64_t r = 0; r < num_rois; ++r) {
      const A start_w = static_cast<A>(roi[r * 4 + 0]) * scale - offset;
      const A start_h = static_cast<A>(roi[r * 4 + 1]) * scale - offset;
      A roi_w = static_cast<A>(roi[r * 4 + 2]) * scale - offset - start_w;
      A roi_h = static_cast<A>(roi[r * 4 + 3]) * scale - offset - start_h;
      if (!p.half_pixel) {  // legacy: force malformed rois to be at least 1x1
        roi_w = std::max(roi_w, A(1));
        roi_h = std::max(roi_h, A(1));
      }
      const A bin_h = roi_h / static_cast<A>(p.out_h), bin_w = roi_w / static_cast<A>(p.out_w);
      const A grid_hf = p.sampling_ratio > 0 ? static_cast<A>(p.sampling_ratio)
                                             : std::ceil(roi_h / static_cast<A>(p.out_h));
      const A grid_wf = p.sampling_ratio > 0 ? static_cast<A>(p.sampling_ratio)
                                             : std::ceil(roi_w / static_cast<A>(p.out_w));
      if (!(grid_hf >= 0 && grid_wf >= 0 && grid_hf * grid_wf <= A(1 << 24))) {
        return ctx.error("region of interest " + std::to_string(r) + " has an unusable size");
      }
      const int64_t grid_h = static_cast<int64_t>(grid_hf), grid_w = static_cast<int64_t>(grid_wf);
      const A count = static_cast<A>(std::max<int64_t>(grid_h * grid_w, 1));
      // The samples' positions and weights are the same for every channel.
      samples.clear();
      for (int64_t ph = 0; ph < p.out_h; ++ph) {
        for (int64_t pw = 0; pw < p.out_w; ++pw) {
          for (int64_t iy = 0; iy < grid_h; ++iy) {
            const A yy = start_h + static_cast<A>(ph) * bin_h +
                         (static_cast<A>(iy) + A(0.5)) * bin_h / static_cast<A>(grid_h);
            for (int64_t ix = 0; ix < grid_w; ++ix) {
              const A xx = start_w + static_cast<A>(pw) * bin_w +
                           (static_cast<A>(ix) + A(0.5)) * bin_w / static_cast<A>(grid_w);
              samples.push_back(bilinear_sample(yy, xx, height, width));
            }
          }
        }
      }
      const int64_t per_bin = grid_h * grid_w;
      for (int64_t c = 0; c < channels; ++c) {
        const T* img = src + (batch_idx[r] * channels + c) * height * width;
        T* out = dst + (r * channels + c) * p.out_h * p.out_w;
        for (int64_t bin = 0; bin < p.out_h * p.out_w; ++bin) {
          A acc = 0;
          for (int64_t k = 0; k < per_bin; ++k) {
            const Sample<A>& s = samples[bin * per_bin + k];
            A t[4];
            for (int q = 0; q < 4; ++q) t[q] = s.w[q] * static_cast<A>(img[s.pos[q]]);
            if (p.max) {
              const A m = std::max(std::max(std::max(t[0], t[1]), t[2]), t[3]);
              acc = k == 0 ? m : std::max(acc, m);
            } else {
              acc += t[0] + t[1] + t[2] + t[3];
            }
          }
          out[bin] = static_cast<T>(p.max ? acc : acc / count);
        }
      }
    }
    return Status::ok();
  });
}

Cost cost(const ir::Node& node, std::span<const TensorType> in, std::span<const TensorType> out) {
  const int64_t ratio = std::max<int64_t>(node.attr_int("sampling_ratio", 0), 2);
  return {.flops = 8.0 * static_cast<double>(ratio * ratio) * type_numel(out[0]), .bytes = io_bytes(in, out)};
}

}  // namespace

KILN_REGISTER_OP({.op_type = "RoiAlign", .infer = infer, .reference = run, .cost = cost});

}  // namespace kiln::ops
