// plan::write: EngineData -> plan bytes (docs/plan-format.md). Everything the reader will refuse is
// refused here first, as an internal error naming the value or node, so a bad engine fails at save
// time rather than at load time on another machine.
#include <algorithm>
#include <cstring>
#include <limits>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include "cpu/tactic.h"
#include "plan/byte_io.h"
#include "plan/format.h"
#include "plan/plan.h"

namespace kiln::plan {
namespace {

/// A tensor's bytes and where they go in the WEIGHTS section (copied once, at assembly).
struct WeightsChunk {
  const void* data;
  size_t bytes;
  uint64_t offset;
};

class GraphWriter {
 public:
  /// Weights collected so far; offsets in the GRAPH section are relative to the section start.
  std::vector<WeightsChunk> weights;
  uint64_t weights_size = 0;
  /// Top-level constants stored as their shapes only: every reader's tactic packed their values.
  std::unordered_set<const ir::Value*> shapes_only;

  Status graph(const ir::Graph& g, int depth, ByteWriter& w) {
    if (depth > kMaxGraphDepth) {
      return internal_error("graph '" + g.name + "': subgraphs are nested deeper than " +
                            std::to_string(kMaxGraphDepth) + " levels, which plans do not support");
    }
    std::unordered_map<const ir::Value*, int32_t> ids;
    for (const auto& v : g.values()) ids[v.get()] = static_cast<int32_t>(ids.size());
    auto id_of = [&](const ir::Value* v, const std::string& where) -> Expected<int32_t> {
      if (!v) return -1;
      auto it = ids.find(v);
      if (it == ids.end()) {
        return internal_error(where + ": value '" + v->name + "' does not belong to graph '" + g.name + "'");
      }
      return it->second;
    };
    KILN_RETURN_IF_ERROR(check_count(g.values().size(), "values of graph '" + g.name + "'"));

    w.str(g.name);
    w.u32(static_cast<uint32_t>(g.opsets.size()));
    for (const auto& [domain, version] : g.opsets) {
      w.str(domain);
      w.i32(version);
    }
    w.u32(static_cast<uint32_t>(g.values().size()));
    for (const auto& v : g.values()) {
      if (g.find_value(v->name) != v.get()) {
        return internal_error(
            "graph '" + g.name + "': value '" + v->name +
            "' is not found by its name (renamed without the graph's index, or a duplicate)");
      }
      for (int64_t d : v->shape)
        if (d < -1) return internal_error("value '" + v->name + "' has dimension " + std::to_string(d));
      w.str(v->name);
      w.u8(dtype_code(v->dtype));
      w.u8(static_cast<uint8_t>((v->rank_known ? 1 : 0) | (v->is_constant() ? 2 : 0) |
                                (v->is_sequence ? 4 : 0)));
      w.u32(static_cast<uint32_t>(v->shape.size()));
      for (int64_t d : v->shape) w.i64(d);
      w.u32(static_cast<uint32_t>(v->dim_names.size()));
      for (const std::string& s : v->dim_names) w.str(s);
      if (v->is_constant()) {
        const bool values = depth > 0 || !shapes_only.count(v.get());
        if (values && !v->constant->raw() && v->constant->nbytes() > 0)
          return internal_error("constant '" + v->name +
                                "' has no values, and a reader other than a tactic that "
                                "packed them needs them");
        KILN_RETURN_IF_ERROR(tensor(*v->constant, "constant '" + v->name + "'", w, values));
      }
    }
    w.u32(static_cast<uint32_t>(g.nodes().size()));
    for (const auto& n : g.nodes()) {
      w.str(n->name);
      w.str(n->op_type);
      w.str(n->domain);
      w.i32(n->opset);
      for (const auto* list : {&n->inputs, &n->outputs}) {
        w.u32(static_cast<uint32_t>(list->size()));
        for (const ir::Value* v : *list) {
          KILN_ASSIGN_OR_RETURN(int32_t id, id_of(v, n->describe()));
          w.i32(id);
        }
      }
      w.u32(static_cast<uint32_t>(n->attrs.size()));
      for (const auto& [key, a] : n->attrs) {
        w.str(key);
        KILN_RETURN_IF_ERROR(attribute(a, n->describe() + " attribute '" + key + "'", depth, w));
      }
    }
    for (const auto* list : {&g.inputs, &g.outputs}) {
      w.u32(static_cast<uint32_t>(list->size()));
      for (const ir::Value* v : *list) {
        if (!v) return internal_error("graph '" + g.name + "' has a null input or output");
        KILN_ASSIGN_OR_RETURN(int32_t id, id_of(v, "graph '" + g.name + "' input/output"));
        w.i32(id);
      }
    }
    return Status::ok();
  }

