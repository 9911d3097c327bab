// Tensors as kiln's API and reference runtime see them: a data type, a shape and shared bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace kiln {

/// Element types kiln understands. Switches over it have no `default`, so adding a type is a
/// compile error wherever it is unhandled.
enum class DataType : uint8_t {
  kUndefined,
  kFloat32,
  kFloat16,
  kBFloat16,
  kFloat64,
  kInt8,
  kInt16,
  kInt32,
  kInt64,
  kUInt8,
  kUInt16,
  kUInt32,
  kUInt64,
  kBool,
};

size_t dtype_size(DataType t);
const char* dtype_name(DataType t);
bool dtype_is_float(DataType t);  // f16, bf16, f32, f64
bool dtype_is_signed_int(DataType t);
bool dtype_is_unsigned_int(DataType t);

using Shape = std::vector<int64_t>;

/// Number of elements of a fully known shape (1 for a scalar).
int64_t shape_numel(const Shape& s);
std::string shape_str(const Shape& s);  // "1x3x224x224", "scalar" for rank 0, "?" for unknown dims

/// A dense, row-major tensor. Copies share the bytes (like a shared_ptr); use clone() to copy them.
/// Bytes are 64-byte aligned.
class Tensor {
 public:
  Tensor() = default;
  /// Allocates zero-filled storage for `shape`.
  Tensor(DataType dtype, Shape shape);

  DataType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int64_t rank() const { return static_cast<int64_t>(shape_.size()); }
  int64_t dim(int64_t i) const { return shape_[static_cast<size_t>(i)]; }
  int64_t numel() const { return shape_numel(shape_); }
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype_); }
  bool empty() const { return dtype_ == DataType::kUndefined; }

  void* raw() { return data_.get(); }
  const void* raw() const { return data_.get(); }
  template <typename T>
  T* data() {
    return static_cast<T*>(raw());
  }
  template <typename T>
  const T* data() const {
    return static_cast<const T*>(raw());
  }

  /// A tensor over bytes someone else owns: `owner` keeps them alive (e.g. an arena or a mapped
  /// plan file); `data` must point inside it, 64-byte aligned where kernels need it.
  static Tensor view(DataType dtype, Shape shape, std::shared_ptr<std::byte[]> owner, void* data);

  /// The same bytes seen with another shape of the same element count.
  Tensor reshaped(Shape shape) const;
  Tensor clone() const;

  /// Element i converted to double / int64 whatever the dtype (for shape-like inputs and tests).
  double as_double(int64_t i) const;
  int64_t as_int64(int64_t i) const;
  /// All elements as int64 (for shape, axes and index inputs).
  std::vector<int64_t> to_int64_vector() const;
  std::vector<float> to_float_vector() const;

  /// Builds a tensor of `dtype` from doubles (converted per element).
  static Tensor from_doubles(DataType dtype, Shape shape, const std::vector<double>& values);
  static Tensor from_int64s(Shape shape, const std::vector<int64_t>& values);
  static Tensor from_floats(Shape shape, const std::vector<float>& values);
  /// Element-wise conversion to another dtype (ONNX Cast semantics for numeric types).
  Tensor cast(DataType to) const;

  /// An ONNX sequence: an ordered list of tensors of one element type. It has no bytes of its own
  /// (shape {0}); `dtype()` is the elements' type.
  static Tensor sequence(DataType elem_dtype, std::vector<Tensor> items);
  bool is_sequence() const { return sequence_ != nullptr; }
  const std::vector<Tensor>& items() const { return *sequence_; }

 private:
  DataType dtype_ = DataType::kUndefined;
  Shape shape_;
  std::shared_ptr<std::byte[]> data_;
  std::shared_ptr<const std::vector<Tensor>> sequence_;
};

/// A tensor with the graph input/output name it binds to.
struct NamedTensor {
  std::string name;
  Tensor tensor;
};

}  // namespace kiln
