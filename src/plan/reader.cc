// plan::read: plan bytes -> EngineData. Order of checks: magic, format version, file size, checksum
// (before anything else is parsed), section table, then each section, every count capped by the
// bytes left and every id, offset and size checked against what it refers to.
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <limits>
#include <set>

#include "cpu/tactic.h"
#include "plan/byte_io.h"
#include "plan/format.h"
#include "plan/graph_reader.h"
#include "plan/plan.h"

namespace kiln::plan {
namespace {

struct Section {
  uint32_t id = 0;
  uint64_t offset = 0, size = 0;
};

template <typename T>
T load(const std::byte* p, size_t at) {
  T v;
  std::memcpy(&v, p + at, sizeof(T));
  return v;
}

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%08" PRIx32, v);
  return buf;
}

// The writer's kiln version as printable text (it is only informational, and may be garbage).
std::string kiln_version_of(const std::byte* p) {
  std::string s;
  for (size_t i = 0; i < kKilnVersionBytes; ++i) {
    char c = static_cast<char>(p[kOffKilnVersion + i]);
    if (c == '\0') break;
    s += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  return s.empty() ? "unknown" : s;
}

Status check_header(const std::byte* p, size_t size) {
  if (size < sizeof(kMagic) || std::memcmp(p, kMagic, sizeof(kMagic)) != 0) {
    if (size < sizeof(kMagic) && size > 0 && std::memcmp(p, kMagic, size) == 0) {
      return corrupt("the plan is truncated: " + std::to_string(size) +
                     " bytes, less than its 64-byte header");
    }
    return corrupt("not a kiln plan: it does not start with \"KILNPLAN\" (byte 0)");
  }
  if (size < kHeaderBytes) {
    return corrupt("the plan is truncated: " + std::to_string(size) + " bytes, less than its 64-byte header");
  }
  uint32_t version = load<uint32_t>(p, kOffVersion);
  if (version != kFormatVersion) {
    return unsupported("the plan has format version " + std::to_string(version) + " (written by kiln " +
                       kiln_version_of(p) + "), but this kiln (" + kKilnVersion + ") reads format version " +
                       std::to_string(kFormatVersion) + "; rebuild the plan with this kiln");
  }
  uint64_t file_size = load<uint64_t>(p, kOffFileSize);
  if (file_size != size) {
    return corrupt(size < file_size
                       ? "the plan is truncated: it has " + std::to_string(size) +
                             " bytes but its header (byte 16) says " + std::to_string(file_size)
                       : "the plan has " + std::to_string(size) + " bytes but its header (byte 16) says " +
                             std::to_string(file_size) + ": trailing bytes or a corrupted header");
  }
  uint32_t stored = load<uint32_t>(p, kOffChecksum);
  uint32_t actual = crc32c(p + kChecksumFrom, size - kChecksumFrom);
  if (stored != actual) {
    return corrupt("checksum mismatch: the plan is corrupted (CRC32C of bytes 16.." + std::to_string(size) +
                   " is " + hex32(actual) + ", the header at byte 12 says " + hex32(stored) +
                   "); copy it again or rebuild it");
  }
  if (load<uint32_t>(p, kOffReserved) != 0)
    return corrupt("corrupt plan: header byte 28: reserved field is not 0");
  return Status::ok();
}

Expected<std::vector<Section>> read_section_table(const std::byte* p, size_t size) {
  uint32_t count = load<uint32_t>(p, kOffSectionCount);
  if (count > (size - kHeaderBytes) / kSectionEntryBytes) {
    return corrupt("corrupt plan: header byte 24: " + std::to_string(count) + " sections do not fit in " +
                   std::to_string(size) + " bytes");
  }
  size_t table_end = kHeaderBytes + count * kSectionEntryBytes;
  ByteReader r(p, kHeaderBytes, table_end, "section table");
  std::vector<Section> sections;
  std::set<uint32_t> seen;
  for (uint32_t i = 0; i < count && r.ok(); ++i) {
    size_t at = r.pos();
    Section s;
    s.id = r.u32();
    uint32_t reserved = r.u32();
    s.offset = r.u64();
    s.size = r.u64();
    std::string name = section_name(s.id);
    if (name.empty()) {
      r.fail_at(at, "unknown section id " + std::to_string(s.id));
    } else if (!seen.insert(s.id).second) {
      r.fail_at(at, "section " + name + " appears twice");
    } else if (reserved != 0) {
      r.fail_at(at + 4, "reserved field of section " + name + " is not 0");
    } else if (s.offset < table_end || s.offset > size || s.size > size - s.offset) {
      r.fail_at(at + 8, "section " + name + " at bytes [" + std::to_string(s.offset) + ", +" +
                            std::to_string(s.size) + ") lies outside the plan's " + std::to_string(size) +
                            " bytes (after the table)");
    } else if (s.id == static_cast<uint32_t>(SectionId::kWeights) && s.offset % kWeightsAlignment != 0) {
      r.fail_at(at + 8,
                "section WEIGHTS starts at byte " + std::to_string(s.offset) + ", not 64-byte aligned");
    }
    sections.push_back(s);
  }
  if (!r.ok()) return r.status();
  for (uint32_t id = 1; id <= kSectionCount; ++id) {
    if (!seen.count(id))
      return corrupt("corrupt plan: section table: section " + section_name(id) + " is missing");
  }
  std::vector<Section> sorted = sections;
  std::sort(sorted.begin(), sorted.end(),
            [](const Section& a, const Section& b) { return a.offset < b.offset; });
  for (size_t i = 1; i < sorted.size(); ++i) {
    if (sorted[i - 1].offset + sorted[i - 1].size > sorted[i].offset) {
      return corrupt("corrupt plan: section table: sections " + section_name(sorted[i - 1].id) + " and " +
                     section_name(sorted[i].id) + " overlap at byte " + std::to_string(sorted[i].offset));
    }
  }
  return sections;
}

std::vector<TensorInfo> read_tensor_infos(ByteReader& r, const char* what) {
  std::vector<TensorInfo> infos(r.count(4 + 1 + 4, what));
  for (TensorInfo& t : infos) {
    size_t at = r.pos();
    t.name = r.str("binding name");
    uint8_t code = r.u8();
    t.shape.resize(r.count(8, "dimensions"));
    for (int64_t& d : t.shape) d = r.i64();
    if (!r.ok()) break;
    auto dtype = dtype_from_code(code);
    if (!dtype)
      r.fail_at(at,
                std::string(what) + " '" + t.name + "' has unknown data type code " + std::to_string(code));
    t.dtype = dtype.value_or(DataType::kUndefined);
  }
  return infos;
}

// Placed values are viewed as dtype[shape] at their arena offset while running: the plan must say
// exactly that many bytes, inside the arena.
void read_arena(ByteReader& r, runtime::EngineData& d) {
  const auto& values = d.graph->values();
  d.arena_bytes = r.i64();
  if (r.ok() && d.arena_bytes < 0) r.fail("arena size " + std::to_string(d.arena_bytes) + " is negative");
  uint32_t n = r.count(4 + 8 + 8 + 1, "placements");
  uint64_t bound = 4096;  // what any planner could need: every placed value apart, 4 KiB-aligned
  for (uint32_t i = 0; i < n && r.ok(); ++i) {
    size_t at = r.pos();
    int32_t id = r.i32();
    runtime::Placement p;
    p.offset = r.i64();
    p.bytes = r.i64();
    uint8_t in_place = r.u8();
    if (!r.ok()) return;
    if (id < 0 || static_cast<size_t>(id) >= values.size()) {
      return r.fail_at(at, "placement of value " + std::to_string(id) + ", but the graph has " +
                               std::to_string(values.size()) + " values");
    }
    const ir::Value* v = values[static_cast<size_t>(id)].get();
    std::string what = "placement of '" + v->name + "'";
    if (in_place > 1) return r.fail_at(at, what + ": in-place flag " + std::to_string(in_place));
    p.in_place = in_place == 1;
    if (p.offset < -1 || p.bytes < 0) {
      return r.fail_at(at,
                       what + ": offset " + std::to_string(p.offset) + ", bytes " + std::to_string(p.bytes));
    }
    if (p.offset >= 0) {
      int64_t need = -1;
      if (v->shape_known() && v->dtype != DataType::kUndefined) {
        uint64_t numel = 1;
        bool overflow = false;
        for (int64_t dim : v->shape) {
          uint64_t u = static_cast<uint64_t>(dim);
          overflow =
              overflow || (u > 0 && numel > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) / u);
          numel *= u;
        }
        uint64_t elem = dtype_size(v->dtype);
        if (!overflow && numel <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) / elem)
          need = static_cast<int64_t>(numel * elem);
      }
      if (need != p.bytes) {
        return r.fail_at(at, what + " has " + std::to_string(p.bytes) + " bytes but the value is " +
                                 dtype_name(v->dtype) + "[" + shape_str(v->shape) + "]");
      }
      if (p.offset > d.arena_bytes || p.bytes > d.arena_bytes - p.offset) {
        return r.fail_at(at, what + " at [" + std::to_string(p.offset) + ", +" + std::to_string(p.bytes) +
                                 ") lies outside the " + std::to_string(d.arena_bytes) + "-byte arena");
      }
      uint64_t add = static_cast<uint64_t>(p.bytes) + 4096;  // bytes < 2^63: no wrap
      bound = add > UINT64_MAX - bound ? UINT64_MAX : bound + add;
    }
    if (!d.placement.emplace(v, p).second) return r.fail_at(at, what + " appears twice");
  }
  if (r.ok() && static_cast<uint64_t>(d.arena_bytes) > bound) {
    r.fail("arena size " + std::to_string(d.arena_bytes) + " is more than its placed values could need (" +
           std::to_string(bound) + ")");
  }
}

}  // namespace

