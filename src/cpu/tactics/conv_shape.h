// A Conv / FusedConv node's 2-D geometry, when it is one the CPU conv tactics can run: float32
// NCHW with static shapes and constant weights. Tactics derive it once, at build time, and keep it
// in the step's parameters: run() decodes the parameters instead of re-reading the node's
// attributes (which allocates) on every inference; check() makes a loaded plan's parameters agree
// with its node.
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "cpu/kernels/conv2d.h"
#include "ir/graph.h"
#include "ops/conv_kernel.h"
#include "ops/spatial.h"

namespace kiln::cpu {

std::optional<Conv2dShape> conv_shape(const ir::Node& node);

/// The 2-D shape of a conv setup (its geometry's last two axes).
Conv2dShape conv2d_of(const ops::ConvSetup& setup);
/// The 2-D shape of a pooling window over [batch, channels, in_h, in_w] -> [.., out_h, out_w]
/// (window axes 0 and 1; pads begin at 0 and 1).
Conv2dShape pool2d_of(int64_t batch, int64_t channels, int64_t in_h, int64_t in_w, int64_t out_h,
                      int64_t out_w, const ops::Window& win);

/// The geometry as step parameters, and back (the span must come from conv_params).
std::vector<int64_t> conv_params(const Conv2dShape& s);
Conv2dShape conv_from_params(std::span<const int64_t> p);
/// True when `params` are conv_params(shape).
bool conv_params_match(const std::optional<Conv2dShape>& shape, std::span<const int64_t> params);

}  // namespace kiln::cpu
