#include "ops/spatial.h"

namespace kiln::ops {
namespace {

Status check_size(const ir::Node& node, const char* name, const std::vector<int64_t>& v, size_t want,
                  int64_t min_value) {
  if (v.size() != want) {
    return invalid_argument(node.describe() + ": attribute " + name + " has " + std::to_string(v.size()) +
                            " values, expected " + std::to_string(want) + " (one per spatial dim" +
                            (std::string(name) == "pads" ? ", begins then ends)" : ")"));
  }
  for (int64_t x : v) {
    if (x < min_value) {
      return invalid_argument(node.describe() + ": attribute " + name + " has value " + std::to_string(x) +
                              ", expected at least " + std::to_string(min_value));
    }
  }
  return Status::ok();
}

}  // namespace

Expected<Window> read_window(const ir::Node& node, size_t nspatial,
                             const std::vector<int64_t>& kernel_from_weights) {
  Window w;
  w.kernel = node.attr_ints("kernel_shape", kernel_from_weights);
  w.strides = node.attr_ints("strides", std::vector<int64_t>(nspatial, 1));
  w.dilations = node.attr_ints("dilations", std::vector<int64_t>(nspatial, 1));
  w.pads = node.attr_ints("pads", std::vector<int64_t>(2 * nspatial, 0));
  w.auto_pad = node.attr_string("auto_pad", "NOTSET");
  if (w.kernel.empty()) return invalid_argument(node.describe() + ": attribute kernel_shape is required");
  KILN_RETURN_IF_ERROR(check_size(node, "kernel_shape", w.kernel, nspatial, 1));
  KILN_RETURN_IF_ERROR(check_size(node, "strides", w.strides, nspatial, 1));
  KILN_RETURN_IF_ERROR(check_size(node, "dilations", w.dilations, nspatial, 1));
  KILN_RETURN_IF_ERROR(check_size(node, "pads", w.pads, 2 * nspatial, 0));
  if (w.auto_pad != "NOTSET" && w.auto_pad != "VALID" && w.auto_pad != "SAME_UPPER" &&
      w.auto_pad != "SAME_LOWER") {
    return invalid_argument(node.describe() + ": auto_pad '" + w.auto_pad +
                            "' is not one of NOTSET, VALID, SAME_UPPER, SAME_LOWER");
  }
  if (w.auto_pad != "NOTSET") std::fill(w.pads.begin(), w.pads.end(), 0);
  return w;
}

Expected<Shape> forward_output_dims(const ir::Node& node, const Shape& in, bool ceil_mode, Window& w) {
  const size_t n = w.rank();
  Shape out(n, -1);
  for (size_t i = 0; i < n; ++i) {
    const int64_t ext = w.extent(i), s = w.strides[i];
    if (in[i] < 0) continue;
    if (w.auto_pad == "SAME_UPPER" || w.auto_pad == "SAME_LOWER") {
      out[i] = (in[i] + s - 1) / s;
      const int64_t total = std::max<int64_t>(0, (out[i] - 1) * s + ext - in[i]);
      const int64_t small = total / 2;
      w.pads[i] = w.auto_pad == "SAME_UPPER" ? small : total - small;
      w.pads[i + n] = total - w.pads[i];
      continue;
    }
    const int64_t padded = in[i] + w.pads[i] + w.pads[i + n];
    if (padded < ext) {
      return invalid_argument(node.describe() + ": the kernel (extent " + std::to_string(ext) +
                              " with dilation) is larger than the padded input (" + std::to_string(padded) +
                              ") along spatial dim " + std::to_string(i));
    }
    out[i] = (ceil_mode ? (padded - ext + s - 1) / s : (padded - ext) / s) + 1;
    // A last window starting in the end padding would see no input: PyTorch and ONNX drop it.
    if (ceil_mode && (out[i] - 1) * s >= in[i] + w.pads[i]) --out[i];
  }
  return out;
}

double tensor_bytes(const TensorType& t) {
  return t.shape_known()
             ? static_cast<double>(shape_numel(t.shape)) * static_cast<double>(dtype_size(t.dtype))
             : 0;
}

double known_numel(const TensorType& t) {
  return t.shape_known() ? static_cast<double>(shape_numel(t.shape)) : 0;
}

}  // namespace kiln::ops
