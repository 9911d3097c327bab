// The resize microkernels behind Preprocessor, one ISA per file (resize_kernels_{scalar,avx2,
// avx512}.cc). They are pure functions over raw pointers that never allocate. This header holds
// only plain structs on purpose: the ISA files are compiled with -mavx2 / -mavx512*, and an inline
// library function instantiated there could be picked by the linker for every caller.
#pragma once

#include <cstdint>

namespace kiln::vision::detail {

/// What the horizontal pass needs of the tables (see ResizeTables in preprocess.h).
struct HResizeArgs {
  const int32_t* xofs0;  // byte offset of the left tap of each dst x (source x * 3)
  const int32_t* xofs1;  // byte offset of the right tap
  const int32_t* alpha;  // left weight | right weight << 16, 11-bit fixed point (sum 2048)
  int dst_width;
  /// From this dst x on, a 4-byte load at xofs1 would read past the row's last byte: SIMD
  /// kernels compute those columns without gathers.
  int gather_end;
  /// Byte-permute tables (AVX-512 VBMI), which replace gathers. Output columns go in groups
  /// of `perm_lanes` (0: no tables); group g picks its taps from two 64-byte windows of the row,
  /// at perm_lo[g] and perm_hi[g], with perm_index[g * 192 + c * 64 ..] for channel c (byte 4i:
  /// left tap of lane i, byte 4i + 2: right tap; indices >= 64 read the second window).
  /// Group g covers columns perm_x[g] .. + perm_lanes; when the width is not a multiple of the
  /// group, one last group ends at the row's end, overlapping the one before (recomputing a few
  /// columns to the same values is cheaper than a scalar tail).
  const int32_t* perm_x;
  const int32_t* perm_lo;
  const int32_t* perm_hi;
  const uint8_t* perm_index;
  int perm_lanes;
  int perm_groups;
  int row_bytes;  // 3 * source width: loads stop there
};

/// Horizontal pass of one 3-channel source row into three planes (input channel order) of
/// (left * a0 + right * a1) >> 4, as OpenCV narrows its int rows before the vertical pass.
using HResizeFn = void (*)(const uint8_t* src_row, const HResizeArgs& t, int16_t* h0, int16_t* h1,
                           int16_t* h2);
/// Vertical pass of one plane with OpenCV's rounding of its SIMD path:
///   p = clamp((((upper * b0) >> 16) + ((lower * b1) >> 16) + 2) >> 2, 0, 255)
/// then out[x] = p * k + m, for n pixels.
using VResizeFn = void (*)(const int16_t* upper, const int16_t* lower, int16_t b0, int16_t b1, int n, float k,
                           float m, float* out);
/// out[0..n) = v.
using FillFn = void (*)(float* out, int n, float v);
/// Both passes for one output row without the intermediate rows: for downscaling, where no
/// source row serves two output rows, this saves writing and reading them back. Plane p reads
/// input channel channel[p] and gets pixel * k[p] + m[p]; the results equal hresize + vresize.
using ResizeRowFn = void (*)(const uint8_t* upper_row, const uint8_t* lower_row, const HResizeArgs& t,
                             int16_t b0, int16_t b1, const int* channel, const float* k, const float* m,
                             float* const* out);

struct ResizeKernels {
  const char* isa;
  HResizeFn hresize;
  VResizeFn vresize;
  FillFn fill;
  ResizeRowFn resize_row;  // null: the ISA has none (two passes are used)
  /// Fills a large block (whole padding rows) with cache-bypassing stores where it is 64-byte
  /// aligned: no read-for-ownership of lines that are only written. Null: use `fill`.
  FillFn fill_block;
};

const ResizeKernels& scalar_kernels();
const ResizeKernels* avx2_kernels();    // null when the compiler could not build them
const ResizeKernels* avx512_kernels();  // null when the compiler could not build them
/// AVX-512 with the VBMI byte permutes for the horizontal pass (Ice Lake, Zen 4 and later).
const ResizeKernels* avx512vbmi_kernels();
/// The fastest kernels this CPU runs (by cpuid), else scalar.
const ResizeKernels& best_kernels();

/// The per-pixel bodies shared by all kernels (the SIMD files use them for tails). Static: each
/// file gets its own copy compiled for its ISA, never one shared across files.
static inline int16_t hresize_one(const uint8_t* row, int32_t o0, int32_t o1, int32_t alpha, int c) {
  const int a0 = static_cast<int16_t>(alpha & 0xffff), a1 = alpha >> 16;
  return static_cast<int16_t>((row[o0 + c] * a0 + row[o1 + c] * a1) >> 4);
}
static inline int vresize_one(int16_t upper, int16_t lower, int16_t b0, int16_t b1) {
  int p = (((upper * b0) >> 16) + ((lower * b1) >> 16) + 2) >> 2;
  return p < 0 ? 0 : (p > 255 ? 255 : p);
}

}  // namespace kiln::vision::detail
