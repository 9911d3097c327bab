// Engine (immutable, shared) and Context (one arena, one inference at a time): the executor.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <unordered_map>

#include "cpu/tactic.h"
#include "cpu/tactics/fused.h"
#include "cpu/thread_pool.h"
#include "ops/op.h"
#include "plan/plan.h"
#include "runtime/engine_data.h"
#include "runtime/huge_pages.h"
#include "runtime/interpreter.h"

namespace kiln {

Engine::Engine(std::unique_ptr<runtime::EngineData> data) : data_(std::move(data)) {}
Engine::~Engine() = default;

const std::vector<TensorInfo>& Engine::inputs() const { return data_->inputs; }
const std::vector<TensorInfo>& Engine::outputs() const { return data_->outputs; }
const BuildReport& Engine::build_report() const { return data_->report; }
MemoryInfo Engine::memory() const { return data_->memory; }
int Engine::threads() const { return data_->target.threads; }

std::vector<LayerInfo> Engine::layers() const {
  std::vector<LayerInfo> out;
  for (const runtime::Step& step : data_->steps) {
    const ir::Node& n = *step.node;
    LayerInfo l;
    l.name = n.name;
    l.op = n.op_type;
    if (const ir::Attribute* f = n.attr("kiln_fused")) l.fused = f->strings;
    std::vector<ops::TensorType> in_t, out_t;
    for (const ir::Value* v : n.inputs) {
      l.inputs.push_back(v ? v->name : "");
      l.input_shapes.push_back(v ? v->shape : Shape{});
      in_t.push_back(v ? ops::TensorType{v->dtype, v->shape, v->rank_known} : ops::TensorType{});
    }
    for (const ir::Value* v : n.outputs) {
      l.outputs.push_back(v ? v->name : "");
      l.output_shapes.push_back(v ? v->shape : Shape{});
      out_t.push_back(v ? ops::TensorType{v->dtype, v->shape, v->rank_known} : ops::TensorType{});
      auto it = v ? data_->placement.find(v) : data_->placement.end();
      l.output_offsets.push_back(it == data_->placement.end() ? -1 : it->second.offset);
    }
    l.precision = n.outputs.empty() || !n.outputs[0] ? "" : dtype_name(n.outputs[0]->dtype);
    l.tactic = step.tactic;
    l.timings = step.timings;
    ops::Cost c = ops::op_cost(n, in_t, out_t);
    l.flops = c.flops;
    l.bytes = c.bytes;
    out.push_back(std::move(l));
  }
  return out;
}

Expected<std::string> Engine::serialize() const { return plan::write(*data_); }

Status Engine::save(const std::string& path) const {
  KILN_ASSIGN_OR_RETURN(std::string bytes, serialize());
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary);
    if (!out) return io_error("'" + path + "': cannot open for writing");
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) return io_error("'" + path + "': write failed (disk full?)");
  }
  // Rename so a crash mid-write never leaves a half plan under the final name.
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    return io_error("'" + path + "': cannot rename from " + tmp);
  return Status::ok();
}

namespace {
Expected<std::shared_ptr<const Engine>> from_bytes(std::shared_ptr<std::byte[]> bytes, size_t size,
                                                   const std::string& what) {
  auto data = plan::read(std::move(bytes), size);
  if (!data) return data.status().with_context(what);
  runtime::Target here = runtime::detect_target((*data)->target.threads);
  if (std::string why = runtime::target_mismatch((*data)->target, here); !why.empty()) {
    return Status(StatusCode::kUnsupported, what + ": " + why);
  }
  return std::shared_ptr<const Engine>(std::make_shared<Engine>(std::move(*data)));
}
}  // namespace

Expected<std::shared_ptr<const Engine>> Engine::deserialize(const std::string& bytes) {
  std::shared_ptr<std::byte[]> copy = runtime::huge_page_bytes(bytes.size());
  if (!copy) return io_error("plan: cannot allocate " + std::to_string(bytes.size()) + " bytes for it");
  std::memcpy(copy.get(), bytes.data(), bytes.size());
  return from_bytes(std::move(copy), bytes.size(), "plan");
}

