// The reference executor: runs a graph node by node with each op's reference kernel. Values are
// freed after their last use. Subgraphs (If/Loop/Scan) run in a scope that sees the values of
// every enclosing graph by name.
#pragma once

#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "ir/graph.h"
#include "ops/op.h"

namespace kiln::runtime {

struct InterpreterOptions {
  /// After each node, check its op's `infer` (run on the actual inputs) against what the kernel
  /// produced; a disagreement is an error naming the node.
  bool check_shapes = false;
};

class Interpreter {
public:
  explicit Interpreter(InterpreterOptions options = {}) : options_(options) {}

  /// Runs `g` with `inputs` bound to g.inputs in order; returns g.outputs in order.
  Expected<std::vector<Tensor>> run(const ir::Graph& g, const std::vector<Tensor>& inputs) const;
  /// Same, for a subgraph whose enclosing values are found by name through `outer`.
  Expected<std::vector<Tensor>> run_with_outer(const ir::Graph& g, const std::vector<Tensor>& inputs,
                                               std::function<const Tensor*(const std::string&)> outer) const;

private:
  struct Scope;
  class Runner;
  Expected<std::vector<Tensor>> run_in_scope(const ir::Graph& g, const std::vector<Tensor>& inputs,
                                             const Scope* parent) const;
  InterpreterOptions options_;
};

}  // namespace kiln::runtime
