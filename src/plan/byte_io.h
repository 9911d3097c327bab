// Little-endian fixed-width encoding for the plan file: an appending writer and a bounds-checked
// reader over one section. The reader's errors are sticky: the first failure is kept (with the
// section and absolute byte offset) and later reads return zeros, so parsing code checks `ok()`
// at loop and decision points instead of after every field.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "kiln/status.h"

namespace kiln::plan {

class ByteWriter {
 public:
  void u8(uint8_t v) { buf_.push_back(static_cast<char>(v)); }
  void u32(uint32_t v) { raw(&v, 4); }
  void i32(int32_t v) { raw(&v, 4); }
  void u64(uint64_t v) { raw(&v, 8); }
  void i64(int64_t v) { raw(&v, 8); }
  void f32(float v) { raw(&v, 4); }
  void f64(double v) { raw(&v, 8); }
  /// u32 length, then the bytes (no terminator).
  void str(const std::string& s) {
    u32(static_cast<uint32_t>(s.size()));
    raw(s.data(), s.size());
  }
  void raw(const void* p, size_t n) { buf_.append(static_cast<const char*>(p), n); }
  /// Appends zeros until the size is a multiple of `alignment`.
  void pad_to(size_t alignment) { buf_.resize((buf_.size() + alignment - 1) / alignment * alignment, '\0'); }
  void patch_u32(size_t at, uint32_t v) { std::memcpy(buf_.data() + at, &v, 4); }
  void patch_u64(size_t at, uint64_t v) { std::memcpy(buf_.data() + at, &v, 8); }
  size_t size() const { return buf_.size(); }
  std::string& buffer() { return buf_; }

 private:
  std::string buf_;
};

class ByteReader {
 public:
  /// Reads bytes [begin, end) of `file`; offsets in errors are from the file start.
  ByteReader(const std::byte* file, size_t begin, size_t end, std::string section)
      : file_(file), pos_(begin), end_(end), section_(std::move(section)) {}

  uint8_t u8() { return scalar<uint8_t>("a byte"); }
  uint32_t u32() { return scalar<uint32_t>("a 32-bit integer"); }
  int32_t i32() { return scalar<int32_t>("a 32-bit integer"); }
  uint64_t u64() { return scalar<uint64_t>("a 64-bit integer"); }
  int64_t i64() { return scalar<int64_t>("a 64-bit integer"); }
  float f32() { return scalar<float>("a float"); }
  double f64() { return scalar<double>("a double"); }

  /// A u32-length-prefixed string; `what` names it in errors.
  std::string str(const char* what) {
    size_t at = pos_;
    uint32_t n = u32();
    if (!ok()) return {};
    if (n > remaining()) {
      fail_at(at, std::string(what) + " claims " + std::to_string(n) + " bytes but only " +
                      std::to_string(remaining()) + " are left in the section");
      return {};
    }
    std::string s(reinterpret_cast<const char*>(file_ + pos_), n);
    pos_ += n;
    return s;
  }

  /// A u32 element count whose elements take at least `min_bytes_each` bytes: counts that the
  /// rest of the section cannot hold fail here, before anyone reserves memory for them.
  uint32_t count(size_t min_bytes_each, const char* what) {
    size_t at = pos_;
    uint32_t n = u32();
    if (!ok()) return 0;
    if (min_bytes_each > 0 && n > remaining() / min_bytes_each) {
      fail_at(at, std::string("count of ") + what + " is " + std::to_string(n) + ", more than the " +
                      std::to_string(remaining()) + " bytes left in the section can hold");
      return 0;
    }
    return n;
  }

  bool ok() const { return status_.is_ok(); }
  const Status& status() const { return status_; }
  size_t pos() const { return pos_; }
  size_t remaining() const { return end_ - pos_; }
  const std::string& section() const { return section_; }

  /// Records an error at byte `at` (the first one wins).
  void fail_at(size_t at, const std::string& what) {
    if (ok())
      status_ = corrupt("corrupt plan: " + section_ + " section, byte " + std::to_string(at) + ": " + what);
  }
  void fail(const std::string& what) { fail_at(pos_, what); }
  /// Fails unless the whole section was read.
  void expect_end() {
    if (ok() && pos_ != end_)
      fail(std::to_string(end_ - pos_) + " unexpected bytes at the end of the section");
  }

 private:
  template <typename T>
  T scalar(const char* what) {
    if (!ok()) return T{};
    if (remaining() < sizeof(T)) {
      fail(std::string("expected ") + what + " but the section ends after " + std::to_string(remaining()) +
           " more bytes");
      return T{};
    }
    T v;
    std::memcpy(&v, file_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }

  const std::byte* file_;
  size_t pos_, end_;
  std::string section_;
  Status status_;
};

}  // namespace kiln::plan
