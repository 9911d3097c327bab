#include "ops/dtype_attr.h"

namespace kiln::ops {

Expected<DataType> dtype_from_onnx_code(const ir::Node& node, const std::string& key, int64_t code) {
  switch (code) {
    case 1:
      return DataType::kFloat32;
    case 2:
      return DataType::kUInt8;
    case 3:
      return DataType::kInt8;
    case 4:
      return DataType::kUInt16;
    case 5:
      return DataType::kInt16;
    case 6:
      return DataType::kInt32;
    case 7:
      return DataType::kInt64;
    case 9:
      return DataType::kBool;
    case 10:
      return DataType::kFloat16;
    case 11:
      return DataType::kFloat64;
    case 12:
      return DataType::kUInt32;
    case 13:
      return DataType::kUInt64;
    case 16:
      return DataType::kBFloat16;
    default:
      break;
  }
  std::string name;
  switch (code) {
    case 8:
      name = " (STRING)";
      break;
    case 14:
      name = " (COMPLEX64)";
      break;
    case 15:
      name = " (COMPLEX128)";
      break;
    case 17:
    case 18:
    case 19:
    case 20:
      name = " (a float8 type)";
      break;
    case 21:
    case 22:
      name = " (a 4-bit integer type)";
      break;
    default:
      break;
  }
  return unsupported(
      node.describe() + ": attribute '" + key + "' names data type " + std::to_string(code) + name +
      ", which kiln does not support; kiln handles bool, integers, float16, bfloat16, float32 and "
      "float64");
}

Expected<DataType> dtype_attr(const ir::Node& node, const std::string& key, DataType fallback) {
  if (!node.has_attr(key)) return fallback;
  return dtype_from_onnx_code(node, key, node.attr_int(key, 0));
}

}  // namespace kiln::ops
