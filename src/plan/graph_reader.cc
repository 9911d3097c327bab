#include "plan/graph_reader.h"

#include <limits>

#include "plan/format.h"

namespace kiln::plan {
namespace {

// Smallest encodings, used to cap counts by the bytes left before anything is reserved.
constexpr size_t kMinStringBytes = 4;
constexpr size_t kMinOpsetBytes = kMinStringBytes + 4;
constexpr size_t kMinValueBytes = kMinStringBytes + 1 + 1 + 4 + 4;
constexpr size_t kMinNodeBytes = 3 * kMinStringBytes + 4 + 3 * 4;
constexpr size_t kMinAttributeBytes = kMinStringBytes + 1;
constexpr size_t kMinTensorBytes = 1 + 4 + 8 + 8;
constexpr size_t kMinGraphBytes = kMinStringBytes + 5 * 4;

class GraphReader {
 public:
  GraphReader(ByteReader& r, const WeightsSpan& weights) : r_(r), w_(weights) {}

  std::unique_ptr<ir::Graph> graph(const ir::Graph* parent, int depth) {
    size_t start = r_.pos();
    if (depth > kMaxGraphDepth) {
      r_.fail("subgraphs nested deeper than " + std::to_string(kMaxGraphDepth) + " levels");
      return nullptr;
    }
    auto g = std::make_unique<ir::Graph>();
    g->parent = parent;
    g->name = r_.str("graph name");
    uint32_t n_opsets = r_.count(kMinOpsetBytes, "opsets");
    for (uint32_t i = 0; i < n_opsets && r_.ok(); ++i) {
      size_t at = r_.pos();
      std::string domain = r_.str("opset domain");
      int32_t version = r_.i32();
      if (r_.ok() && !g->opsets.emplace(domain, version).second)
        r_.fail_at(at, "opset domain '" + domain + "' twice");
    }
    uint32_t n_values = r_.count(kMinValueBytes, "values");
    for (uint32_t i = 0; i < n_values && r_.ok(); ++i) value(*g, depth);
    uint32_t n_nodes = r_.count(kMinNodeBytes, "nodes");
    for (uint32_t i = 0; i < n_nodes && r_.ok(); ++i) node(*g, depth);
    for (auto* list : {&g->inputs, &g->outputs}) {
      uint32_t n = r_.count(4, list == &g->inputs ? "graph inputs" : "graph outputs");
      for (uint32_t i = 0; i < n && r_.ok(); ++i) {
        ir::Value* v = value_ref(*g, "graph '" + g->name + "' input/output", false);
        if (r_.ok()) list->push_back(v);
      }
    }
    if (!r_.ok()) return nullptr;
    g->relink();
    if (Status s = ir::verify(*g); !s.is_ok()) {
      r_.fail_at(start, "graph '" + g->name + "' is inconsistent: " + s.message());
      return nullptr;
    }
    return g;
  }

 private:
  void value(ir::Graph& g, int depth) {
    size_t at = r_.pos();
    std::string name = r_.str("value name");
    uint8_t code = r_.u8();
    uint8_t flags = r_.u8();
    Shape shape(r_.count(8, "dimensions"));
    for (int64_t& d : shape) d = r_.i64();
    std::vector<std::string> dim_names(r_.count(kMinStringBytes, "dimension names"));
    for (std::string& s : dim_names) s = r_.str("dimension name");
    if (!r_.ok()) return;
    std::string what = "value '" + name + "'";
    auto dtype = dtype_from_code(code);
    if (!dtype) return r_.fail_at(at, what + " has unknown data type code " + std::to_string(code));
    if (flags & ~7u) return r_.fail_at(at, what + " has unknown flags " + std::to_string(flags));
    for (int64_t d : shape)
      if (d < -1) return r_.fail_at(at, what + " has dimension " + std::to_string(d));
    if (g.find_value(name)) return r_.fail_at(at, "two values are named '" + name + "'");
    ir::Value* v = g.get_or_create_value(name);
    v->dtype = *dtype;
    v->shape = std::move(shape);
    v->rank_known = (flags & 1) != 0;
    v->is_sequence = (flags & 4) != 0;
    v->dim_names = std::move(dim_names);
    if (flags & 2) {
      // Only the top-level graph's constants may be stored as shapes (their readers' tactics
      // packed the values: plan::read checks that of every reader).
      Tensor t = tensor("constant '" + name + "'", depth == 0);
      if (r_.ok()) v->constant = std::move(t);
    }
  }

  // A value id of `g`; -1 is "absent" (null) where `optional`.
  ir::Value* value_ref(const ir::Graph& g, const std::string& what, bool optional) {
    size_t at = r_.pos();
    int32_t id = r_.i32();
    if (!r_.ok()) return nullptr;
    if (id == -1 && optional) return nullptr;
    if (id < 0 || static_cast<size_t>(id) >= g.values().size()) {
      r_.fail_at(at, what + " refers to value " + std::to_string(id) + ", but graph '" + g.name + "' has " +
                         std::to_string(g.values().size()) + " values");
      return nullptr;
    }
    return g.values()[static_cast<size_t>(id)].get();
  }