Expected<std::shared_ptr<const Engine>> Engine::load(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return io_error("'" + path + "': cannot open (" + std::strerror(errno) + ")");
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return io_error("'" + path + "' is not a regular file");
  }
  size_t size = static_cast<size_t>(st.st_size);
  if (size == 0) {
    ::close(fd);
    return corrupt("'" + path + "': the file is empty; expected a kiln plan");
  }
  // Read, not mapped: the weights are read on every inference, and a private copy can sit in huge
  // pages (runtime/huge_pages.h) where a file mapping gets 4 KiB ones (MobileNetV2 0.98x the
  // time at 1 and 2 threads, ResNet-50 0.99x).
  std::shared_ptr<std::byte[]> bytes = runtime::huge_page_bytes(size);
  if (!bytes) {
    ::close(fd);
    return io_error("'" + path + "': cannot allocate " + std::to_string(size) + " bytes to read it");
  }
  for (size_t got = 0; got < size;) {
    const ssize_t r = ::pread(fd, bytes.get() + got, size - got, static_cast<off_t>(got));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      const std::string why = r < 0 ? std::strerror(errno) : "the file ended there";
      ::close(fd);
      return io_error("'" + path + "': read failed at byte " + std::to_string(got) + " of " +
                      std::to_string(size) + " (" + why + ")");
    }
    got += static_cast<size_t>(r);
  }
  ::close(fd);
  return from_bytes(std::move(bytes), size, "'" + path + "'");
}

Expected<std::unique_ptr<Context>> Engine::create_context(int threads) const {
  if (threads < 0 || threads > 1024)
    return invalid_argument("create_context: " + std::to_string(threads) +
                            " threads; use 1..1024 (0: the engine's)");
  return std::make_unique<Context>(shared_from_this(), threads);
}

namespace {
std::shared_ptr<std::byte[]> aligned_bytes(size_t n) {
  std::shared_ptr<std::byte[]> p = runtime::huge_page_bytes(n);
  if (!p) throw std::bad_alloc();
  return p;
}
}  // namespace

struct Context::Workers {
  cpu::ThreadPool pool;
  std::shared_ptr<std::byte[]> scratch;
  explicit Workers(int threads) : pool(threads) {}
};

// Every value of the top-level graph by index: arena values get their view once, here; a run
// points `current` at what each value holds so far (an arena view once its producer ran, a
// caller's input, or a tensor a reference kernel made), so a run with tactics only allocates
// nothing.
struct Context::Bindings {
  std::unordered_map<const ir::Value*, int32_t> index;
  std::vector<Tensor> arena;                       // per value: its arena view, or empty
  std::vector<Tensor> owned;                       // per value: a tensor made at run time (no arena slot)
  std::vector<const Tensor*> current;              // per value, during a run
  std::vector<std::vector<int32_t>> step_outputs;  // per step: its outputs' indices, -1 absent
  std::vector<cpu::Epilogue> epilogues;            // per step: its node's, parsed once

  int32_t of(const ir::Value* v) const {
    auto it = v ? index.find(v) : index.end();
    return it == index.end() ? -1 : it->second;
  }
  /// What `v` holds now: a constant, or what the run bound to it (null: nothing yet).
  const Tensor* tensor(const ir::Value* v) const {
    if (v->is_constant()) return &*v->constant;
    const int32_t i = of(v);
    return i < 0 ? nullptr : current[static_cast<size_t>(i)];
  }
};

