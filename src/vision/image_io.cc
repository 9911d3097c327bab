#include "vision/image_io.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string_view>

#define STB_IMAGE_IMPLEMENTATION
#define STBI_FAILURE_USERMSG
#include <stb/stb_image.h>
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>

namespace kiln::vision {

void swap_red_blue(Image& image) {
  if (image.channels < 3) return;
  const size_t n = static_cast<size_t>(image.width) * image.height;
  uint8_t* p = image.pixels.data();
  for (size_t i = 0; i < n; ++i, p += image.channels) std::swap(p[0], p[2]);
}

namespace {

bool tail_contains(const std::vector<unsigned char>& bytes, std::string_view what) {
  const size_t from = bytes.size() > 1024 ? bytes.size() - 1024 : 0;
  return std::search(bytes.begin() + static_cast<std::ptrdiff_t>(from), bytes.end(), what.begin(), what.end(),
                     [](unsigned char a, char b) { return a == static_cast<unsigned char>(b); }) !=
         bytes.end();
}

Status check_complete(const std::string& path, const std::vector<unsigned char>& bytes) {
  const bool jpeg = bytes.size() >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF;
  const bool png = bytes.size() >= 8 &&
                   std::equal(bytes.begin(), bytes.begin() + 8, "\x89PNG\r\n\x1a\n",
                              [](unsigned char a, char b) { return a == static_cast<unsigned char>(b); });
  if (jpeg && !tail_contains(bytes, "\xFF\xD9"))
    return corrupt("image '" + path + "': truncated JPEG (no end-of-image marker); the file is incomplete");
  if (png && !tail_contains(bytes, "IEND"))
    return corrupt("image '" + path + "': truncated PNG (no IEND chunk); the file is incomplete");
  return Status::ok();
}

}  // namespace

Expected<Image> read_image(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return not_found("image '" + path + "': no such file");
  std::ifstream in(path, std::ios::binary);
  std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) return io_error("image '" + path + "': cannot be read");
  if (bytes.empty()) return corrupt("image '" + path + "': the file is empty");
  if (bytes.size() > static_cast<size_t>(INT32_MAX))
    return unsupported("image '" + path + "': file over 2 GiB");
  // stb decodes a JPEG cut short without complaint (the missing data reads as zeros): a file
  // that lost its end-of-image marker (or a PNG its IEND chunk) is reported as truncated.
  if (Status st = check_complete(path, bytes); !st) return st;
  int w = 0, h = 0, c = 0;
  // Checked before decoding: stb would happily allocate for a forged header.
  if (!stbi_info_from_memory(bytes.data(), static_cast<int>(bytes.size()), &w, &h, &c))
    return corrupt("image '" + path + "': not a readable image (" + stbi_failure_reason() +
                   "); give PNG, JPEG, BMP, GIF, TGA, PSD, HDR or PNM files");
  if (w <= 0 || h <= 0) return corrupt("image '" + path + "': zero-sized image");
  if (static_cast<int64_t>(w) * h > (int64_t{1} << 28))
    return unsupported("image '" + path + "': " + std::to_string(w) + "x" + std::to_string(h) +
                       " is larger than the 2^28 pixels kiln decodes");
  unsigned char* data = stbi_load_from_memory(bytes.data(), static_cast<int>(bytes.size()), &w, &h, &c, 3);
  if (!data)
    return corrupt("image '" + path + "': cannot be decoded (" + stbi_failure_reason() +
                   "); the file may be truncated or corrupt");
  Image image(w, h, 3);
  std::copy(data, data + image.pixels.size(), image.pixels.begin());
  stbi_image_free(data);
  return image;
}

Status write_image(const std::string& path, const Image& rgb) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char ch) { return std::tolower(ch); });
  int ok = 0;
  if (ext == ".png") {
    ok = stbi_write_png(path.c_str(), rgb.width, rgb.height, rgb.channels, rgb.pixels.data(),
                        rgb.width * rgb.channels);
  } else if (ext == ".jpg" || ext == ".jpeg") {
    ok = stbi_write_jpg(path.c_str(), rgb.width, rgb.height, rgb.channels, rgb.pixels.data(), 90);
  } else {
    return invalid_argument("image '" + path + "': write .png or .jpg files");
  }
  if (!ok) return io_error("image '" + path + "': cannot be written (is the folder writable?)");
  return Status::ok();
}

Expected<std::vector<std::string>> list_images(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_regular_file(path, ec)) return std::vector<std::string>{path};
  if (!std::filesystem::is_directory(path, ec))
    return not_found("'" + path + "': no such file or directory; give an image file or a folder of images");
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(path, ec))
    if (entry.is_regular_file()) files.push_back(entry.path().string());
  if (ec) return io_error("'" + path + "': cannot list the folder: " + ec.message());
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace kiln::vision
