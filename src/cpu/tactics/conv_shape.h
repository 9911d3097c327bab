// A Conv / FusedConv node's 2-D geometry, when it is one the CPU conv tactics can run: float32
// NCHW with static shapes and constant weights.
#pragma once

#include <optional>

#include "cpu/kernels/conv2d.h"
#include "ir/graph.h"

namespace kiln::cpu {

std::optional<Conv2dShape> conv_shape(const ir::Node& node);

}  // namespace kiln::cpu