Context::Context(std::shared_ptr<const Engine> engine, int threads) : engine_(std::move(engine)) {
  const runtime::EngineData& d = engine_->data();
  arena_ = aligned_bytes(static_cast<size_t>(std::max<int64_t>(d.arena_bytes, 64)));
  workers_ = std::make_unique<Workers>(threads > 0 ? threads : std::max(1, d.target.threads));
  // One scratch buffer serves every layer in turn: as large as the largest layer needs.
  int64_t floats = 16;
  for (const runtime::Step& s : d.steps) {
    if (s.impl && s.impl->workspace_floats)
      floats = std::max(floats, s.impl->workspace_floats(*s.node, s.impl->isa, workers_->pool.threads()));
  }
  workers_->scratch = aligned_bytes(static_cast<size_t>(floats) * sizeof(float));

  bindings_ = std::make_unique<Bindings>();
  Bindings& b = *bindings_;
  const auto& values = d.graph->values();
  b.index.reserve(values.size());
  b.arena.resize(values.size());
  b.owned.resize(values.size());
  b.current.assign(values.size(), nullptr);
  for (size_t i = 0; i < values.size(); ++i) {
    const ir::Value* v = values[i].get();
    b.index[v] = static_cast<int32_t>(i);
    auto it = d.placement.find(v);
    if (it != d.placement.end() && it->second.offset >= 0)
      b.arena[i] = Tensor::view(v->dtype, v->shape, arena_, arena_.get() + it->second.offset);
  }
  for (const runtime::Step& s : d.steps) {
    std::vector<int32_t> out;
    for (const ir::Value* v : s.node->outputs) out.push_back(b.of(v));
    b.epilogues.push_back(cpu::fused_epilogue(*s.node).value_or(cpu::Epilogue{}));
    b.step_outputs.push_back(std::move(out));
  }
}
Context::~Context() = default;
int Context::threads() const { return workers_->pool.threads(); }

namespace {

/// Runs subgraphs (If/Loop/Scan bodies) with the reference interpreter; enclosing values are
/// found by name among the engine's current values.
class EngineSubgraphRunner : public ops::SubgraphRunner {
 public:
  explicit EngineSubgraphRunner(std::function<const Tensor*(const std::string&)> lookup)
      : lookup_(std::move(lookup)) {}
  Expected<std::vector<Tensor>> run(const ir::Graph& body, const std::vector<Tensor>& inputs) override {
    runtime::Interpreter interp;
    return interp.run_with_outer(body, inputs, lookup_);
  }

 private:
  std::function<const Tensor*(const std::string&)> lookup_;
};

}  // namespace

