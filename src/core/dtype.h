// Compile-time mapping between DataType and C++ element types, and a dispatcher that calls a
// generic lambda with the element type of a runtime DataType.
#pragma once

#include <cstdint>

#include "core/half.h"
#include "kiln/status.h"
#include "kiln/tensor.h"

namespace kiln {

template <typename T> struct dtype_of;
template <> struct dtype_of<float> { static constexpr DataType value = DataType::kFloat32; };
template <> struct dtype_of<float16> { static constexpr DataType value = DataType::kFloat16; };
template <> struct dtype_of<bfloat16> { static constexpr DataType value = DataType::kBFloat16; };
template <> struct dtype_of<double> { static constexpr DataType value = DataType::kFloat64; };
template <> struct dtype_of<int8_t> { static constexpr DataType value = DataType::kInt8; };
template <> struct dtype_of<int16_t> { static constexpr DataType value = DataType::kInt16; };
template <> struct dtype_of<int32_t> { static constexpr DataType value = DataType::kInt32; };
template <> struct dtype_of<int64_t> { static constexpr DataType value = DataType::kInt64; };
template <> struct dtype_of<uint8_t> { static constexpr DataType value = DataType::kUInt8; };
template <> struct dtype_of<uint16_t> { static constexpr DataType value = DataType::kUInt16; };
template <> struct dtype_of<uint32_t> { static constexpr DataType value = DataType::kUInt32; };
template <> struct dtype_of<uint64_t> { static constexpr DataType value = DataType::kUInt64; };
template <> struct dtype_of<bool> { static constexpr DataType value = DataType::kBool; };
template <typename T> inline constexpr DataType dtype_v = dtype_of<T>::value;

/// Calls `f.template operator()<T>()` with T the element type of `t`; returns f's result.
/// Example: `visit_dtype(x.dtype(), [&]<typename T>() { ... });`
template <typename F>
decltype(auto) visit_dtype(DataType t, F&& f) {
  switch (t) {
    case DataType::kFloat32: return f.template operator()<float>();
    case DataType::kFloat16: return f.template operator()<float16>();
    case DataType::kBFloat16: return f.template operator()<bfloat16>();
    case DataType::kFloat64: return f.template operator()<double>();
    case DataType::kInt8: return f.template operator()<int8_t>();
    case DataType::kInt16: return f.template operator()<int16_t>();
    case DataType::kInt32: return f.template operator()<int32_t>();
    case DataType::kInt64: return f.template operator()<int64_t>();
    case DataType::kUInt8: return f.template operator()<uint8_t>();
    case DataType::kUInt16: return f.template operator()<uint16_t>();
    case DataType::kUInt32: return f.template operator()<uint32_t>();
    case DataType::kUInt64: return f.template operator()<uint64_t>();
    case DataType::kBool: return f.template operator()<bool>();
    case DataType::kUndefined: break;
  }
  return f.template operator()<float>();  // unreachable for defined tensors; callers check dtype
}

/// Like visit_dtype, restricted to the float types (f32, f64, f16, bf16); other types give
/// an unsupported Status naming `what`.
template <typename F>
Status visit_float_dtype(DataType t, const char* what, F&& f) {
  switch (t) {
    case DataType::kFloat32: return f.template operator()<float>();
    case DataType::kFloat16: return f.template operator()<float16>();
    case DataType::kBFloat16: return f.template operator()<bfloat16>();
    case DataType::kFloat64: return f.template operator()<double>();
    default: break;
  }
  return unsupported(std::string(what) + ": data type " + dtype_name(t) + " is not supported");
}

}  // namespace kiln
