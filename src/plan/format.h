// The plan file's on-disk constants, shared by the writer, the reader and tests. The layout is
// described in docs/plan-format.md; change both together and bump kFormatVersion.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "ir/graph.h"
#include "kiln/tensor.h"

#ifndef KILN_VERSION
#define KILN_VERSION "0.1.0"
#endif

namespace kiln::plan {

static_assert(std::endian::native == std::endian::little,
              "plans are little-endian and weights are used in place: a big-endian reader needs swapping");

inline constexpr char kMagic[8] = {'K', 'I', 'L', 'N', 'P', 'L', 'A', 'N'};
inline constexpr uint32_t kFormatVersion = 3;
inline constexpr char kKilnVersion[] = KILN_VERSION;

// Header (64 bytes). Bytes 0..16 and the version string at 32..64 keep their place in every future
// format version, so any reader can say which version (and which kiln) wrote a plan.
inline constexpr size_t kHeaderBytes = 64;
inline constexpr size_t kOffVersion = 8;        // u32 format version
inline constexpr size_t kOffChecksum = 12;      // u32 CRC32C of bytes [kChecksumFrom, file size)
inline constexpr size_t kOffFileSize = 16;      // u64 total file size
inline constexpr size_t kOffSectionCount = 24;  // u32
inline constexpr size_t kOffReserved = 28;      // u32, must be 0
inline constexpr size_t kOffKilnVersion = 32;   // char[32], NUL-padded
inline constexpr size_t kKilnVersionBytes = 32;
inline constexpr size_t kChecksumFrom = 16;

// Section table entry: u32 id, u32 reserved (0), u64 offset (from the file start), u64 size.
inline constexpr size_t kSectionEntryBytes = 24;
inline constexpr size_t kWeightsAlignment = 64;
// Subgraphs nested deeper than this are refused (keeps the recursive reader off the stack limit).
inline constexpr int kMaxGraphDepth = 64;

enum class SectionId : uint32_t {
  kTarget = 1,
  kGraph = 2,
  kSteps = 3,
  kArena = 4,
  kReport = 5,
  kBindings = 6,
  kWeights = 7,
};
inline constexpr uint32_t kSectionCount = 7;

/// "GRAPH", or empty for an id this format does not define.
std::string section_name(uint32_t id);

/// Data type codes on disk are ONNX's TensorProto codes (stable, documented elsewhere); 0 is an
/// empty tensor / an undefined value type.
uint8_t dtype_code(DataType t);
std::optional<DataType> dtype_from_code(uint8_t code);

/// Attribute kind codes on disk are ONNX's AttributeProto codes (FLOAT = 1 ... GRAPHS = 10).
uint8_t attribute_code(ir::Attribute::Kind k);
std::optional<ir::Attribute::Kind> attribute_from_code(uint8_t code);

/// CRC32C (Castagnoli), as in iSCSI/ext4: crc32c("123456789") == 0xE3069283. Uses SSE4.2 when the
/// CPU has it.
uint32_t crc32c(const void* data, size_t size);

}  // namespace kiln::plan
