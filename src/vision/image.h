// 8-bit images as the vision pipeline sees them: interleaved (HWC) channels, rows possibly padded.
// Reading and writing files (stb_image) lives in image_io.h; nothing here allocates behind a view.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "kiln/status.h"

namespace kiln::vision {

/// The order of the three channels of an 8-bit color image (stb decodes to RGB, OpenCV to BGR).
enum class ChannelOrder : uint8_t { kRGB, kBGR };

/// A non-owning view of an 8-bit HWC image.
struct ImageView {
  const uint8_t* data = nullptr;
  int width = 0;
  int height = 0;
  int channels = 3;
  size_t stride = 0;  // bytes between rows (>= width * channels)

  const uint8_t* row(int y) const { return data + static_cast<size_t>(y) * stride; }
  bool empty() const { return data == nullptr || width <= 0 || height <= 0; }
};

/// An owned 8-bit HWC image with tightly packed rows.
struct Image {
  int width = 0;
  int height = 0;
  int channels = 3;
  std::vector<uint8_t> pixels;

  Image() = default;
  Image(int w, int h, int c) : width(w), height(h), channels(c), pixels(static_cast<size_t>(w) * h * c) {}
  uint8_t* row(int y) { return pixels.data() + static_cast<size_t>(y) * width * channels; }
  const uint8_t* row(int y) const { return pixels.data() + static_cast<size_t>(y) * width * channels; }
  ImageView view() const {
    return {pixels.data(), width, height, channels, static_cast<size_t>(width) * channels};
  }
};

/// Swaps channels 0 and 2 of a 3-channel image in place (RGB <-> BGR).
void swap_red_blue(Image& image);

}  // namespace kiln::vision
