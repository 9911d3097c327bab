#include "core/npy.h"

#include <cstring>
#include <fstream>
#include <sstream>

#include "kiln/status.h"

namespace kiln {
namespace {

const char* npy_descr(DataType t) {
  switch (t) {
    case DataType::kFloat32: return "<f4";
    case DataType::kFloat16: return "<f2";
    case DataType::kBFloat16: return nullptr;  // numpy has no bfloat16
    case DataType::kFloat64: return "<f8";
    case DataType::kInt8: return "|i1";
    case DataType::kInt16: return "<i2";
    case DataType::kInt32: return "<i4";
    case DataType::kInt64: return "<i8";
    case DataType::kUInt8: return "|u1";
    case DataType::kUInt16: return "<u2";
    case DataType::kUInt32: return "<u4";
    case DataType::kUInt64: return "<u8";
    case DataType::kBool: return "|b1";
    case DataType::kUndefined: return nullptr;
  }
  return nullptr;
}

DataType from_descr(const std::string& d) {
  for (DataType t : {DataType::kFloat32, DataType::kFloat16, DataType::kFloat64, DataType::kInt8, DataType::kInt16,
                     DataType::kInt32, DataType::kInt64, DataType::kUInt8, DataType::kUInt16, DataType::kUInt32,
                     DataType::kUInt64, DataType::kBool}) {
    std::string want = npy_descr(t);
    if (d == want || (want[0] == '|' && d == "<" + want.substr(1)) || (want[0] == '<' && d == "|" + want.substr(1)))
      return t;
  }
  return DataType::kUndefined;
}

// Extracts the value of `key` from the header dict: 'descr': '<f4', 'fortran_order': False, 'shape': (1, 3), }
std::string dict_value(const std::string& header, const std::string& key) {
  size_t k = header.find("'" + key + "'");
  if (k == std::string::npos) return {};
  size_t colon = header.find(':', k);
  if (colon == std::string::npos) return {};
  size_t start = header.find_first_not_of(' ', colon + 1);
  if (start == std::string::npos) return {};
  if (header[start] == '\'') {
    size_t end = header.find('\'', start + 1);
    return end == std::string::npos ? std::string() : header.substr(start + 1, end - start - 1);
  }
  if (header[start] == '(') {
    size_t end = header.find(')', start);
    return end == std::string::npos ? std::string() : header.substr(start, end - start + 1);
  }
  size_t end = header.find_first_of(",}", start);
  return header.substr(start, end - start);
}

}  // namespace

Expected<Tensor> read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return io_error("'" + path + "': cannot open for reading");
  char magic[8];
  if (!in.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0) {
    return corrupt("'" + path + "': not a .npy file (bad magic at byte 0)");
  }
  uint32_t header_len = 0;
  if (magic[6] == 1) {
    unsigned char b[2];
    if (!in.read(reinterpret_cast<char*>(b), 2)) return corrupt("'" + path + "': truncated header at byte 8");
    header_len = b[0] | (b[1] << 8);
  } else if (magic[6] == 2 || magic[6] == 3) {
    unsigned char b[4];
    if (!in.read(reinterpret_cast<char*>(b), 4)) return corrupt("'" + path + "': truncated header at byte 8");
    header_len = b[0] | (b[1] << 8) | (b[2] << 16) | (static_cast<uint32_t>(b[3]) << 24);
  } else {
    return unsupported("'" + path + "': .npy format version " + std::to_string(magic[6]) + " is not supported");
  }
  if (header_len > (1u << 20)) return corrupt("'" + path + "': header length " + std::to_string(header_len) + " is implausible");
  std::string header(header_len, '\0');
  if (!in.read(header.data(), header_len)) return corrupt("'" + path + "': truncated header");
  std::string descr = dict_value(header, "descr");
  DataType dt = from_descr(descr);
  if (dt == DataType::kUndefined) return unsupported("'" + path + "': element type '" + descr + "' is not supported");
  if (dict_value(header, "fortran_order") == "True") {
    return unsupported("'" + path + "': Fortran-order arrays are not supported; save with np.ascontiguousarray");
  }
  std::string shape_s = dict_value(header, "shape");
  if (shape_s.size() < 2) return corrupt("'" + path + "': header has no shape");
  Shape shape;
  std::stringstream ss(shape_s.substr(1, shape_s.size() - 2));
  std::string item;
  while (std::getline(ss, item, ',')) {
    size_t b = item.find_first_not_of(' ');
    if (b == std::string::npos) continue;
    char* end = nullptr;
    long long d = std::strtoll(item.c_str() + b, &end, 10);
    if (d < 0 || end == item.c_str() + b) return corrupt("'" + path + "': bad shape " + shape_s);
    shape.push_back(d);
  }
  int64_t numel = 1;
  for (int64_t d : shape) {
    if (d > 0 && numel > (int64_t{1} << 40) / d) return corrupt("'" + path + "': shape " + shape_s + " is too large");
    numel *= d;
  }
  Tensor t(dt, shape);
  std::streamoff data_start = in.tellg();
  in.seekg(0, std::ios::end);
  std::streamoff size = in.tellg();
  if (size - data_start < static_cast<std::streamoff>(t.nbytes())) {
    return corrupt("'" + path + "': holds " + std::to_string(size - data_start) + " data bytes; shape " + shape_str(shape) +
                   " of " + dtype_name(dt) + " needs " + std::to_string(t.nbytes()));
  }
  in.seekg(data_start);
  in.read(static_cast<char*>(t.raw()), static_cast<std::streamsize>(t.nbytes()));
  return t;
}

Status write_npy(const std::string& path, const Tensor& t) {
  const char* descr = npy_descr(t.dtype());
  Tensor data = t;
  if (!descr) {  // bfloat16: widen to float32, which numpy reads
    data = t.cast(DataType::kFloat32);
    descr = npy_descr(DataType::kFloat32);
  }
  std::string shape = "(";
  for (size_t i = 0; i < data.shape().size(); ++i) shape += (i ? ", " : "") + std::to_string(data.shape()[i]);
  shape += data.shape().size() == 1 ? ",)" : ")";
  std::string header = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header.push_back('\n');
  std::ofstream out(path, std::ios::binary);
  if (!out) return io_error("'" + path + "': cannot open for writing");
  out.write("\x93NUMPY\x01\x00", 8);
  uint16_t len = static_cast<uint16_t>(header.size());
  char lb[2] = {static_cast<char>(len & 0xff), static_cast<char>(len >> 8)};
  out.write(lb, 2);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  out.write(static_cast<const char*>(data.raw()), static_cast<std::streamsize>(data.nbytes()));
  if (!out) return io_error("'" + path + "': write failed (disk full?)");
  return Status::ok();
}

}  // namespace kiln
