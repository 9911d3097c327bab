// Graph optimization passes. A pass is small and declarative: it targets op types, matches a
// pattern, rewrites, and counts. Each registers itself, with its place in the pipeline, in its own
// file. Passes are target-neutral; the graph stays verifiable after each.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "kiln/engine.h"
#include "kiln/status.h"

namespace kiln::passes {

struct PassResult {
  int rewrites = 0;
  bool changed() const { return rewrites > 0; }
};

class Pass {
 public:
  virtual ~Pass() = default;
  virtual const char* name() const = 0;
  virtual Expected<PassResult> run(ir::Graph& g) = 0;
};

/// Registers a pass factory at `order` in the pipeline (lower runs first).
bool register_pass(int order, std::function<std::unique_ptr<Pass>()> factory);

/// Runs every registered pass in order (the whole pipeline twice, so later fusions expose earlier
/// patterns), verifying the graph and re-inferring shapes after each pass. One PassCount per pass
/// (the two rounds summed); `log` gets one line per pass.
Expected<std::vector<PassCount>> run_pipeline(ir::Graph& g,
                                              const std::function<void(const std::string&)>& log);

}  // namespace kiln::passes

#define KILN_PASS_CONCAT_INNER_(a, b) a##b
#define KILN_PASS_CONCAT_(a, b) KILN_PASS_CONCAT_INNER_(a, b)
/// In a pass's .cc file: `KILN_REGISTER_PASS(300, FuseConvBn);`
#define KILN_REGISTER_PASS(order, PassClass)                                              \
  [[maybe_unused]] static const bool KILN_PASS_CONCAT_(kiln_pass_registered_, __LINE__) = \
      ::kiln::passes::register_pass(order, [] { return std::make_unique<PassClass>(); })
