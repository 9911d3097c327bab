// Fused pre-processing: an 8-bit HWC image -> bilinear resize -> placement on a padded canvas ->
// channel order -> (v * scale - mean) / std -> CHW float, in one pass over the output.
//
// The resize samples like OpenCV's INTER_LINEAR on 8-bit images, fixed-point rounding included
// (11-bit weights, horizontal pass first, OpenCV's vertical rounding), so its pixels agree with
// cv::resize within one unit of the 8-bit scale. The letterbox, stretch and keep-ratio variants
// are all one `ResizeGeometry`: where the resized image lies in the output canvas.
//
//   auto pre = Preprocessor::create(1920, 1280, spec);   // tables, once per source size
//   pre->run(image.view(), tensor_data, &pool);           // per frame; never allocates the output
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kiln/status.h"
#include "vision/image.h"
#include "vision/resize_kernels.h"
#include "vision/thread_pool.h"

namespace kiln::vision {

/// Where the resized image lies in the output tensor; everything else is padding.
struct ResizeGeometry {
  int out_width = 0, out_height = 0;          // the tensor's W and H
  int resized_width = 0, resized_height = 0;  // the image is resized to this size ...
  int offset_x = 0, offset_y = 0;             // ... and its top-left corner placed here

  /// Source pixel coordinates of a point in the output (undoes offset and scale).
  float to_source_x(float x, int src_width) const {
    return (x - offset_x) * static_cast<float>(src_width) / resized_width;
  }
  float to_source_y(float y, int src_height) const {
    return (y - offset_y) * static_cast<float>(src_height) / resized_height;
  }
};

enum class Placement : uint8_t { kCenter, kTopLeft };

/// Keeps the aspect ratio, fits inside out_w x out_h and pads the rest. The resized size is
/// truncated (YOLOX's int(w * r)); kCenter splits the padding evenly (odd pixel right/bottom).
ResizeGeometry letterbox(int src_w, int src_h, int out_w, int out_h, Placement placement);
/// Fills the whole output, ignoring the aspect ratio.
ResizeGeometry stretch(int out_w, int out_h);
/// Keeps the aspect ratio without padding: the output is the resized size.
ResizeGeometry keep_ratio(int src_w, int src_h, double ratio);

struct PreprocessSpec {
  ResizeGeometry geometry;
  ChannelOrder input_order = ChannelOrder::kRGB;
  ChannelOrder output_order = ChannelOrder::kRGB;
  /// out = (pixel * scale - mean[c]) / std[c], per output channel c.
  float scale = 1.0f;
  std::array<float, 3> mean{0, 0, 0};
  std::array<float, 3> std{1, 1, 1};
  /// The padding's pixel value per output channel, normalized like the image's pixels ...
  std::array<uint8_t, 3> pad_pixel{114, 114, 114};
  /// ... unless this is set: then padding is this output value as is (PaddleOCR pads with 0.0
  /// after normalizing).
  std::optional<float> pad_value;
};

namespace detail {

/// Sampling tables of one (source size, resized size) pair, OpenCV's INTER_LINEAR rules.
struct ResizeTables {
  int src_width = 0, src_height = 0, dst_width = 0, dst_height = 0;
  std::vector<int32_t> xofs0, xofs1;              // byte offsets of the left and right taps (x * 3)
  std::vector<int32_t> alpha;                     // per dst x: left weight | right weight << 16 (sum 2048)
  std::vector<int32_t> yofs0, yofs1;              // source rows of the upper and lower taps
  std::vector<int16_t> beta0, beta1;              // their weights (sum 2048)
  int x_gather_end = 0;                           // see HResizeArgs
  std::vector<int32_t> perm_x, perm_lo, perm_hi;  // see HResizeArgs
  std::vector<uint8_t> perm_index;
  int perm_lanes = 0;
  HResizeArgs hargs() const {
    return {xofs0.data(),
            xofs1.data(),
            alpha.data(),
            dst_width,
            x_gather_end,
            perm_x.data(),
            perm_lo.data(),
            perm_hi.data(),
            perm_index.data(),
            perm_lanes,
            static_cast<int>(perm_x.size()),
            src_width * 3};
  }
};

ResizeTables make_tables(int src_w, int src_h, int dst_w, int dst_h);

}  // namespace detail

class Preprocessor {
 public:
  /// Checks the spec against a source of src_w x src_h and computes the sampling tables.
  /// `kernels` picks an ISA (tests); null: the best this CPU runs.
  static Expected<Preprocessor> create(int src_w, int src_h, const PreprocessSpec& spec,
                                       const detail::ResizeKernels* kernels = nullptr);

  /// Writes 3 * out_height * out_width floats (CHW) to `out`. `src` must have the size given to
  /// create() and 3 channels. `pool`: threads to spread rows over (null: the caller's thread).
  Status run(const ImageView& src, float* out, ThreadPool* pool = nullptr) const;

  const PreprocessSpec& spec() const { return spec_; }
  size_t output_floats() const { return size_t{3} * spec_.geometry.out_width * spec_.geometry.out_height; }
  const char* isa() const { return kernels_->isa; }

 private:
  void run_rows(const ImageView& src, float* out, int y_begin, int y_end) const;

  PreprocessSpec spec_;
  detail::ResizeTables tables_;
  const detail::ResizeKernels* kernels_ = nullptr;
  std::array<float, 3> k_{}, m_{}, pad_{};  // per output plane
  std::array<int, 3> source_channel_{};     // input channel feeding each output plane
};

/// One-shot convenience: create + run.
Status preprocess(const ImageView& src, const PreprocessSpec& spec, float* out, ThreadPool* pool = nullptr);

}  // namespace kiln::vision
