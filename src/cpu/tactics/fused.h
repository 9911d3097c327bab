// Reading a node's fused epilogue (src/ops/fused_layer.h attributes) into the kernels' Epilogue,
// and other glue the tactics share.
#pragma once

#include <optional>

#include "cpu/ukernels/epilogue.h"
#include "ir/graph.h"

namespace kiln::cpu {

/// The node's activation and residual position (pointers left empty), or nullopt when the
/// attributes are not ones the fast kernels implement. Plain ONNX nodes have no epilogue.
std::optional<Epilogue> fused_epilogue(const ir::Node& node);

/// Input 3 of a fused node, when present.
const ir::Value* residual_input(const ir::Node& node);

/// What every conv-like and gemm tactic needs of a node beyond its geometry: an epilogue the
/// kernels implement, a residual of the output's shape, and (channels > 0) input 2, when present,
/// a float32 constant bias of `channels` values (channels == 0: input 2 is not checked).
bool epilogue_supported(const ir::Node& node, int64_t channels);

}  // namespace kiln::cpu