  void node(ir::Graph& g, int depth) {
    auto n = std::make_unique<ir::Node>();
    n->name = r_.str("node name");
    n->op_type = r_.str("op type");
    n->domain = r_.str("domain");
    n->opset = r_.i32();
    for (auto* list : {&n->inputs, &n->outputs}) {
      list->resize(r_.count(4, list == &n->inputs ? "node inputs" : "node outputs"));
      for (ir::Value*& v : *list) v = value_ref(g, n->describe(), true);
    }
    uint32_t n_attrs = r_.count(kMinAttributeBytes, "attributes");
    for (uint32_t i = 0; i < n_attrs && r_.ok(); ++i) {
      size_t at = r_.pos();
      std::string key = r_.str("attribute name");
      if (!r_.ok()) return;
      if (n->attrs.count(key)) return r_.fail_at(at, n->describe() + " has attribute '" + key + "' twice");
      attribute(n->attrs[key], g, depth, n->describe() + " attribute '" + key + "'");
    }
    if (r_.ok()) g.add_node(std::move(n));
  }

  void attribute(ir::Attribute& a, const ir::Graph& owner, int depth, const std::string& what) {
    size_t at = r_.pos();
    uint8_t code = r_.u8();
    if (!r_.ok()) return;
    auto kind = attribute_from_code(code);
    if (!kind) return r_.fail_at(at, what + " has unknown attribute kind " + std::to_string(code));
    a.kind = *kind;
    switch (*kind) {
      case ir::Attribute::Kind::kFloat:
        a.f = r_.f32();
        return;
      case ir::Attribute::Kind::kInt:
        a.i = r_.i64();
        return;
      case ir::Attribute::Kind::kString:
        a.s = r_.str("string attribute");
        return;
      case ir::Attribute::Kind::kTensor:
        a.t = tensor(what);
        return;
      case ir::Attribute::Kind::kGraph:
        a.g = graph(&owner, depth + 1);
        return;
      case ir::Attribute::Kind::kFloats:
        a.floats.resize(r_.count(4, "floats"));
        for (float& f : a.floats) f = r_.f32();
        return;
      case ir::Attribute::Kind::kInts:
        a.ints.resize(r_.count(8, "ints"));
        for (int64_t& i : a.ints) i = r_.i64();
        return;
      case ir::Attribute::Kind::kStrings:
        a.strings.resize(r_.count(kMinStringBytes, "strings"));
        for (std::string& s : a.strings) s = r_.str("string");
        return;
      case ir::Attribute::Kind::kTensors: {
        uint32_t n = r_.count(kMinTensorBytes, "tensors");
        for (uint32_t i = 0; i < n && r_.ok(); ++i) a.tensors.push_back(tensor(what));
        return;
      }
      case ir::Attribute::Kind::kGraphs: {
        uint32_t n = r_.count(kMinGraphBytes, "graphs");
        for (uint32_t i = 0; i < n && r_.ok(); ++i) a.graphs.push_back(graph(&owner, depth + 1));
        return;
      }
    }
  }

  // u8 dtype, u32 rank, i64 dims, u64 offset in WEIGHTS, u64 bytes; offset and bytes both 0 for a
  // tensor of elements stored as its shape only (`shape_only` allowed: a top-level constant).
  Tensor tensor(const std::string& what, bool shape_only = false) {
    size_t at = r_.pos();
    uint8_t code = r_.u8();
    Shape shape(r_.count(8, "dimensions"));
    for (int64_t& d : shape) d = r_.i64();
    uint64_t offset = r_.u64();
    uint64_t nbytes = r_.u64();
    if (!r_.ok()) return {};
    auto dtype = dtype_from_code(code);
    if (!dtype) return bad(at, what + " has unknown data type code " + std::to_string(code));
    if (*dtype == DataType::kUndefined) {
      if (!shape.empty() || offset || nbytes)
        r_.fail_at(at, what + ": an empty tensor with a shape or bytes");
      return {};
    }
    // Elements, and the product of the non-zero dims, must fit in int64 (kernels compute strides).
    uint64_t numel = 1, extent = 1;
    constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
    for (int64_t d : shape) {
      if (d < 0) return bad(at, what + " has a negative dimension " + std::to_string(d));
      uint64_t u = static_cast<uint64_t>(d);
      if (u > 1 && extent > kMax / u) return bad(at, what + ": shape " + shape_str(shape) + " overflows");
      extent *= u > 1 ? u : 1;
      numel *= u;
    }
    uint64_t elem = dtype_size(*dtype);
    if (shape_only && numel > 0 && numel <= kMax / elem && offset == 0 && nbytes == 0)
      return Tensor::view(*dtype, std::move(shape), nullptr, nullptr);
    if (numel > kMax / elem || numel * elem != nbytes) {
      return bad(at, what + " (" + dtype_name(*dtype) + "[" + shape_str(shape) + "]) says it has " +
                         std::to_string(nbytes) + " bytes");
    }
    if (offset % kWeightsAlignment != 0) {
      return bad(at, what + ": weights offset " + std::to_string(offset) + " is not 64-byte aligned");
    }
    if (offset > w_.size || nbytes > w_.size - offset) {
      return bad(at, what + ": bytes [" + std::to_string(offset) + ", +" + std::to_string(nbytes) +
                         ") lie outside the WEIGHTS section (" + std::to_string(w_.size) + " bytes)");
    }
    return Tensor::view(*dtype, std::move(shape), w_.blob, w_.blob.get() + w_.begin + offset);
  }

  Tensor bad(size_t at, const std::string& why) {
    r_.fail_at(at, why);
    return {};
  }

  ByteReader& r_;
  const WeightsSpan& w_;
};

}  // namespace

std::unique_ptr<ir::Graph> read_graph(ByteReader& r, const WeightsSpan& weights) {
  return GraphReader(r, weights).graph(nullptr, 0);
}

}  // namespace kiln::plan
