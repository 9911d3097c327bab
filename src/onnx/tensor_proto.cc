#include "onnx/tensor_proto.h"

#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/dtype.h"

namespace kiln::onnx_import {

DataType from_onnx_dtype(int t) {
  switch (t) {
    case onnx::TensorProto_DataType_FLOAT: return DataType::kFloat32;
    case onnx::TensorProto_DataType_FLOAT16: return DataType::kFloat16;
    case onnx::TensorProto_DataType_BFLOAT16: return DataType::kBFloat16;
    case onnx::TensorProto_DataType_DOUBLE: return DataType::kFloat64;
    case onnx::TensorProto_DataType_INT8: return DataType::kInt8;
    case onnx::TensorProto_DataType_INT16: return DataType::kInt16;
    case onnx::TensorProto_DataType_INT32: return DataType::kInt32;
    case onnx::TensorProto_DataType_INT64: return DataType::kInt64;
    case onnx::TensorProto_DataType_UINT8: return DataType::kUInt8;
    case onnx::TensorProto_DataType_UINT16: return DataType::kUInt16;
    case onnx::TensorProto_DataType_UINT32: return DataType::kUInt32;
    case onnx::TensorProto_DataType_UINT64: return DataType::kUInt64;
    case onnx::TensorProto_DataType_BOOL: return DataType::kBool;
    default: return DataType::kUndefined;
  }
}

const char* onnx_dtype_name(int t) {
  if (onnx::TensorProto_DataType_IsValid(t)) {
    static thread_local std::string name;
    name = onnx::TensorProto_DataType_Name(static_cast<onnx::TensorProto_DataType>(t));
    return name.c_str();
  }
  return "invalid";
}

namespace {

Status read_external(const onnx::TensorProto& proto, const std::string& base_dir, const std::string& what,
                     Tensor& out) {
  std::string location;
  int64_t offset = 0, length = -1;
  for (const auto& kv : proto.external_data()) {
    if (kv.key() == "location") location = kv.value();
    if (kv.key() == "offset") offset = std::atoll(kv.value().c_str());
    if (kv.key() == "length") length = std::atoll(kv.value().c_str());
  }
  if (location.empty()) return corrupt(what + ": external data without a 'location'");
  std::filesystem::path rel(location);
  if (rel.is_absolute() || location.find("..") != std::string::npos) {
    return corrupt(what + ": external data location '" + location +
                   "' must be a relative path inside the model's folder");
  }
  std::filesystem::path file = std::filesystem::path(base_dir) / rel;
  std::ifstream in(file, std::ios::binary);
  if (!in) return io_error(what + ": cannot open external data file '" + file.string() + "'");
  in.seekg(0, std::ios::end);
  int64_t size = static_cast<int64_t>(in.tellg());
  int64_t need = static_cast<int64_t>(out.nbytes());
  if (length >= 0 && length != need) {
    return corrupt(what + ": external data length " + std::to_string(length) + " does not match the " +
                   std::to_string(need) + " bytes its shape needs");
  }
  if (offset < 0 || offset + need > size) {
    return corrupt(what + ": external data file '" + file.string() + "' has " + std::to_string(size) +
                   " bytes; the tensor needs bytes [" + std::to_string(offset) + ", " +
                   std::to_string(offset + need) + ")");
  }
  in.seekg(offset);
  in.read(static_cast<char*>(out.raw()), need);
  if (!in) return io_error(what + ": short read from '" + file.string() + "'");
  return Status::ok();
}

template <typename Field, typename T>
Status copy_field(const Field& field, int64_t n, Tensor& out, const std::string& what, const char* field_name) {
  if (static_cast<int64_t>(field.size()) != n) {
    return corrupt(what + ": " + field_name + " holds " + std::to_string(field.size()) + " values; its shape needs " +
                   std::to_string(n));
  }
  T* dst = out.data<T>();
  for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<T>(field.Get(static_cast<int>(i)));
  return Status::ok();
}

}  // namespace

Expected<Tensor> tensor_from_proto(const onnx::TensorProto& proto, const std::string& base_dir,
                                   const std::string& what) {
  DataType dt = from_onnx_dtype(proto.data_type());
  if (dt == DataType::kUndefined) {
    return unsupported(what + ": element type " + onnx_dtype_name(proto.data_type()) +
                       " is not supported by kiln");
  }
  if (proto.has_segment()) return unsupported(what + ": segmented tensors are not supported");
  Shape shape;
  int64_t n = 1;
  for (int64_t d : proto.dims()) {
    if (d < 0 || (d > 0 && n > (int64_t{1} << 40) / d)) {
      return corrupt(what + ": invalid dims (" + std::to_string(d) + ")");
    }
    shape.push_back(d);
    n *= d;
  }
  Tensor out(dt, shape);
  const size_t bytes = out.nbytes();
  if (proto.data_location() == onnx::TensorProto_DataLocation_EXTERNAL) {
    KILN_RETURN_IF_ERROR(read_external(proto, base_dir, what, out));
    return out;
  }
  if (proto.has_raw_data()) {
    if (proto.raw_data().size() != bytes) {
      return corrupt(what + ": raw_data holds " + std::to_string(proto.raw_data().size()) +
                     " bytes; its shape " + shape_str(shape) + " of " + dtype_name(dt) + " needs " +
                     std::to_string(bytes));
    }
    std::memcpy(out.raw(), proto.raw_data().data(), bytes);
    return out;
  }
  Status st;
  switch (dt) {
    case DataType::kFloat32: st = copy_field<decltype(proto.float_data()), float>(proto.float_data(), n, out, what, "float_data"); break;
    case DataType::kFloat64: st = copy_field<decltype(proto.double_data()), double>(proto.double_data(), n, out, what, "double_data"); break;
    case DataType::kInt64: st = copy_field<decltype(proto.int64_data()), int64_t>(proto.int64_data(), n, out, what, "int64_data"); break;
    case DataType::kUInt64: st = copy_field<decltype(proto.uint64_data()), uint64_t>(proto.uint64_data(), n, out, what, "uint64_data"); break;
    case DataType::kUInt32: st = copy_field<decltype(proto.uint64_data()), uint32_t>(proto.uint64_data(), n, out, what, "uint64_data"); break;
    case DataType::kInt32: st = copy_field<decltype(proto.int32_data()), int32_t>(proto.int32_data(), n, out, what, "int32_data"); break;
    case DataType::kInt16: st = copy_field<decltype(proto.int32_data()), int16_t>(proto.int32_data(), n, out, what, "int32_data"); break;
    case DataType::kInt8: st = copy_field<decltype(proto.int32_data()), int8_t>(proto.int32_data(), n, out, what, "int32_data"); break;
    case DataType::kUInt16: st = copy_field<decltype(proto.int32_data()), uint16_t>(proto.int32_data(), n, out, what, "int32_data"); break;
    case DataType::kUInt8: st = copy_field<decltype(proto.int32_data()), uint8_t>(proto.int32_data(), n, out, what, "int32_data"); break;
    case DataType::kBool: st = copy_field<decltype(proto.int32_data()), bool>(proto.int32_data(), n, out, what, "int32_data"); break;
    case DataType::kFloat16:
    case DataType::kBFloat16:
      // Stored as their 16-bit patterns in int32_data.
      st = copy_field<decltype(proto.int32_data()), uint16_t>(proto.int32_data(), n, out, what, "int32_data");
      break;
    case DataType::kUndefined: st = internal_error("unreachable"); break;
  }
  if (!st.is_ok()) return st;
  return out;
}

}  // namespace kiln::onnx_import
