// Type and shape inference over a whole graph, op by op, using each op's `infer`.
#pragma once

#include "ir/graph.h"

namespace kiln::ops {

/// Sets dtype/shape of every value produced in `g` (not descending into subgraphs). Unknown dims
/// stay -1. Fails naming the node whose inputs are inconsistent (e.g. after a wrong --shapes).
Status infer_graph(ir::Graph& g);

}  // namespace kiln::ops
