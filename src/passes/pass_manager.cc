#include <algorithm>
#include <map>

#include "ops/infer_graph.h"
#include "passes/pass.h"

namespace kiln::passes {
namespace {
std::multimap<int, std::function<std::unique_ptr<Pass>()>>& registry() {
  static std::multimap<int, std::function<std::unique_ptr<Pass>()>> r;
  return r;
}
}  // namespace

bool register_pass(int order, std::function<std::unique_ptr<Pass>()> factory) {
  registry().emplace(order, std::move(factory));
  return true;
}

Expected<std::vector<PassCount>> run_pipeline(ir::Graph& g,
                                              const std::function<void(const std::string&)>& log) {
  std::vector<std::unique_ptr<Pass>> pipeline;
  for (auto& [order, make] : registry()) pipeline.push_back(make());
  std::vector<PassCount> counts(pipeline.size());
  for (int round = 0; round < 2; ++round) {
    for (size_t i = 0; i < pipeline.size(); ++i) {
      Pass& pass = *pipeline[i];
      counts[i].pass = pass.name();
      auto r = pass.run(g);
      if (!r) return r.status().with_context(std::string("pass ") + pass.name());
      counts[i].rewrites += r->rewrites;
      if (r->changed()) {
        KILN_RETURN_IF_ERROR(g.topological_sort().with_context(std::string("after pass ") + pass.name()));
        KILN_RETURN_IF_ERROR(ir::verify(g).with_context(std::string("after pass ") + pass.name()));
        KILN_RETURN_IF_ERROR(ops::infer_graph(g).with_context(std::string("after pass ") + pass.name()));
      }
    }
  }
  if (log)
    for (const auto& c : counts) log(c.pass + ": " + std::to_string(c.rewrites) + " rewrites");
  return counts;
}

}  // namespace kiln::passes
