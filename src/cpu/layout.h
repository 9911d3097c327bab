// The CPU backend's layout pass: the layers that have fast kernels on the blocked layout
// (ops/blocked_layout.h: NCHW16c on AVX-512, NCHW8c on AVX2) and the elementwise layers and
// channel Concats between them are rewritten to it, with a kiln.ToBlocked where a planar value
// enters such a run and a kiln.ToPlanar where a blocked value leaves it (once per value).
//
// Blocked: Conv / kiln.FusedConv, 2-D, float32, static shapes, constant weights, group 1 or
// depthwise, an epilogue the kernels implement, and channels that waste at most half a block's
// padding (a group-1 conv on fewer input channels, a first layer on an image, reads them planar). Followers,
// when every activation input is blocked: same-shape Add, Sub, Mul, Max, Min; Relu, Clip, Sigmoid, Tanh,
// LeakyRelu, HardSigmoid, HardSwish (they keep padding lanes finite); Concat along channels of whole blocks;
// MaxPool (rewritten to a window of 1 along the lanes).
#pragma once

#include <functional>
#include <optional>

#include "cpu/isa.h"
#include "ir/graph.h"
#include "kiln/status.h"

namespace kiln::cpu {

struct LayoutResult {
  int blocked = 0;                       // layers rewritten to the blocked layout
  int reorders = 0;                      // ToBlocked / ToPlanar nodes inserted
  int runs = 0, runs_kept = 0;           // connected runs of blockable layers, and those rewritten
  double planar_us = 0, blocked_us = 0;  // timed: the runs' convolutions planar, blocked + reorders
};

/// Microseconds of the fastest tactic for a layer on this machine (nullopt: no tactic runs it).
using LayerCost = std::function<Expected<std::optional<double>>(const ir::Node&)>;

/// Rewrites `g` (shapes re-inferred); a CPU without AVX2 keeps every layer planar. With `cost`,
/// a run of blockable layers (connected through the values they pass) is rewritten only when its
/// convolutions blocked plus the reorders at its edges take less time than its convolutions
/// planar; without, every run is.
Expected<LayoutResult> apply_blocked_layout(ir::Graph& g, Isa isa, const LayerCost& cost = nullptr);

}  // namespace kiln::cpu