Status Context::execute(const std::vector<NamedTensor>& inputs) {
  const runtime::EngineData& d = engine_->data();
  const ir::Graph& g = *d.graph;
  Bindings& b = *bindings_;
  std::fill(b.current.begin(), b.current.end(), nullptr);
  for (size_t k = 0; k < inputs.size(); ++k) {
    const NamedTensor& nt = inputs[k];
    const ir::Value* v = g.find_value(nt.name);
    bool is_input = v && std::find(g.inputs.begin(), g.inputs.end(), v) != g.inputs.end();
    if (!is_input) {
      std::string names;
      for (const ir::Value* i : g.inputs) names += (names.empty() ? "'" : ", '") + i->name + "'";
      return invalid_argument("the engine has no input named '" + nt.name + "'; its inputs are " + names);
    }
    for (size_t j = 0; j < k; ++j)
      if (inputs[j].name == nt.name) return invalid_argument("input '" + nt.name + "' is given twice");
    if (nt.tensor.dtype() != v->dtype || nt.tensor.shape() != v->shape) {
      return invalid_argument("input '" + nt.name + "' must be " + dtype_name(v->dtype) + "[" +
                              shape_str(v->shape) + "], got " + dtype_name(nt.tensor.dtype()) + "[" +
                              shape_str(nt.tensor.shape()) +
                              "] (the plan was built for these shapes; rebuild with other --shapes)");
    }
    b.current[static_cast<size_t>(b.of(v))] = &nt.tensor;
  }
  for (const ir::Value* v : g.inputs)
    if (!b.current[static_cast<size_t>(b.of(v))])
      return invalid_argument("input '" + v->name + "' is not given");

  auto aliases_arena = [&](const Tensor& t) {
    const auto* p = static_cast<const std::byte*>(t.raw());
    return p >= arena_.get() && p < arena_.get() + d.arena_bytes;
  };
  EngineSubgraphRunner subgraphs([&g, &b](const std::string& name) -> const Tensor* {
    const ir::Value* v = g.find_value(name);
    return v ? b.tensor(v) : nullptr;
  });
  // Binds value i to what the producer made: its arena view or a tensor of its own.
  auto bind_arena = [&](int32_t i) {
    if (i >= 0) b.current[static_cast<size_t>(i)] = &b.arena[static_cast<size_t>(i)];
  };
  auto bind_owned = [&](int32_t i, Tensor t) {
    b.owned[static_cast<size_t>(i)] = std::move(t);
    b.current[static_cast<size_t>(i)] = &b.owned[static_cast<size_t>(i)];
  };

  for (size_t si = 0; si < d.steps.size(); ++si) {
    const runtime::Step& step = d.steps[si];
    const ir::Node& node = *step.node;
    const std::vector<int32_t>& outs = b.step_outputs[si];
    auto t0 = timer_ ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
    if (step.tactic == "view") {
      // Output bytes are already in place (a view of the input, or a Concat assembled by its
      // producers): only bind the output.
      for (int32_t o : outs) bind_arena(o);
    } else if (step.impl) {
      // A fast tactic: outputs go straight to their arena slots (static shapes, checked at build
      // and load time).
      const Tensor* in[8] = {};
      Tensor* out[4] = {};
      const Tensor* prepared[8] = {};
      if (node.inputs.size() > 8 || node.outputs.size() > 4 || step.prepared.size() > 8)
        return internal_error(node.describe() + ": too many inputs or outputs for tactic " + step.tactic);
      for (size_t i = 0; i < node.inputs.size(); ++i) {
        if (!node.inputs[i]) continue;
        in[i] = b.tensor(node.inputs[i]);
        if (!in[i])
          return internal_error(node.describe() + ": input '" + node.inputs[i]->name + "' has no value");
      }
      for (size_t i = 0; i < node.outputs.size(); ++i) {
        const ir::Value* o = node.outputs[i];
        const int32_t k = outs[i];
        if (!o || k < 0) continue;
        Tensor& slot = b.arena[static_cast<size_t>(k)];
        if (slot.empty()) bind_owned(k, Tensor(o->dtype, o->shape));
        out[i] = slot.empty() ? &b.owned[static_cast<size_t>(k)] : &slot;
      }
      for (size_t i = 0; i < step.prepared.size(); ++i) prepared[i] = &*step.prepared[i]->constant;
      cpu::TacticArgs args{node,
                           step.impl->isa,
                           {in, node.inputs.size()},
                           {out, node.outputs.size()},
                           {prepared, step.prepared.size()},
                           step.params,
                           workers_->pool,
                           reinterpret_cast<float*>(workers_->scratch.get()),
                           b.epilogues[si]};
      KILN_RETURN_IF_ERROR(step.impl->run(args));
      for (int32_t o : outs)
        if (o >= 0 && !b.arena[static_cast<size_t>(o)].empty()) bind_arena(o);
    } else {
      const ops::OpDef* def = ops::find_op(node.domain, node.op_type);
      if (!def || !def->reference) return unsupported(node.describe() + ": no kernel for this op");
      std::vector<const Tensor*> in;
      for (const ir::Value* v : node.inputs) {
        if (!v) {
          in.push_back(nullptr);
          continue;
        }
        const Tensor* t = b.tensor(v);
        if (!t) return internal_error(node.describe() + ": input '" + v->name + "' has no value");
        in.push_back(t);
      }
      ops::RunContext ctx(node, in, &subgraphs);
      for (size_t i = 0; i < node.outputs.size(); ++i) {
        if (!node.outputs[i] || outs[i] < 0) continue;
        auto p = d.placement.find(node.outputs[i]);
        ctx.provide_output(i, b.arena[static_cast<size_t>(outs[i])],
                           p != d.placement.end() && p->second.in_place);
      }
      KILN_RETURN_IF_ERROR(def->reference(ctx));
      for (size_t i = 0; i < node.outputs.size(); ++i) {
        const ir::Value* out = node.outputs[i];
        if (!out || outs[i] < 0) continue;
        Tensor& produced = ctx.output(i);
        if (produced.empty()) return internal_error(node.describe() + ": no output " + std::to_string(i));
        Tensor& place = b.arena[static_cast<size_t>(outs[i])];
        if (!place.empty()) {
          if (produced.raw() != place.raw()) {
            if (produced.dtype() != place.dtype() || produced.shape() != place.shape()) {
              return internal_error(node.describe() + ": output '" + out->name + "' is " +
                                    shape_str(produced.shape()) + ", the plan expects " +
                                    shape_str(place.shape()));
            }
            std::memmove(place.raw(), produced.raw(), produced.nbytes());
          }
          bind_arena(outs[i]);
        } else if (aliases_arena(produced)) {
          // A value with no arena slot (its size is known only now) that views arena bytes, e.g. a
          // Reshape of a planned tensor: those bytes get reused, so it needs its own copy.
          bind_owned(outs[i], produced.clone());
        } else if (produced.is_sequence()) {
          // Sequence items may view arena bytes of their inputs: own them.
          std::vector<Tensor> items;
          for (const Tensor& item : produced.items())
            items.push_back(aliases_arena(item) ? item.clone() : item);
          bind_owned(outs[i], Tensor::sequence(produced.dtype(), std::move(items)));
        } else {
          bind_owned(outs[i], std::move(produced));
        }
      }
    }
    if (timer_)
      timer_(si, std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
  }
  for (const ir::Value* v : g.outputs)
    if (!b.tensor(v)) return internal_error("output '" + v->name + "' was not computed");
  return Status::ok();
}

Expected<std::vector<NamedTensor>> Context::run(const std::vector<NamedTensor>& inputs) {
  KILN_RETURN_IF_ERROR(execute(inputs));
  const ir::Graph& g = *engine_->data().graph;
  std::vector<NamedTensor> outs;
  for (const ir::Value* v : g.outputs) {
    const Tensor* t = bindings_->tensor(v);
    outs.push_back({v->name, t->clone()});
  }
  return outs;
}

Status Context::run_into(const std::vector<NamedTensor>& inputs, std::vector<Tensor>& outputs) {
  const ir::Graph& g = *engine_->data().graph;
  if (outputs.size() != g.outputs.size())
    return invalid_argument("run_into: " + std::to_string(outputs.size()) +
                            " output tensors for an engine with " + std::to_string(g.outputs.size()) +
                            " outputs");
  for (size_t i = 0; i < outputs.size(); ++i) {
    const ir::Value* v = g.outputs[i];
    if (v->shape_known() && (outputs[i].dtype() != v->dtype || outputs[i].shape() != v->shape))
      return invalid_argument("run_into: output " + std::to_string(i) + " ('" + v->name + "') must be " +
                              dtype_name(v->dtype) + "[" + shape_str(v->shape) + "], got " +
                              dtype_name(outputs[i].dtype()) + "[" + shape_str(outputs[i].shape()) + "]");
  }
  KILN_RETURN_IF_ERROR(execute(inputs));
  for (size_t i = 0; i < outputs.size(); ++i) {
    const ir::Value* v = g.outputs[i];
    const Tensor* t = bindings_->tensor(v);
    if (t->dtype() == outputs[i].dtype() && t->shape() == outputs[i].shape() && !t->is_sequence() &&
        !outputs[i].is_sequence())
      std::memcpy(outputs[i].raw(), t->raw(), t->nbytes());
    else
      outputs[i] = t->clone();
  }
  return Status::ok();
}

}  // namespace kiln
