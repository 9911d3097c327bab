// TensorProto -> kiln::Tensor, including typed fields, raw_data and external data files.
#pragma once

#include <string>

#include "kiln/status.h"
#include "kiln/tensor.h"
#include "onnx/onnx_pb.h"

namespace kiln::onnx_import {

/// Maps an ONNX TensorProto_DataType to kiln's; kUndefined when kiln has no such type.
DataType from_onnx_dtype(int onnx_type);
const char* onnx_dtype_name(int onnx_type);

/// Converts a TensorProto; `base_dir` resolves external data locations. `what` names the tensor in
/// errors ("initializer 'conv1.weight'").
Expected<Tensor> tensor_from_proto(const onnx::TensorProto& proto, const std::string& base_dir,
                                   const std::string& what);

}  // namespace kiln::onnx_import
