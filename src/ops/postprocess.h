// Post-processing steps the Builder can append to a graph (BuilderConfig::postprocess), as
// TensorRT appends its NMS plugin: the step becomes a node of the engine, run by its reference
// kernel, saved in the plan like any other.
#pragma once

#include <string>

#include "ir/graph.h"
#include "kiln/status.h"

namespace kiln::ops {

/// Appends the step `spec` names ("yolox[:score=S,iou=I,max=M]") after the graph's single output
/// and makes its outputs the graph's outputs (types and shapes inferred). Fails, saying what the
/// step needs, when the graph does not fit it (e.g. the input has no static size).
Status append_postprocess(ir::Graph& graph, const std::string& spec);

}  // namespace kiln::ops
