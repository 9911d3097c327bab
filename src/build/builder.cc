// The Builder: the one place the build order lives.
//   import -> passes -> shape check -> schedule -> memory plan -> tactic choice -> EngineData
// (precision slots in after the passes as it lands.)
#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include "cpu/layout.h"
#include "memory/planner.h"
#include "onnx/importer.h"
#include "ops/infer_graph.h"
#include "ops/op.h"
#include "ops/postprocess.h"
#include "passes/pass.h"
#include "runtime/engine_data.h"
#include "tune/tuner.h"

namespace kiln {
namespace {

int64_t static_bytes(const ir::Value* v) {
  if (!v || !v->shape_known() || v->dtype == DataType::kUndefined) return -1;
  return shape_numel(v->shape) * static_cast<int64_t>(dtype_size(v->dtype));
}

// Concat along `axis` of values whose leading dims (before axis) are all 1: each input is one
// contiguous block of the output, so producers can write straight into it.
bool concat_is_contiguous(const ir::Node& n, const ir::Graph& g) {
  if (n.op_type != "Concat" || n.outputs.empty() || !n.outputs[0]) return false;
  const ir::Value* out = n.outputs[0];
  if (!out->shape_known()) return false;
  int64_t rank = static_cast<int64_t>(out->shape.size());
  int64_t axis = n.attr_int("axis", 0);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) return false;
  for (int64_t d = 0; d < axis; ++d)
    if (out->shape[d] != 1) return false;
  return true;
}

}  // namespace