 private:
  static Status check_count(size_t n, const std::string& what) {
    if (n > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
      return internal_error("too many " + what + " for a plan (" + std::to_string(n) + ")");
    }
    return Status::ok();
  }

  Status attribute(const ir::Attribute& a, const std::string& what, int depth, ByteWriter& w) {
    w.u8(attribute_code(a.kind));
    switch (a.kind) {
      case ir::Attribute::Kind::kFloat:
        w.f32(a.f);
        return Status::ok();
      case ir::Attribute::Kind::kInt:
        w.i64(a.i);
        return Status::ok();
      case ir::Attribute::Kind::kString:
        w.str(a.s);
        return Status::ok();
      case ir::Attribute::Kind::kTensor:
        return tensor(a.t, what, w);
      case ir::Attribute::Kind::kGraph:
        if (!a.g) return internal_error(what + " has no graph");
        return graph(*a.g, depth + 1, w);
      case ir::Attribute::Kind::kFloats:
        w.u32(static_cast<uint32_t>(a.floats.size()));
        for (float f : a.floats) w.f32(f);
        return Status::ok();
      case ir::Attribute::Kind::kInts:
        w.u32(static_cast<uint32_t>(a.ints.size()));
        for (int64_t i : a.ints) w.i64(i);
        return Status::ok();
      case ir::Attribute::Kind::kStrings:
        w.u32(static_cast<uint32_t>(a.strings.size()));
        for (const std::string& s : a.strings) w.str(s);
        return Status::ok();
      case ir::Attribute::Kind::kTensors:
        w.u32(static_cast<uint32_t>(a.tensors.size()));
        for (const Tensor& t : a.tensors) KILN_RETURN_IF_ERROR(tensor(t, what, w));
        return Status::ok();
      case ir::Attribute::Kind::kGraphs:
        w.u32(static_cast<uint32_t>(a.graphs.size()));
        for (const auto& sub : a.graphs) {
          if (!sub) return internal_error(what + " has a null graph");
          KILN_RETURN_IF_ERROR(graph(*sub, depth + 1, w));
        }
        return Status::ok();
    }
    return internal_error(what + ": unknown attribute kind");
  }

  // u8 dtype, u32 rank, i64 dims, u64 offset in WEIGHTS, u64 bytes. Tensors sharing bytes (a
  // reshaped constant) are stored once; without `values` (or with none: a loaded plan's shape-only
  // constant) offset and bytes are 0.
  Status tensor(const Tensor& t, const std::string& what, ByteWriter& w, bool values = true) {
    if (t.empty()) {
      w.u8(0);
      w.u32(0);
      w.u64(0);
      w.u64(0);
      return Status::ok();
    }
    if (t.is_sequence()) {
      return internal_error(what +
                            " is a tensor sequence; plans store tensors only (keep sequences computed)");
    }
    for (int64_t d : t.shape())
      if (d < 0) return internal_error(what + " has a negative dimension: " + shape_str(t.shape()));
    size_t nbytes = t.nbytes();
    uint64_t offset = 0;
    if (!values || !t.raw()) nbytes = 0;
    if (nbytes > 0) {
      auto key = std::make_pair(t.raw(), nbytes);
      auto it = stored_.find(key);
      if (it != stored_.end()) {
        offset = it->second;
      } else {
        offset = (weights_size + kWeightsAlignment - 1) / kWeightsAlignment * kWeightsAlignment;
        weights.push_back({t.raw(), nbytes, offset});
        weights_size = offset + nbytes;
        stored_[key] = offset;
      }
    }
    w.u8(dtype_code(t.dtype()));
    w.u32(static_cast<uint32_t>(t.shape().size()));
    for (int64_t d : t.shape()) w.i64(d);
    w.u64(offset);
    w.u64(nbytes);
    return Status::ok();
  }

