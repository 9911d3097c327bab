// 2-D max and average pooling (NCHW float, any window, stride and dilation): each channel is copied
// into a plane padded with -inf (max) or 0 (average), then every output row is a vector max or sum
// over the window's taps (stride 2 reads even lanes, other strides gather); an average divides by
// its window's tap count, inside the image or, with count_include_pad, inside the padded image
// (ONNX's semantics: taps a ceil_mode window has past the end pads never count). One instance per
// ISA.
#pragma once

#include "cpu/kernels/conv2d.h"
#include "cpu/thread_pool.h"

namespace kiln::cpu {

enum class PoolKind : int { kMax = 0, kAverage = 1, kAverageIncludePad = 2 };

struct Pool2dKernel {
  Isa isa;
  /// s.in_c == s.out_c channels; s.k*, s.s*, s.d*, s.pad_* describe the window; pad_bottom and
  /// pad_right are the end pads (an average with count_include_pad counts taps on them).
  void (*run)(ThreadPool& pool, const Conv2dShape& s, PoolKind kind, int64_t pad_bottom, int64_t pad_right,
              const float* x, float* y, float* scratch);
};
const Pool2dKernel* pool2d_kernel(Isa isa);
const Pool2dKernel* pool2d_kernel_avx512();
const Pool2dKernel* pool2d_kernel_avx2();
/// Scratch floats per thread: the padded plane, then an average's tap count per output column.
int64_t pool2d_scratch_floats(const Conv2dShape& s);
/// The tap counts' part of it (out_w counts and a vector's slack), at the end of a thread's scratch.
inline int64_t pool2d_count_floats(const Conv2dShape& s) { return (s.out_w + 16 + 15) / 16 * 16; }

}  // namespace kiln::cpu
