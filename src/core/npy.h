// NumPy .npy files (format 1.0/2.0, little-endian, C order) <-> Tensor.
#pragma once

#include <string>

#include "kiln/status.h"
#include "kiln/tensor.h"

namespace kiln {

Expected<Tensor> read_npy(const std::string& path);
Status write_npy(const std::string& path, const Tensor& t);

}  // namespace kiln
