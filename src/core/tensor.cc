#include <cmath>
#include <cstring>
#include <new>
#include <stdexcept>

#include "core/dtype.h"
#include "kiln/tensor.h"

namespace kiln {

size_t dtype_size(DataType t) {
  switch (t) {
    case DataType::kFloat32:
      return 4;
    case DataType::kFloat16:
      return 2;
    case DataType::kBFloat16:
      return 2;
    case DataType::kFloat64:
      return 8;
    case DataType::kInt8:
      return 1;
    case DataType::kInt16:
      return 2;
    case DataType::kInt32:
      return 4;
    case DataType::kInt64:
      return 8;
    case DataType::kUInt8:
      return 1;
    case DataType::kUInt16:
      return 2;
    case DataType::kUInt32:
      return 4;
    case DataType::kUInt64:
      return 8;
    case DataType::kBool:
      return 1;
    case DataType::kUndefined:
      return 0;
  }
  return 0;
}

const char* dtype_name(DataType t) {
  switch (t) {
    case DataType::kFloat32:
      return "float32";
    case DataType::kFloat16:
      return "float16";
    case DataType::kBFloat16:
      return "bfloat16";
    case DataType::kFloat64:
      return "float64";
    case DataType::kInt8:
      return "int8";
    case DataType::kInt16:
      return "int16";
    case DataType::kInt32:
      return "int32";
    case DataType::kInt64:
      return "int64";
    case DataType::kUInt8:
      return "uint8";
    case DataType::kUInt16:
      return "uint16";
    case DataType::kUInt32:
      return "uint32";
    case DataType::kUInt64:
      return "uint64";
    case DataType::kBool:
      return "bool";
    case DataType::kUndefined:
      return "undefined";
  }
  return "undefined";
}

bool dtype_is_float(DataType t) {
  return t == DataType::kFloat32 || t == DataType::kFloat16 || t == DataType::kBFloat16 ||
         t == DataType::kFloat64;
}
bool dtype_is_signed_int(DataType t) {
  return t == DataType::kInt8 || t == DataType::kInt16 || t == DataType::kInt32 || t == DataType::kInt64;
}
bool dtype_is_unsigned_int(DataType t) {
  return t == DataType::kUInt8 || t == DataType::kUInt16 || t == DataType::kUInt32 || t == DataType::kUInt64;
}

int64_t shape_numel(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

std::string shape_str(const Shape& s) {
  if (s.empty()) return "scalar";
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i) out += 'x';
    out += s[i] < 0 ? std::string("?") : std::to_string(s[i]);
  }
  return out;
}

namespace {
struct AlignedDelete {
  void operator()(std::byte* p) const { ::operator delete[](p, std::align_val_t(64)); }
};
std::shared_ptr<std::byte[]> allocate(size_t bytes) {
  // Never zero bytes, so that data() is a valid pointer even for empty tensors.
  size_t n = bytes == 0 ? 64 : (bytes + 63) / 64 * 64;
  auto* p = static_cast<std::byte*>(::operator new[](n, std::align_val_t(64)));
  std::memset(p, 0, n);
  return std::shared_ptr<std::byte[]>(p, AlignedDelete{});
}
}  // namespace

Tensor::Tensor(DataType dtype, Shape shape) : dtype_(dtype), shape_(std::move(shape)) {
  for (int64_t d : shape_) {
    if (d < 0) throw std::invalid_argument("Tensor: negative dimension in shape " + shape_str(shape_));
  }
  data_ = allocate(nbytes());
}

Tensor Tensor::view(DataType dtype, Shape shape, std::shared_ptr<std::byte[]> owner, void* data) {
  Tensor t;
  t.dtype_ = dtype;
  t.shape_ = std::move(shape);
  t.data_ = std::shared_ptr<std::byte[]>(std::move(owner), static_cast<std::byte*>(data));
  return t;
}

Tensor Tensor::sequence(DataType elem_dtype, std::vector<Tensor> items) {
  Tensor t(elem_dtype, {0});
  t.sequence_ = std::make_shared<const std::vector<Tensor>>(std::move(items));
  return t;
}

