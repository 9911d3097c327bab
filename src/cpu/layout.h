// The CPU backend's layout pass: the layers that have fast kernels on the blocked layout
// (ops/blocked_layout.h: NCHW16c on AVX-512, NCHW8c on AVX2) and the elementwise layers and
// channel Concats between them are rewritten to it, with a kiln.ToBlocked where a planar value
// enters such a run and a kiln.ToPlanar where a blocked value leaves it (once per value).
//
// Blocked: Conv / kiln.FusedConv, 2-D, float32, static shapes, constant weights, group 1 or
// depthwise, an epilogue the kernels implement, and channels that waste at most half a block's
// padding (a 3-channel image input stays planar). Followers, when every activation input is
// blocked: same-shape Add, Sub, Mul, Max, Min; Relu, Clip, Sigmoid, Tanh, LeakyRelu, HardSigmoid,
// HardSwish (they keep padding lanes finite); Concat along channels of whole blocks.
#pragma once

#include "cpu/isa.h"
#include "ir/graph.h"
#include "kiln/status.h"

namespace kiln::cpu {

struct LayoutResult {
  int blocked = 0;   // layers rewritten to the blocked layout
  int reorders = 0;  // ToBlocked / ToPlanar nodes inserted
};

/// Rewrites `g` (shapes re-inferred); a CPU without AVX2 keeps every layer planar.
Expected<LayoutResult> apply_blocked_layout(ir::Graph& g, Isa isa);

}  // namespace kiln::cpu
