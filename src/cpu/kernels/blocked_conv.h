// Convolutions on the blocked layout (ops/blocked_layout.h: [N, C/b, H, W, b], b = the vector
// width: 16 on AVX-512, 8 on AVX2), written straight into the blocked output with the epilogue
// fused, and the reorders in and out of it.
//
//   direct     group 1, any kernel, stride, dilation and padding, input blocked or planar (a first
//              layer reads the image as it is): a register tile of up to 4 output blocks x 6
//              consecutive output pixels (3 x 8, 2 x 12, 1 x 12 for narrower groups) accumulates
//              over every input channel and tap (input lanes broadcast, weight vectors loaded);
//              no im2col, no packing at run time. Where every pixel's taps lie inside the input
//              (pointwise, unpadded strided convs, the padded copy of a narrow map) tiles run
//              over the flattened plane, across row ends.
//   depthwise  group = C_in = C_out: one vector of b channels per pixel, PW pixels per tile.
//
// Pixels whose taps all lie inside the image take the tiles; the border pixels of a row take a
// one-pixel tile over the taps that are inside. MaxPool runs on blocked planes too (a MaxPool of the
// 5-D blocked tensor whose window is 1 along the lanes). One instance per ISA (blocked_conv_avx512.cc,
// blocked_conv_avx2.cc).
#pragma once

#include <algorithm>

#include "cpu/kernels/conv2d.h"
#include "cpu/thread_pool.h"
#include "cpu/ukernels/epilogue.h"

namespace kiln::cpu {

struct BlockedConvKernel {
  Isa isa;
  int block;      // channels per block = the ISA's float lanes
  int max_group;  // output blocks per register tile of the direct kernel (its packing groups)
  /// packed: blocked_direct_pack's weights followed by the padded bias; ep.residual is blocked like
  /// y. planar_input: x is NCHW (a first layer on a 3-channel image), not blocked. scratch holds
  /// direct_scratch_floats() floats (the zero-padded input of narrow layers).
  void (*direct)(ThreadPool& pool, const Conv2dShape& s, bool planar_input, const float* x,
                 const float* packed, float* y, const Epilogue& ep, float* scratch);
  int64_t (*direct_scratch_floats)(const Conv2dShape& s, bool planar_input);
  /// packed: blocked_depthwise_pack's taps followed by the padded bias.
  void (*depthwise)(ThreadPool& pool, const Conv2dShape& s, const float* x, const float* packed, float* y,
                    const Epilogue& ep);
  void (*to_blocked)(ThreadPool& pool, const float* x, float* y, int64_t n, int64_t c, int64_t spatial);
  void (*to_planar)(ThreadPool& pool, const float* x, float* y, int64_t n, int64_t c, int64_t spatial);
  /// MaxPool of blocked planes (s: channels, window, pads; group and weights unused).
  void (*maxpool)(ThreadPool& pool, const Conv2dShape& s, const float* x, float* y);
  /// The quad kernel (blocked_quad_impl.h; AVX-512 only, else null): a 1x1 unpadded conv (any
  /// stride) of a blocked input, four input channels per broadcast. packed: blocked_quad_pack's.
  void (*direct_quad)(ThreadPool& pool, const Conv2dShape& s, bool planar_input, const float* x,
                      const float* packed, float* y, const Epilogue& ep, float* scratch);
};
const BlockedConvKernel* blocked_conv_kernel(Isa isa);
const BlockedConvKernel* blocked_conv_kernel_avx512();
const BlockedConvKernel* blocked_conv_kernel_avx2();

/// The direct kernel's groups of output blocks (one register tile's worth each): as few groups of at
/// most max_group blocks as hold them all, as even as can be (9 blocks: 3 + 3 + 3, not 4 + 4 + 1).
/// Group g holds blocks [start(g), start(g) + size(g)).
struct BlockGroups {
  int64_t count, base, extra;  // the first `extra` groups hold base + 1 blocks, the others base
  int64_t start(int64_t g) const { return g * base + std::min(g, extra); }
  int64_t size(int64_t g) const { return base + (g < extra ? 1 : 0); }
};
inline BlockGroups block_groups(int64_t blocks, int64_t max_group) {
  const int64_t count = (blocks + max_group - 1) / max_group;
  return {count, blocks / count, blocks % count};
}

/// Packed weights (+ bias) of the direct kernel: per group of block_groups(out blocks, max_group),
/// [in block][ky][kx][in lane][out block of the group][out lane], zero where a channel is padding
/// (planar input: blocks of one channel).
int64_t blocked_direct_packed_floats(const BlockedConvKernel& k, const Conv2dShape& s, bool planar_input);
void blocked_direct_pack(const BlockedConvKernel& k, const Conv2dShape& s, bool planar_input, const float* w,
                         const float* bias, float* packed);
/// Packed weights (+ bias) of the quad kernel, as many floats as blocked_direct_packed_floats: per
/// output block, per input block, [quad q][r][lane 4o + i] = W[16 ob + 4o + r][16 ib + 4q + i].
void blocked_quad_pack(const BlockedConvKernel& k, const Conv2dShape& s, const float* w, const float* bias,
                       float* packed);
/// Packed taps (+ bias) of the depthwise kernel: [block][ky][kx][lane].
int64_t blocked_depthwise_packed_floats(const BlockedConvKernel& k, const Conv2dShape& s);
void blocked_depthwise_pack(const BlockedConvKernel& k, const Conv2dShape& s, const float* w,
                            const float* bias, float* packed);

}  // namespace kiln::cpu