Tensor Tensor::reshaped(Shape shape) const {
  Tensor t = *this;
  t.shape_ = std::move(shape);
  return t;
}

Tensor Tensor::clone() const {
  Tensor t(dtype_, shape_);
  if (nbytes()) std::memcpy(t.raw(), raw(), nbytes());
  return t;
}

double Tensor::as_double(int64_t i) const {
  return visit_dtype(dtype_, [&]<typename T>() -> double { return static_cast<double>(data<T>()[i]); });
}

int64_t Tensor::as_int64(int64_t i) const {
  return visit_dtype(dtype_, [&]<typename T>() -> int64_t {
    if constexpr (std::is_same_v<T, float16> || std::is_same_v<T, bfloat16>) {
      return static_cast<int64_t>(static_cast<float>(data<T>()[i]));
    } else {
      return static_cast<int64_t>(data<T>()[i]);
    }
  });
}

std::vector<int64_t> Tensor::to_int64_vector() const {
  std::vector<int64_t> v(static_cast<size_t>(numel()));
  for (int64_t i = 0; i < numel(); ++i) v[static_cast<size_t>(i)] = as_int64(i);
  return v;
}

std::vector<float> Tensor::to_float_vector() const {
  std::vector<float> v(static_cast<size_t>(numel()));
  for (int64_t i = 0; i < numel(); ++i) v[static_cast<size_t>(i)] = static_cast<float>(as_double(i));
  return v;
}

Tensor Tensor::from_doubles(DataType dtype, Shape shape, const std::vector<double>& values) {
  Tensor t(dtype, std::move(shape));
  visit_dtype(dtype, [&]<typename T>() {
    T* p = t.data<T>();
    for (size_t i = 0; i < values.size() && static_cast<int64_t>(i) < t.numel(); ++i) {
      if constexpr (std::is_same_v<T, float16> || std::is_same_v<T, bfloat16>) {
        p[i] = T(static_cast<float>(values[i]));
      } else {
        p[i] = static_cast<T>(values[i]);
      }
    }
  });
  return t;
}

Tensor Tensor::from_int64s(Shape shape, const std::vector<int64_t>& values) {
  Tensor t(DataType::kInt64, std::move(shape));
  std::memcpy(t.raw(), values.data(), std::min(values.size() * 8, t.nbytes()));
  return t;
}

Tensor Tensor::from_floats(Shape shape, const std::vector<float>& values) {
  Tensor t(DataType::kFloat32, std::move(shape));
  std::memcpy(t.raw(), values.data(), std::min(values.size() * 4, t.nbytes()));
  return t;
}

namespace {
// ONNX Cast: float -> int truncates toward zero; anything -> bool is (x != 0).
template <typename To, typename From>
To convert(From v) {
  if constexpr (std::is_same_v<To, bool>) {
    if constexpr (std::is_same_v<From, float16> || std::is_same_v<From, bfloat16>) {
      return static_cast<float>(v) != 0.0f;
    } else {
      return v != From(0);
    }
  } else if constexpr (std::is_same_v<To, float16> || std::is_same_v<To, bfloat16>) {
    if constexpr (std::is_same_v<From, double>) {
      // Round once, from double, to avoid double rounding through float where it matters.
      return To(static_cast<float>(v));
    } else {
      return To(static_cast<float>(v));
    }
  } else if constexpr (std::is_same_v<From, float16> || std::is_same_v<From, bfloat16>) {
    return static_cast<To>(static_cast<float>(v));
  } else {
    return static_cast<To>(v);
  }
}
}  // namespace

Tensor Tensor::cast(DataType to) const {
  if (to == dtype_) return clone();
  Tensor out(to, shape_);
  int64_t n = numel();
  visit_dtype(dtype_, [&]<typename From>() {
    const From* src = data<From>();
    visit_dtype(to, [&]<typename To>() {
      To* dst = out.data<To>();
      for (int64_t i = 0; i < n; ++i) dst[i] = convert<To, From>(src[i]);
    });
  });
  return out;
}

}  // namespace kiln
