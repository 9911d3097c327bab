#include "plan/format.h"

#include <array>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace kiln::plan {

std::string section_name(uint32_t id) {
  switch (id) {
    case static_cast<uint32_t>(SectionId::kTarget):
      return "TARGET";
    case static_cast<uint32_t>(SectionId::kGraph):
      return "GRAPH";
    case static_cast<uint32_t>(SectionId::kSteps):
      return "STEPS";
    case static_cast<uint32_t>(SectionId::kArena):
      return "ARENA";
    case static_cast<uint32_t>(SectionId::kReport):
      return "REPORT";
    case static_cast<uint32_t>(SectionId::kBindings):
      return "BINDINGS";
    case static_cast<uint32_t>(SectionId::kWeights):
      return "WEIGHTS";
    default:
      return {};  // an integer read from the file, not an enum: unknown ids are data
  }
}

uint8_t dtype_code(DataType t) {
  switch (t) {
    case DataType::kUndefined:
      return 0;
    case DataType::kFloat32:
      return 1;
    case DataType::kUInt8:
      return 2;
    case DataType::kInt8:
      return 3;
    case DataType::kUInt16:
      return 4;
    case DataType::kInt16:
      return 5;
    case DataType::kInt32:
      return 6;
    case DataType::kInt64:
      return 7;
    case DataType::kBool:
      return 9;
    case DataType::kFloat16:
      return 10;
    case DataType::kFloat64:
      return 11;
    case DataType::kUInt32:
      return 12;
    case DataType::kUInt64:
      return 13;
    case DataType::kBFloat16:
      return 16;
  }
  return 0;
}

std::optional<DataType> dtype_from_code(uint8_t code) {
  switch (code) {
    case 0:
      return DataType::kUndefined;
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
      return std::nullopt;  // a byte from the file
  }
}

uint8_t attribute_code(ir::Attribute::Kind k) {
  switch (k) {
    case ir::Attribute::Kind::kFloat:
      return 1;
    case ir::Attribute::Kind::kInt:
      return 2;
    case ir::Attribute::Kind::kString:
      return 3;
    case ir::Attribute::Kind::kTensor:
      return 4;
    case ir::Attribute::Kind::kGraph:
      return 5;
    case ir::Attribute::Kind::kFloats:
      return 6;
    case ir::Attribute::Kind::kInts:
      return 7;
    case ir::Attribute::Kind::kStrings:
      return 8;
    case ir::Attribute::Kind::kTensors:
      return 9;
    case ir::Attribute::Kind::kGraphs:
      return 10;
  }
  return 0;
}

std::optional<ir::Attribute::Kind> attribute_from_code(uint8_t code) {
  switch (code) {
    case 1:
      return ir::Attribute::Kind::kFloat;
    case 2:
      return ir::Attribute::Kind::kInt;
    case 3:
      return ir::Attribute::Kind::kString;
    case 4:
      return ir::Attribute::Kind::kTensor;
    case 5:
      return ir::Attribute::Kind::kGraph;
    case 6:
      return ir::Attribute::Kind::kFloats;
    case 7:
      return ir::Attribute::Kind::kInts;
    case 8:
      return ir::Attribute::Kind::kStrings;
    case 9:
      return ir::Attribute::Kind::kTensors;
    case 10:
      return ir::Attribute::Kind::kGraphs;
    default:
      return std::nullopt;  // a byte from the file
  }
}

namespace {

constexpr uint32_t kCastagnoliReflected = 0x82F63B78u;

constexpr std::array<uint32_t, 256> make_crc_table() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kCastagnoliReflected : c >> 1;
    t[i] = c;
  }
  return t;
}
constexpr std::array<uint32_t, 256> kCrcTable = make_crc_table();

uint32_t crc32c_portable(uint32_t crc, const unsigned char* p, size_t n) {
  for (size_t i = 0; i < n; ++i) crc = kCrcTable[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
  return crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t crc32c_sse42(uint32_t crc, const unsigned char* p, size_t n) {
  uint64_t c = crc;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t word;
    __builtin_memcpy(&word, p + i, 8);
    c = _mm_crc32_u64(c, word);
  }
  uint32_t c32 = static_cast<uint32_t>(c);
  for (; i < n; ++i) c32 = _mm_crc32_u8(c32, p[i]);
  return c32;
}
#endif

}  // namespace

uint32_t crc32c(const void* data, size_t size) {
  const auto* p = static_cast<const unsigned char*>(data);
  uint32_t crc = 0xFFFFFFFFu;
#if defined(__x86_64__)
  static const bool has_sse42 = __builtin_cpu_supports("sse4.2");
  crc = has_sse42 ? crc32c_sse42(crc, p, size) : crc32c_portable(crc, p, size);
#else
  crc = crc32c_portable(crc, p, size);
#endif
  return crc ^ 0xFFFFFFFFu;
}

}  // namespace kiln::plan
