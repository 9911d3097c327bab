// Convolutions on NCHW16c through AMX BF16 tiles at close to FP32 accuracy ("bf16x3").
//
// Each FP32 operand splits into two BF16s, hi = bf16(x) and lo = bf16(x - hi), so that hi + lo
// holds 16 of x's 24 significand bits; a product is then hi*hi + hi*lo + lo*hi (the lo*lo term,
// 2^-16 of it, is dropped), three tile multiplies accumulated in FP32. Each product is thus exact
// to about 2^-16 relative (plain BF16: 2^-8; TF32, TensorRT's FP32 default on NVIDIA: 2^-11),
// and the sums are FP32. A tile multiply (tdpbf16ps) does 16 x 16 x 32 multiply-adds; on this
// machine three of them still outrun AVX-512 FMAs 2-4x (bench/kiln_conv_bench).
//
// The conv is a GEMM per image: rows are output pixels, K is (tap, input channel), columns are
// output channels. Each task packs the implicit im2col rows of some blocks of 32 pixels (two
// 16-row A tiles each, hi and lo) into its scratch, then runs each pair of output blocks (two
// 16-column B tiles) over K for each block with a 2 x 2 grid of FP32 accumulator tiles, and writes
// the 32 x 32 result through the epilogue into the blocked output. Any kernel size, stride, dilation and
// padding; group 1; blocked input.
#pragma once

#include <cstdint>

#include "cpu/kernels/conv2d.h"
#include "cpu/thread_pool.h"
#include "cpu/ukernels/epilogue.h"

namespace kiln::cpu {

/// The conv as the packing and the kernel both see it: a GEMM per image whose K is 16-channel
/// slices (slice t * icb + cb: tap t, input block cb) taken two per step, whose columns are pairs
/// of output blocks and whose rows are blocks of 32 output pixels.
struct BlockedAmxGeom {
  int64_t icb, ocb, pairs;   // input and output blocks of 16 channels, pairs of output blocks
  int64_t k16, steps;        // slices of K, steps of two slices
  int64_t pixels, blocks;    // output pixels per image, blocks of 32 of them
  int64_t x_plane, y_plane;  // floats per input block, per output block
  /// Floats of the packed weight tiles (4 tiles of 256 floats per step and pair): the bias follows.
  int64_t tile_floats() const { return pairs * steps * 1024; }
  /// Floats of `rb` blocks' packed rows: per block and step, hi and lo of 32 rows x 32 BF16.
  int64_t rows_floats(int64_t rb) const { return rb * steps * 1024; }
  /// Floats of one thread's scratch: its task's packed rows, then 4 FP32 C tiles.
  int64_t thread_floats(int64_t rb) const { return rows_floats(rb) + 1024; }
};

inline BlockedAmxGeom blocked_amx_geom(const Conv2dShape& s) {
  BlockedAmxGeom g;
  g.icb = (s.in_c + 15) / 16;
  g.ocb = (s.out_c + 15) / 16;
  g.pairs = (g.ocb + 1) / 2;
  g.k16 = s.kh * s.kw * g.icb;
  g.steps = (g.k16 + 1) / 2;
  g.pixels = s.out_h * s.out_w;
  g.blocks = (g.pixels + 31) / 32;
  g.x_plane = s.in_h * s.in_w * 16;
  g.y_plane = g.pixels * 16;
  return g;
}

/// Packed weights: per pair of output blocks, per K step of 32 (two 16-channel slices of one or
/// two taps), four 16 x 32 BF16 tiles (hi of columns 0-15, of 16-31, then lo of each), rows the K
/// pairs as tdpbf16ps reads them; then the bias padded to whole pairs of blocks, as floats.
int64_t blocked_amx_packed_floats(const Conv2dShape& s);
void blocked_amx_pack(const Conv2dShape& s, const float* w, const float* bias, float* packed);
/// Blocks of 32 output pixels a task packs. Where the weights fit half of L2: few enough that a
/// pool of `threads` gets 3 tasks per thread, within a quarter of L2. Larger weights stream from
/// L3 once per task: as many blocks as half of L2 holds (the tasks then split the pairs).
int64_t blocked_amx_task_blocks(const Conv2dShape& s, int threads);
/// Scratch for a pool of `threads`: per thread, a task's packed rows and 4 output tiles.
int64_t blocked_amx_scratch_floats(const Conv2dShape& s, int threads);
/// y = epilogue(conv(x, w)) on NCHW16c x, y and ep.residual. Runs only where amx_usable().
void blocked_amx_conv(ThreadPool& pool, const Conv2dShape& s, const float* x, const float* packed, float* y,
                      const Epilogue& ep, float* scratch);

}  // namespace kiln::cpu
