// Element types named by ONNX attributes (Cast's `to`, EyeLike's `dtype`, ...), which hold
// TensorProto.DataType codes. Kept in kiln_runtime, which does not link the ONNX importer.
#pragma once

#include <string>

#include "ops/op.h"

namespace kiln::ops {

/// kiln's type for the ONNX TensorProto.DataType `code`; fails naming the node and attribute
/// `key` when kiln has no such type (strings, complex numbers, float8, 4-bit types).
Expected<DataType> dtype_from_onnx_code(const ir::Node& node, const std::string& key, int64_t code);

/// The type named by integer attribute `key`, or `fallback` when the node does not set it.
Expected<DataType> dtype_attr(const ir::Node& node, const std::string& key, DataType fallback);

}  // namespace kiln::ops
