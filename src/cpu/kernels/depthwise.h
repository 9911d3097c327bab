// Depthwise 2-D convolution (NCHW, one filter per channel, any kernel size, stride and dilation)
// with the fused epilogue. Each task is one channel of one image: the channel is copied once
// into a zero-padded plane in scratch, then every output row is a run of vector FMAs over it (a
// stride-2 row reads even lanes). One instance per ISA (depthwise_avx512.cc, depthwise_avx2.cc).
#pragma once

#include "cpu/kernels/conv2d.h"
#include "cpu/thread_pool.h"
#include "cpu/ukernels/epilogue.h"

namespace kiln::cpu {

struct DepthwiseKernel {
  Isa isa;
  /// ep.bias_row is per channel; ep.residual has y's layout.
  void (*run)(ThreadPool& pool, const Conv2dShape& s, const float* x, const float* w, float* y,
              const Epilogue& ep, float* scratch);
};
const DepthwiseKernel* depthwise_kernel(Isa isa);
const DepthwiseKernel* depthwise_kernel_avx512();
const DepthwiseKernel* depthwise_kernel_avx2();

/// Scratch floats for one thread's padded plane (times the thread count for the pool).
int64_t depthwise_plane_floats(const Conv2dShape& s);

}  // namespace kiln::cpu