  std::map<std::pair<const void*, size_t>, uint64_t> stored_;
};

void write_tensor_infos(const std::vector<TensorInfo>& infos, ByteWriter& w) {
  w.u32(static_cast<uint32_t>(infos.size()));
  for (const TensorInfo& t : infos) {
    w.str(t.name);
    w.u8(dtype_code(t.dtype));
    w.u32(static_cast<uint32_t>(t.shape.size()));
    for (int64_t d : t.shape) w.i64(d);
  }
}

}  // namespace

Expected<std::string> write(const runtime::EngineData& data) {
  if (!data.graph) return internal_error("plan::write: the engine has no graph");
  const ir::Graph& g = *data.graph;
  std::vector<std::pair<SectionId, ByteWriter>> sections;
  sections.reserve(kSectionCount);  // the references below must stay valid
  auto section = [&](SectionId id) -> ByteWriter& { return sections.emplace_back(id, ByteWriter{}).second; };

  ByteWriter& target = section(SectionId::kTarget);
  target.str(data.target.arch);
  target.u64(data.target.features);
  target.str(data.target.cpu_name);
  target.i32(data.target.threads);

  GraphWriter graphs;
  for (const auto& [v, packed_only] : constants_read_packed_only(data))
    if (packed_only) graphs.shapes_only.insert(v);
  KILN_RETURN_IF_ERROR(graphs.graph(g, 0, section(SectionId::kGraph)));

  std::unordered_map<const ir::Node*, uint32_t> node_index;
  for (const auto& n : g.nodes()) node_index[n.get()] = static_cast<uint32_t>(node_index.size());
  ByteWriter& steps = section(SectionId::kSteps);
  steps.u32(static_cast<uint32_t>(data.steps.size()));
  for (size_t i = 0; i < data.steps.size(); ++i) {
    const runtime::Step& s = data.steps[i];
    auto it = node_index.find(s.node);
    if (it == node_index.end()) {
      return internal_error("plan::write: step " + std::to_string(i) +
                            " runs a node that is not in the graph");
    }
    steps.u32(it->second);
    steps.str(s.tactic);
    steps.u32(static_cast<uint32_t>(s.params.size()));
    for (int64_t p : s.params) steps.i64(p);
  }

  std::unordered_map<const ir::Value*, int32_t> value_id;
  for (const auto& v : g.values()) value_id[v.get()] = static_cast<int32_t>(value_id.size());
  // Per step, after the steps themselves: the prepared constants and the tuner's timings.
  for (size_t i = 0; i < data.steps.size(); ++i) {
    const runtime::Step& s = data.steps[i];
    steps.u32(static_cast<uint32_t>(s.prepared.size()));
    for (const ir::Value* v : s.prepared) {
      auto it = value_id.find(v);
      if (it == value_id.end() || !v->is_constant()) {
        return internal_error("plan::write: step " + std::to_string(i) + " prepared value '" +
                              (v ? v->name : "") + "' is not a constant of the graph");
      }
      steps.u32(static_cast<uint32_t>(it->second));
    }
    steps.u32(static_cast<uint32_t>(s.timings.size()));
    for (const TacticTiming& t : s.timings) {
      steps.str(t.tactic);
      steps.f64(t.microseconds);
    }
  }
  std::vector<std::pair<int32_t, runtime::Placement>> placed;
  for (const auto& [v, p] : data.placement) {
    auto it = value_id.find(v);
    if (it == value_id.end()) {
      return internal_error("plan::write: a placed value ('" + (v ? v->name : std::string("null")) +
                            "') is not a value of the top-level graph");
    }
    placed.emplace_back(it->second, p);
  }
  std::sort(placed.begin(), placed.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  ByteWriter& arena = section(SectionId::kArena);
  arena.i64(data.arena_bytes);
  arena.u32(static_cast<uint32_t>(placed.size()));
  for (const auto& [id, p] : placed) {
    arena.i32(id);
    arena.i64(p.offset);
    arena.i64(p.bytes);
    arena.u8(p.in_place ? 1 : 0);
  }

  ByteWriter& report = section(SectionId::kReport);
  report.i32(data.report.nodes_before);
  report.i32(data.report.nodes_after);
  report.u32(static_cast<uint32_t>(data.report.passes.size()));
  for (const PassCount& p : data.report.passes) {
    report.str(p.pass);
    report.i32(p.rewrites);
  }
  report.f64(data.report.build_ms);
  for (int64_t m : {data.memory.arena_bytes, data.memory.naive_bytes, data.memory.weights_bytes,
                    data.memory.in_place, data.memory.views})
    report.i64(m);

  ByteWriter& bindings = section(SectionId::kBindings);
  write_tensor_infos(data.inputs, bindings);
  write_tensor_infos(data.outputs, bindings);

  // Header and table, then the small sections, then the weights at a 64-byte boundary.
  ByteWriter out;
  size_t small = 0;
  for (auto& [id, w] : sections) small += w.size();
  out.buffer().reserve(kHeaderBytes + (sections.size() + 1) * kSectionEntryBytes + small + kWeightsAlignment +
                       graphs.weights_size);
  out.raw(kMagic, sizeof(kMagic));
  out.u32(kFormatVersion);
  out.u32(0);  // checksum, patched below
  out.u64(0);  // file size, patched below
  out.u32(static_cast<uint32_t>(sections.size() + 1));
  out.u32(0);
  char version[kKilnVersionBytes] = {};
  std::memcpy(version, kKilnVersion, std::min(sizeof(kKilnVersion), kKilnVersionBytes - 1));
  out.raw(version, sizeof(version));
  size_t table = out.size();
  for (size_t i = 0; i <= sections.size(); ++i) {
    out.u64(0);
    out.u64(0);
    out.u64(0);
  }
  auto put_entry = [&](size_t index, SectionId id, uint64_t offset, uint64_t size) {
    size_t at = table + index * kSectionEntryBytes;
    out.patch_u32(at, static_cast<uint32_t>(id));
    out.patch_u64(at + 8, offset);
    out.patch_u64(at + 16, size);
  };
  for (size_t i = 0; i < sections.size(); ++i) {
    put_entry(i, sections[i].first, out.size(), sections[i].second.size());
    out.raw(sections[i].second.buffer().data(), sections[i].second.size());
  }
  out.pad_to(kWeightsAlignment);
  size_t weights_at = out.size();
  put_entry(sections.size(), SectionId::kWeights, weights_at, graphs.weights_size);
  for (const WeightsChunk& c : graphs.weights) {  // in offset order; zeros between tensors
    out.buffer().resize(weights_at + c.offset, '\0');
    out.raw(c.data, c.bytes);
  }

  out.patch_u64(kOffFileSize, out.size());
  const std::string& bytes = out.buffer();
  out.patch_u32(kOffChecksum, crc32c(bytes.data() + kChecksumFrom, bytes.size() - kChecksumFrom));
  return std::move(out.buffer());
}

std::unordered_map<const ir::Value*, bool> constants_read_packed_only(const runtime::EngineData& data) {
  const ir::Graph& g = *data.graph;
  std::unordered_map<const ir::Value*, bool> packed;
  auto read = [&](const ir::Value* v, bool ok) {
    if (!v || !v->is_constant()) return;
    auto [at, fresh] = packed.emplace(v, ok);
    if (!fresh) at->second = at->second && ok;
  };
  std::unordered_map<const ir::Node*, const cpu::Tactic*> tactic_of;
  for (const runtime::Step& s : data.steps) {
    tactic_of[s.node] = s.impl;
    for (const ir::Value* v : s.prepared) read(v, false);
  }
  for (const auto& n : g.nodes()) {
    auto it = tactic_of.find(n.get());
    const cpu::Tactic* t = it == tactic_of.end() ? nullptr : it->second;
    for (size_t k = 0; k < n->inputs.size(); ++k)
      read(n->inputs[k], t && k < 32 && ((t->packed_inputs >> k) & 1u));
  }
  for (const ir::Value* v : g.outputs) read(v, false);
  for (const auto& v : g.values())
    if (g.read_by_subgraph(v.get()) || (v->is_constant() && v->constant->is_sequence())) read(v.get(), false);
  return packed;
}

}  // namespace kiln::plan
