// 2-D convolution (NCHW, float) as a GEMM per image and group: the weights are A (packed at build
// time), the input is B, packed panel by panel straight from the image (an implicit im2col that
// never materializes the K x N matrix), and the epilogue (bias, activation, residual) is applied
// in the microkernel's registers before the output's one store.
#pragma once

#include <cstdint>

#include "cpu/thread_pool.h"
#include "cpu/ukernels/gemm.h"

namespace kiln::cpu {

struct Conv2dShape {
  int64_t batch = 1, in_c = 0, in_h = 0, in_w = 0;
  int64_t out_c = 0, out_h = 0, out_w = 0;
  int64_t group = 1;
  int64_t kh = 1, kw = 1, sh = 1, sw = 1, dh = 1, dw = 1;
  int64_t pad_top = 0, pad_left = 0;

  int64_t k() const { return in_c / group * kh * kw; }  // GEMM K per group
  int64_t m() const { return out_c / group; }           // GEMM M per group
  int64_t n() const { return out_h * out_w; }           // GEMM N
  /// One filter per channel: group == in_c == out_c (> 1).
  bool depthwise() const { return group > 1 && group == in_c && group == out_c; }
  bool pointwise() const { return kh == 1 && kw == 1 && sh == 1 && sw == 1 && pad_top == 0 && pad_left == 0; }
};

/// Floats of packed weights for conv2d_gemm.
int64_t conv2d_packed_weights_floats(const GemmUkernel& uk, const Conv2dShape& s);
/// Packs w [out_c][in_c / group][kh][kw] into per-group A panels.
void conv2d_pack_weights(const GemmUkernel& uk, const Conv2dShape& s, const float* w, float* packed);
/// Scratch floats per pool of `threads` threads.
int64_t conv2d_scratch_floats(const GemmUkernel& uk, const Conv2dShape& s, int threads);
/// y = epilogue(conv(x, w)); ep.bias_row is indexed by output channel, ep.residual has y's layout
/// (ep.ldr is ignored: it is out_h * out_w).
void conv2d_gemm(const GemmUkernel& uk, ThreadPool& pool, const Conv2dShape& s, const float* x,
                 const float* packed_w, float* y, const Epilogue& ep, float* scratch);

/// Packs rows [k0, k1) of output positions [n0, n0 + nr) of the implicit im2col matrix of
/// image-group `x` (its first channel): one slice of a B panel. Exposed for tests.
void conv2d_pack_panel(const Conv2dShape& s, const float* x, int64_t n0, int64_t k0, int64_t k1, int nr,
                       float* panel);

}  // namespace kiln::cpu
