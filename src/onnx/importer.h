// ONNX ModelProto -> ir::Graph. The only place that knows protobuf.
#pragma once

#include <memory>
#include <string>

#include "ir/graph.h"
#include "kiln/kiln.h"

namespace kiln::onnx_import {

/// Reads, validates and converts an ONNX model. Every unsupported node is reported at once.
/// Shapes of dynamic inputs come from `options.shapes` or the model; all value shapes are then
/// inferred through the graph as far as they are known.
Expected<std::unique_ptr<ir::Graph>> import_file(const std::string& path, const ImportOptions& options);
Expected<std::unique_ptr<ir::Graph>> import_bytes(const std::string& bytes, const std::string& base_dir,
                                                  const std::string& what, const ImportOptions& options);

/// Reads a serialized ONNX TensorProto (.pb), as the conformance suite stores inputs and outputs.
Expected<NamedTensor> read_tensor_pb(const std::string& path);

}  // namespace kiln::onnx_import

namespace kiln::onnx_import {
/// Why the model's interface (graph inputs/outputs) uses types kiln does not model at all
/// (sequences, optionals, maps, strings); empty when it uses only tensors kiln supports.
std::string interface_limitation(const std::string& path);
}  // namespace kiln::onnx_import
