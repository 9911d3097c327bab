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

}  // namespace kiln::cpu
