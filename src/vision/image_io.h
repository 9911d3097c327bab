// Image files in and out (stb_image / stb_image_write). Errors name the file and say why, so a
// directory of photos with one bad file reports that file and goes on with the others.
#pragma once

#include <string>
#include <vector>

#include "vision/image.h"

namespace kiln::vision {

/// Decodes a PNG, JPEG, BMP, GIF, TGA, PSD, HDR or PNM file into 3-channel RGB (gray and alpha
/// images are converted). Fails naming the file when it cannot be read, is not an image, is
/// truncated or has a zero size.
Expected<Image> read_image(const std::string& path);

/// Writes an RGB image as PNG or JPEG (by the extension of `path`; JPEG at quality 90).
Status write_image(const std::string& path, const Image& rgb);

/// The image files to process: `path` itself when it is a file, else the regular files of the
/// directory `path` in name order (every file: the ones that are not images fail one by one
/// when read). Fails when `path` does not exist.
Expected<std::vector<std::string>> list_images(const std::string& path);

}  // namespace kiln::vision