Expected<std::unique_ptr<runtime::EngineData>> read(std::shared_ptr<std::byte[]> bytes, size_t size) {
  if (size == 0 || !bytes) return corrupt("the plan is empty (0 bytes); expected a kiln plan");
  const std::byte* p = bytes.get();
  if (reinterpret_cast<uintptr_t>(p) % kWeightsAlignment != 0) {
    return invalid_argument(
        "plan::read: the plan bytes must start at a 64-byte aligned address (mapped or "
        "allocated with std::align_val_t(64)) so weights can be used in place");
  }
  KILN_RETURN_IF_ERROR(check_header(p, size));
  KILN_ASSIGN_OR_RETURN(std::vector<Section> table, read_section_table(p, size));
  auto find = [&](SectionId id) {
    return *std::find_if(table.begin(), table.end(), [&](const Section& s) { return s.id == uint32_t(id); });
  };
  auto reader = [&](SectionId id) {
    Section s = find(id);
    return ByteReader(p, s.offset, s.offset + s.size, section_name(s.id));
  };
  auto data = std::make_unique<runtime::EngineData>();

  ByteReader target = reader(SectionId::kTarget);
  data->target.arch = target.str("architecture");
  data->target.features = target.u64();
  data->target.cpu_name = target.str("CPU name");
  data->target.threads = target.i32();
  if (target.ok() && (data->target.threads < 0 || data->target.threads > 65536)) {
    target.fail("thread count " + std::to_string(data->target.threads) + " is out of range");
  }
  target.expect_end();
  KILN_RETURN_IF_ERROR(target.status());

  Section w = find(SectionId::kWeights);
  ByteReader graph = reader(SectionId::kGraph);
  data->graph = read_graph(graph, WeightsSpan{bytes, w.offset, w.size});
  graph.expect_end();
  KILN_RETURN_IF_ERROR(graph.status());
  const auto& nodes = data->graph->nodes();

  ByteReader steps = reader(SectionId::kSteps);
  data->steps.resize(steps.count(4 + 4 + 4, "steps"));
  for (size_t i = 0; i < data->steps.size() && steps.ok(); ++i) {
    runtime::Step& s = data->steps[i];
    size_t at = steps.pos();
    uint32_t node = steps.u32();
    s.tactic = steps.str("tactic");
    s.params.resize(steps.count(8, "tactic parameters"));
    for (int64_t& v : s.params) v = steps.i64();
    if (steps.ok() && node >= nodes.size()) {
      steps.fail_at(at, "step " + std::to_string(i) + " runs node " + std::to_string(node) +
                            ", but the graph has " + std::to_string(nodes.size()) + " nodes");
    }
    if (steps.ok()) s.node = nodes[node].get();
  }
  const auto& values = data->graph->values();
  for (size_t i = 0; i < data->steps.size() && steps.ok(); ++i) {
    runtime::Step& s = data->steps[i];
    s.prepared.resize(steps.count(4, "prepared values"));
    for (const ir::Value*& v : s.prepared) {
      size_t at = steps.pos();
      uint32_t id = steps.u32();
      if (!steps.ok()) break;
      if (id >= values.size() || !values[id]->is_constant()) {
        steps.fail_at(at, "step " + std::to_string(i) + " prepared value " + std::to_string(id) +
                              " is not a constant of the graph");
        break;
      }
      v = values[id].get();
    }
    s.timings.resize(steps.count(4 + 8, "tactic timings"));
    for (TacticTiming& t : s.timings) {
      t.tactic = steps.str("tactic");
      t.microseconds = steps.f64();
    }
  }
  steps.expect_end();
  KILN_RETURN_IF_ERROR(steps.status());
  for (size_t i = 0; i < data->steps.size(); ++i) {
    runtime::Step& s = data->steps[i];
    if (s.tactic == "reference" || s.tactic == "view") continue;
    std::vector<const Tensor*> prepared;
    for (const ir::Value* v : s.prepared) prepared.push_back(&*v->constant);
    auto impl = cpu::resolve_tactic(s.tactic, *s.node, prepared, s.params);
    if (!impl) return impl.status().with_context("plan: step " + std::to_string(i));
    s.impl = *impl;
  }
  KILN_RETURN_IF_ERROR(check_shape_only_constants(*data));

  ByteReader arena = reader(SectionId::kArena);
  read_arena(arena, *data);
  arena.expect_end();
  KILN_RETURN_IF_ERROR(arena.status());

  ByteReader report = reader(SectionId::kReport);
  data->report.nodes_before = report.i32();
  data->report.nodes_after = report.i32();
  data->report.passes.resize(report.count(4 + 4, "passes"));
  for (PassCount& c : data->report.passes) {
    c.pass = report.str("pass name");
    c.rewrites = report.i32();
  }
  data->report.build_ms = report.f64();
  for (int64_t* m : {&data->memory.arena_bytes, &data->memory.naive_bytes, &data->memory.weights_bytes,
                     &data->memory.in_place, &data->memory.views})
    *m = report.i64();
  report.expect_end();
  KILN_RETURN_IF_ERROR(report.status());

  ByteReader bindings = reader(SectionId::kBindings);
  data->inputs = read_tensor_infos(bindings, "inputs");
  data->outputs = read_tensor_infos(bindings, "outputs");
  bindings.expect_end();
  KILN_RETURN_IF_ERROR(bindings.status());

  data->blob = std::move(bytes);
  return data;
}

// A constant with elements but no bytes: stored as its shape only.
static bool shape_only(const Tensor& t) {
  return !t.empty() && !t.is_sequence() && !t.raw() && t.nbytes() > 0;
}

Status check_shape_only_constants(const runtime::EngineData& d) {
  const std::unordered_map<const ir::Value*, bool> packed_only = constants_read_packed_only(d);
  auto needs_values = [&](const ir::Value* v) {
    auto it = v ? packed_only.find(v) : packed_only.end();
    return it != packed_only.end() && !it->second && shape_only(*v->constant);
  };
  // In schedule order, so the error names the first reader's constant.
  std::vector<const ir::Value*> order;
  for (const auto& n : d.graph->nodes()) order.insert(order.end(), n->inputs.begin(), n->inputs.end());
  for (const auto& v : d.graph->values()) order.push_back(v.get());
  for (const ir::Value* v : order)
    if (needs_values(v))
      return corrupt("plan: constant '" + v->name +
                     "' is stored without its values (a tactic packed them), but a reference kernel, "
                     "a subgraph, the graph's outputs or a step's prepared values read it; the plan "
                     "is inconsistent (rebuild it)");
  return Status::ok();
}

}  // namespace kiln::plan