Expected<std::shared_ptr<Engine>> Builder::build_onnx(const std::string& path, const BuilderConfig& config) {
  auto t0 = std::chrono::steady_clock::now();
  auto log = [&](const std::string& line) {
    if (config.log) config.log(line);
  };
  ImportOptions import;
  import.shapes = config.shapes;
  KILN_ASSIGN_OR_RETURN(std::unique_ptr<ir::Graph> graph, onnx_import::import_file(path, import));
  auto data = std::make_unique<runtime::EngineData>();
  data->report.nodes_before = static_cast<int>(graph->nodes().size());
  log("import: " + std::to_string(graph->nodes().size()) + " nodes");
  if (!config.postprocess.empty()) {
    KILN_RETURN_IF_ERROR(ops::append_postprocess(*graph, config.postprocess).with_context(path));
    log("postprocess: appended " + config.postprocess);
  }
  tune::TuneOptions tune_options;
  tune_options.mode = config.tactics;
  tune_options.threads = std::max(1, config.threads);
  tune_options.cache_path = config.timing_cache;
  tune_options.fp32_math = config.fp32_math;
  tune_options.log = config.log;
  std::unique_ptr<tune::LayerBench> timer;
  double layout_ms = 0;  // timing the layout pass's alternatives: part of the tuning time
  if (config.optimize) {
    KILN_ASSIGN_OR_RETURN(data->report.passes, passes::run_pipeline(*graph, log));
    if (config.layout != "planar" && config.layout != "blocked")
      return invalid_argument("layout '" + config.layout + "': use blocked or planar");
    if (config.layout == "blocked" && config.tactics != "reference") {
      // Tuning: each run of blocked layers is kept only where its timed layers and reorders beat
      // the same layers planar. Heuristic: every run is kept.
      const auto layout_start = std::chrono::steady_clock::now();
      cpu::LayerCost cost;
      if (config.tactics == "tune") {
        KILN_ASSIGN_OR_RETURN(timer, tune::LayerBench::open(tune_options));
        cost = [&timer](const ir::Node& n) { return timer->fastest(n); };
      }
      KILN_ASSIGN_OR_RETURN(cpu::LayoutResult layout,
                            cpu::apply_blocked_layout(*graph, cpu::host_isa(), cost));
      data->report.passes.push_back({"blocked-layout", layout.blocked});
      layout_ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - layout_start).count();
      log("blocked-layout: " + std::to_string(layout.blocked) + " layers blocked in " +
          std::to_string(layout.runs_kept) + " of " + std::to_string(layout.runs) + " runs, " +
          std::to_string(layout.reorders) + " reorders" +
          (cost ? " (timed: " + std::to_string(static_cast<int>(layout.blocked_us)) + " us blocked vs " +
                      std::to_string(static_cast<int>(layout.planar_us)) + " us planar)"
                : ""));
    }
  }
  data->report.nodes_after = static_cast<int>(graph->nodes().size());

  // Memory plan over the schedule (the node order). Values with static shapes produced by a node
  // live in the arena; graph inputs and constants do not; data-dependent ones are allocated by
  // their kernel at run time.
  const auto& nodes = graph->nodes();
  const int n_steps = static_cast<int>(nodes.size());
  std::map<const ir::Value*, int> id;
  std::vector<const ir::Value*> by_id;
  memory::Problem problem;
  for (int s = 0; s < n_steps; ++s) {
    for (const ir::Value* out : nodes[s]->outputs) {
      int64_t bytes = static_bytes(out);
      if (!out || bytes < 0 || out->is_constant()) continue;
      id[out] = static_cast<int>(by_id.size());
      by_id.push_back(out);
      problem.buffers.push_back({bytes, s, s});
    }
  }
  for (int s = 0; s < n_steps; ++s) {
    for (const ir::Value* in : nodes[s]->inputs)
      if (in && id.count(in))
        problem.buffers[id[in]].last_use = std::max(problem.buffers[id[in]].last_use, s);
  }
  for (const auto& [v, i] : id) {
    if (graph->is_output(v) || graph->read_by_subgraph(v)) problem.buffers[i].last_use = n_steps;
  }
  std::map<int, std::vector<memory::View>> block_views;  // step -> the views that make it a no-op
  int group = 0;
  for (int s = 0; s < n_steps; ++s) {
    const ir::Node& n = *nodes[s];
    const ops::OpDef* def = ops::find_op(n.domain, n.op_type);
    if (!def || n.outputs.empty() || !n.outputs[0] || !id.count(n.outputs[0])) continue;
    const ir::Value* out = n.outputs[0];
    const ir::Value* in0 = n.inputs.empty() ? nullptr : n.inputs[0];
    const int k = ops::in_place_input(*def, n);
    const ir::Value* src = k >= 0 ? n.input(static_cast<size_t>(k)) : nullptr;  // output 0 may take its bytes
    if (def->memory == ops::Memory::kView && in0 && id.count(in0)) {
      problem.views.push_back({id[out], id[in0], 0, -1});
    } else if (src && id.count(src) && static_bytes(src) == static_bytes(out) && !graph->is_output(src)) {
      problem.in_place.push_back({id[out], id[src]});
    } else if (concat_is_contiguous(n, *graph)) {
      // Every input must be a fresh activation of its own producer, read once by this Concat.
      bool all = true;
      int64_t offset = 0;
      std::vector<memory::View> views;
      for (const ir::Value* in : n.inputs) {
        all = all && in && id.count(in) && !graph->is_output(in) && in->producer;
        if (!all) break;
        const ops::OpDef* pd = ops::find_op(in->producer->domain, in->producer->op_type);
        all = pd && pd->memory != ops::Memory::kView && in->producer->op_type != "Concat";
        for (const auto& v : views) all = all && v.value != id[in];
        if (!all) break;
        views.push_back({id[in], id[out], offset, group});
        offset += static_bytes(in);
      }
      if (all && offset == static_bytes(out)) {
        problem.views.insert(problem.views.end(), views.begin(), views.end());
        block_views[s] = views;
        ++group;
      }
    }
  }
  // A Split of a tensor whose dims before the split axis are all 1 cuts it into contiguous blocks:
  // each output is a view of the input at its block's offset and the step has nothing to do. Only
  // where the Split is the input's one reader (so no other reader sees bytes a later in-place op
  // overwrites) and no buffer involved is already part of another view.
  std::set<int> viewed;
  for (const memory::View& v : problem.views) {
    viewed.insert(v.value);
    viewed.insert(v.target);
  }
  std::map<const ir::Value*, int> readers;
  for (const auto& node : nodes)
    for (const ir::Value* in : node->inputs)
      if (in) ++readers[in];
  for (int s = 0; s < n_steps; ++s) {
    const ir::Node& n = *nodes[s];
    if (n.op_type != "Split" || !n.domain.empty() || n.inputs.empty()) continue;
    const ir::Value* in = n.inputs[0];
    if (!in || !id.count(in) || viewed.count(id[in]) || readers[in] != 1 || graph->is_output(in)) continue;
    if (!in->shape_known()) continue;
    const int64_t rank = static_cast<int64_t>(in->shape.size());
    int64_t axis = n.attr_int("axis", 0);
    if (axis < 0) axis += rank;
    bool ok = axis >= 0 && axis < rank;
    for (int64_t d = 0; ok && d < axis; ++d) ok = in->shape[d] == 1;
    std::vector<memory::View> views;
    int64_t offset = 0;
    for (const ir::Value* out : n.outputs) {
      ok = ok && out && id.count(out) && !viewed.count(id[out]);
      if (!ok) break;
      views.push_back({id[out], id[in], offset, group});
      offset += static_bytes(out);
    }
    if (!ok || offset != static_bytes(in)) continue;
    problem.views.insert(problem.views.end(), views.begin(), views.end());
    block_views[s] = views;
    ++group;
    viewed.insert(id[in]);
  }
  memory::Solution sol = memory::plan(problem);
  for (size_t i = 0; i < by_id.size(); ++i) {
    data->placement[by_id[i]] = {sol.offsets[i], problem.buffers[i].bytes,
                                 static_cast<bool>(sol.in_place[i])};
  }
  data->arena_bytes = sol.arena_bytes;
  data->memory.arena_bytes = sol.arena_bytes;
  data->memory.naive_bytes = sol.naive_bytes;
  for (size_t i = 0; i < by_id.size(); ++i) {
    data->memory.in_place += sol.in_place[i] ? 1 : 0;
    data->memory.views += sol.view[i] ? 1 : 0;
  }
  for (const auto& v : graph->values())
    if (v->is_constant()) data->memory.weights_bytes += static_cast<int64_t>(v->constant->nbytes());

  // Steps: a View op whose output was placed on its input, a Concat whose inputs were all placed
  // inside it, and a Split whose outputs were all placed inside its input have nothing left to do.
  for (int s = 0; s < n_steps; ++s) {
    const ir::Node& n = *nodes[s];
    runtime::Step step;
    step.node = &n;
    const ops::OpDef* def = ops::find_op(n.domain, n.op_type);
    if (!n.outputs.empty() && n.outputs[0] && id.count(n.outputs[0])) {
      int o = id[n.outputs[0]];
      bool view_done = def && def->memory == ops::Memory::kView && sol.view[o] && id.count(n.inputs[0]) &&
                       sol.offsets[o] == sol.offsets[id[n.inputs[0]]];
      bool concat_done = block_views.count(s) != 0;
      if (concat_done) {
        for (const memory::View& v : block_views[s])
          concat_done =
              concat_done && sol.view[v.value] && sol.offsets[v.value] == sol.offsets[v.target] + v.offset;
      }
      if (view_done || concat_done) step.tactic = "view";
    }
    data->steps.push_back(step);
  }
  for (const ir::Value* v : graph->inputs) data->inputs.push_back({v->name, v->dtype, v->shape});
  for (const ir::Value* v : graph->outputs) data->outputs.push_back({v->name, v->dtype, v->shape});
  data->target = runtime::detect_target(config.threads);
  data->graph = std::move(graph);
  tune_options.timer = timer.get();
  KILN_RETURN_IF_ERROR(tune::choose_tactics(*data, tune_options));
  data->report.tune_ms += layout_ms;
  data->report.build_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  log("memory: arena " + std::to_string(data->memory.arena_bytes) + " bytes (naive sum " +
      std::to_string(data->memory.naive_bytes) + "), " + std::to_string(data->memory.in_place) +
      " in place, " + std::to_string(data->memory.views) + " views");
  return std::make_shared<Engine>(std::move(data));
}

}  // namespace kiln
