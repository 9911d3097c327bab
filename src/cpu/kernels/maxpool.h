// 2-D max pooling (NCHW float, any window, stride and dilation): each channel is copied into a
// plane padded with -inf, then every output row is vector max over the window's taps (stride 2
// reads even lanes, other strides gather). One instance per ISA.
#pragma once

#include "cpu/kernels/conv2d.h"
#include "cpu/thread_pool.h"

namespace kiln::cpu {

struct MaxPoolKernel {
  Isa isa;
  /// s.in_c == s.out_c channels; s.k*, s.s*, s.d*, s.pad_* describe the window.
  void (*run)(ThreadPool& pool, const Conv2dShape& s, const float* x, float* y, float* scratch);
};
const MaxPoolKernel* maxpool_kernel(Isa isa);
const MaxPoolKernel* maxpool_kernel_avx512();
const MaxPoolKernel* maxpool_kernel_avx2();
int64_t maxpool_plane_floats(const Conv2dShape& s);

}  // namespace kiln::cpu
