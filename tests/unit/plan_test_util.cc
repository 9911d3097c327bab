#include "plan_test_util.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <map>

#include "plan/plan.h"

namespace kiln::plan_test {

std::pair<std::shared_ptr<std::byte[]>, size_t> aligned_copy(const std::string& bytes) {
  size_t n = bytes.size();
  std::shared_ptr<std::byte[]> p(static_cast<std::byte*>(::operator new[](n ? n : 1, std::align_val_t(64))),
                                 [](std::byte* q) { ::operator delete[](q, std::align_val_t(64)); });
  std::memcpy(p.get(), bytes.data(), n);
  return {p, n};
}

Status read_plan(const std::string& bytes) {
  auto [blob, size] = aligned_copy(bytes);
  return plan::read(blob, size).status();
}

std::string reseal(std::string bytes) {
  if (bytes.size() < plan::kHeaderBytes) return bytes;
  uint64_t size = bytes.size();
  std::memcpy(bytes.data() + plan::kOffFileSize, &size, 8);
  uint32_t crc = plan::crc32c(bytes.data() + plan::kChecksumFrom, bytes.size() - plan::kChecksumFrom);
  std::memcpy(bytes.data() + plan::kOffChecksum, &crc, 4);
  return bytes;
}

std::pair<size_t, size_t> section_of(const std::string& bytes, plan::SectionId id) {
  uint32_t count;
  std::memcpy(&count, bytes.data() + plan::kOffSectionCount, 4);
  for (uint32_t i = 0; i < count; ++i) {
    const char* e = bytes.data() + plan::kHeaderBytes + i * plan::kSectionEntryBytes;
    uint32_t sid;
    uint64_t offset, size;
    std::memcpy(&sid, e, 4);
    std::memcpy(&offset, e + 8, 8);
    std::memcpy(&size, e + 16, 8);
    if (sid == static_cast<uint32_t>(id)) return {offset, size};
  }
  ADD_FAILURE() << "no section " << static_cast<uint32_t>(id);
  return {0, 0};
}

namespace {

ir::Value* add_value(ir::Graph& g, const std::string& name, DataType dt, Shape shape,
                     bool rank_known = true) {
  ir::Value* v = g.get_or_create_value(name);
  v->dtype = dt;
  v->shape = std::move(shape);
  v->rank_known = rank_known;
  return v;
}

ir::Value* add_constant(ir::Graph& g, const std::string& name, Tensor t) {
  ir::Value* v = add_value(g, name, t.dtype(), t.shape());
  v->constant = std::move(t);
  return v;
}

ir::Node* add_node(ir::Graph& g, const std::string& name, const std::string& op, std::vector<ir::Value*> in,
                   std::vector<ir::Value*> out) {
  auto n = std::make_unique<ir::Node>();
  n->name = name;
  n->op_type = op;
  n->opset = 17;
  n->inputs = std::move(in);
  n->outputs = std::move(out);
  return g.add_node(std::move(n));
}

ir::Attribute attr(ir::Attribute::Kind kind) {
  ir::Attribute a;
  a.kind = kind;
  return a;
}

// A subgraph reading the outer value "x"; `nest` more levels below it.
std::shared_ptr<ir::Graph> subgraph(const ir::Graph* parent, const std::string& name, int nest) {
  auto g = std::make_shared<ir::Graph>();
  g->name = name;
  g->parent = parent;
  g->opsets = {{"", 17}};
  ir::Value* x = g->get_or_create_value("x");
  ir::Value* out = add_value(*g, name + "_out", DataType::kFloat32, {2, -1});
  add_constant(*g, name + "_c", Tensor::from_doubles(DataType::kUInt8, {1}, {200}));
  ir::Node* n = add_node(*g, name + "_id", "Identity", {x}, {out});
  if (nest > 0) {
    ir::Attribute a = attr(ir::Attribute::Kind::kGraph);
    a.g = subgraph(g.get(), name + "_inner", nest - 1);
    n->attrs["body"] = a;
  }
  g->outputs = {out};
  return g;
}

float float_from_bits(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

}  // namespace

std::unique_ptr<runtime::EngineData> hand_made_engine() {
  auto d = std::make_unique<runtime::EngineData>();
  d->graph = std::make_unique<ir::Graph>();
  ir::Graph& g = *d->graph;
  g.name = "main";
  g.opsets = {{"", 17}, {"kiln.t", 1}};
  ir::Value* x = add_value(g, "x", DataType::kFloat32, {2, -1});
  x->dim_names = {"", "batch"};
  g.inputs = {x};
  ir::Value* w = add_constant(g, "w", Tensor::from_floats({2, 3}, {1, 2, 3, 4, 5, 6}));
  add_constant(g, "w_reshaped", w->constant->reshaped({3, 2}));  // shares w's bytes
  add_constant(g, "zero_size", Tensor(DataType::kInt64, {0, 5}));
  add_constant(g, "half", Tensor::from_doubles(DataType::kFloat16, {3}, {0.5, -2, 65504}));
  ir::Value* y = add_value(g, "VALUE_X", DataType::kInt64, {}, false);
  ir::Value* z = add_value(g, "z", DataType::kFloat32, {2, 3});
  add_value(g, "seq", DataType::kFloat32, {}, false)->is_sequence = true;

  ir::Node* n0 = add_node(g, "n0", "OP_Y", {x, nullptr, w}, {y, nullptr});
  n0->domain = "kiln.t";
  n0->opset = 1;
  auto& at = n0->attrs;
  at["ATTR_KIND"] = attr(ir::Attribute::Kind::kFloat);
  at["ATTR_KIND"].f = float_from_bits(0x7fc00123u);  // a NaN with a payload
  at["i"] = attr(ir::Attribute::Kind::kInt);
  at["i"].i = std::numeric_limits<int64_t>::min();
  at["s"] = attr(ir::Attribute::Kind::kString);
  at["s"].s = std::string("a\0b", 3);
  at["t"] = attr(ir::Attribute::Kind::kTensor);
  at["t"].t = Tensor::from_doubles(DataType::kInt8, {2}, {-1, 7});
  at["empty_t"] = attr(ir::Attribute::Kind::kTensor);
  at["ATTR_INTS"] = attr(ir::Attribute::Kind::kInts);
  at["ATTR_INTS"].ints = {1, -1, std::numeric_limits<int64_t>::max()};
  at["fs"] = attr(ir::Attribute::Kind::kFloats);
  at["fs"].floats = {0.5f, -0.0f, std::numeric_limits<float>::infinity()};
  at["ss"] = attr(ir::Attribute::Kind::kStrings);
  at["ss"].strings = {"", "kiln"};
  at["ts"] = attr(ir::Attribute::Kind::kTensors);
  at["ts"].tensors = {Tensor::from_doubles(DataType::kBool, {2, 2}, {1, 0, 0, 1}), Tensor(), *w->constant};
  at["g"] = attr(ir::Attribute::Kind::kGraph);
  at["g"].g = subgraph(&g, "then", 2);
  at["gs"] = attr(ir::Attribute::Kind::kGraphs);
  at["gs"].graphs = {subgraph(&g, "body_a", 0), subgraph(&g, "body_b", 1)};
  ir::Node* n1 = add_node(g, "n1", "Add", {w, w}, {z});
  g.outputs = {y, z};

  // Tactic names are resolved when a plan loads; "reference" takes parameters, prepared values and
  // timings like any tactic.
  d->steps.resize(2);
  d->steps[0].node = n0;
  d->steps[0].params = {1, -2, 3};
  d->steps[1].node = n1;
  d->steps[1].tactic = "view";
  d->steps[0].prepared = {w, g.find_value("half")};
  d->steps[0].timings = {{"conv2d.gemm.avx512", 12.5}, {"reference", 1e9}};
  d->placement[z] = {64, 24, true};
  d->placement[y] = {-1, 0, false};
  d->arena_bytes = 128;
  d->target = {"x86_64", runtime::kAvx2 | runtime::kFma, "Test CPU @ 1 GHz", 3};
  d->report = {5, 2, {{"fuse-a", 3}, {"fold-b", 0}}, 12.5};
  d->memory = {128, 256, 100, 1, 2};
  d->inputs = {{"x", DataType::kFloat32, {2, -1}}};
  d->outputs = {{"VALUE_X", DataType::kInt64, {}}, {"z", DataType::kFloat32, {2, 3}}};
  return d;
}

namespace {

template <typename T>
std::map<const T*, int> index_of(const std::vector<std::unique_ptr<T>>& items) {
  std::map<const T*, int> m;
  for (const auto& p : items) m[p.get()] = static_cast<int>(m.size());
  m[nullptr] = -1;
  return m;
}

uint32_t bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

void expect_same_tensor(const Tensor& a, const Tensor& b, const std::string& what) {
  EXPECT_EQ(a.dtype(), b.dtype()) << what;
  EXPECT_EQ(a.shape(), b.shape()) << what;
  ASSERT_EQ(a.nbytes(), b.nbytes()) << what;
  if (!b.raw() && a.nbytes()) return;  // stored as its shape only (a tactic packed the values)
  if (a.nbytes()) {
    EXPECT_EQ(0, std::memcmp(a.raw(), b.raw(), a.nbytes())) << what;
  }
}

void expect_same_graph(const ir::Graph& a, const ir::Graph& b, const ir::Graph* b_parent) {
  SCOPED_TRACE("graph '" + a.name + "'");
  EXPECT_EQ(b.parent, b_parent);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.opsets, b.opsets);
  auto av = index_of(a.values()), bv = index_of(b.values());
  auto an = index_of(a.nodes()), bn = index_of(b.nodes());
  ASSERT_EQ(a.values().size(), b.values().size());
  for (size_t i = 0; i < a.values().size(); ++i) {
    const ir::Value &x = *a.values()[i], &y = *b.values()[i];
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.dtype, y.dtype) << x.name;
    EXPECT_EQ(x.shape, y.shape) << x.name;
    EXPECT_EQ(x.rank_known, y.rank_known) << x.name;
    EXPECT_EQ(x.is_sequence, y.is_sequence) << x.name;
    EXPECT_EQ(x.dim_names, y.dim_names) << x.name;
    EXPECT_EQ(an[x.producer], bn[y.producer]) << x.name;
    EXPECT_EQ(b.find_value(y.name), &y);
    ASSERT_EQ(x.is_constant(), y.is_constant()) << x.name;
    if (x.is_constant()) expect_same_tensor(*x.constant, *y.constant, x.name);
  }
  ASSERT_EQ(a.nodes().size(), b.nodes().size());
  for (size_t i = 0; i < a.nodes().size(); ++i) {
    const ir::Node &x = *a.nodes()[i], &y = *b.nodes()[i];
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.op_type, y.op_type);
    EXPECT_EQ(x.domain, y.domain);
    EXPECT_EQ(x.opset, y.opset);
    ASSERT_EQ(x.inputs.size(), y.inputs.size()) << x.name;
    for (size_t k = 0; k < x.inputs.size(); ++k) EXPECT_EQ(av[x.inputs[k]], bv[y.inputs[k]]) << x.name;
    ASSERT_EQ(x.outputs.size(), y.outputs.size()) << x.name;
    for (size_t k = 0; k < x.outputs.size(); ++k) EXPECT_EQ(av[x.outputs[k]], bv[y.outputs[k]]) << x.name;
    ASSERT_EQ(x.attrs.size(), y.attrs.size()) << x.name;
    for (const auto& [key, p] : x.attrs) {
      ASSERT_TRUE(y.attrs.count(key)) << key;
      const ir::Attribute& q = y.attrs.at(key);
      std::string what = x.name + "." + key;
      ASSERT_EQ(p.kind, q.kind) << what;
      EXPECT_EQ(bits(p.f), bits(q.f)) << what;
      EXPECT_EQ(p.i, q.i) << what;
      EXPECT_EQ(p.s, q.s) << what;
      expect_same_tensor(p.t, q.t, what);
      ASSERT_EQ(p.floats.size(), q.floats.size()) << what;
      for (size_t k = 0; k < p.floats.size(); ++k) EXPECT_EQ(bits(p.floats[k]), bits(q.floats[k])) << what;
      EXPECT_EQ(p.ints, q.ints) << what;
      EXPECT_EQ(p.strings, q.strings) << what;
      ASSERT_EQ(p.tensors.size(), q.tensors.size()) << what;
      for (size_t k = 0; k < p.tensors.size(); ++k) expect_same_tensor(p.tensors[k], q.tensors[k], what);
      ASSERT_EQ(!p.g, !q.g) << what;
      if (p.g) expect_same_graph(*p.g, *q.g, &b);
      ASSERT_EQ(p.graphs.size(), q.graphs.size()) << what;
      for (size_t k = 0; k < p.graphs.size(); ++k) expect_same_graph(*p.graphs[k], *q.graphs[k], &b);
    }
  }
  ASSERT_EQ(a.inputs.size(), b.inputs.size());
  for (size_t k = 0; k < a.inputs.size(); ++k) EXPECT_EQ(av[a.inputs[k]], bv[b.inputs[k]]);
  ASSERT_EQ(a.outputs.size(), b.outputs.size());
  for (size_t k = 0; k < a.outputs.size(); ++k) EXPECT_EQ(av[a.outputs[k]], bv[b.outputs[k]]);
}

void expect_same_infos(const std::vector<TensorInfo>& a, const std::vector<TensorInfo>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].name, b[i].name);
    EXPECT_EQ(a[i].dtype, b[i].dtype);
    EXPECT_EQ(a[i].shape, b[i].shape);
  }
}

void walk_tensors(const ir::Graph& g, const std::function<void(const Tensor&, const std::string&)>& f) {
  for (const auto& v : g.values())
    if (v->is_constant()) f(*v->constant, v->name);
  for (const auto& n : g.nodes()) {
    for (const auto& [key, a] : n->attrs) {
      f(a.t, n->name + "." + key);
      for (const Tensor& t : a.tensors) f(t, n->name + "." + key);
      if (a.g) walk_tensors(*a.g, f);
      for (const auto& sub : a.graphs) walk_tensors(*sub, f);
    }
  }
}

}  // namespace

void expect_same_engine(const runtime::EngineData& a, const runtime::EngineData& b) {
  ASSERT_TRUE(b.graph);
  expect_same_graph(*a.graph, *b.graph, nullptr);
  auto an = index_of(a.graph->nodes()), bn = index_of(b.graph->nodes());
  ASSERT_EQ(a.steps.size(), b.steps.size());
  for (size_t i = 0; i < a.steps.size(); ++i) {
    EXPECT_EQ(an[a.steps[i].node], bn[b.steps[i].node]) << "step " << i;
    EXPECT_EQ(a.steps[i].tactic, b.steps[i].tactic);
    EXPECT_EQ(a.steps[i].params, b.steps[i].params);
    ASSERT_EQ(a.steps[i].prepared.size(), b.steps[i].prepared.size());
    for (size_t j = 0; j < a.steps[i].prepared.size(); ++j)
      EXPECT_EQ(a.steps[i].prepared[j]->name, b.steps[i].prepared[j]->name);
    ASSERT_EQ(a.steps[i].timings.size(), b.steps[i].timings.size());
    for (size_t j = 0; j < a.steps[i].timings.size(); ++j) {
      EXPECT_EQ(a.steps[i].timings[j].tactic, b.steps[i].timings[j].tactic);
      EXPECT_EQ(a.steps[i].timings[j].microseconds, b.steps[i].timings[j].microseconds);
    }
  }
  auto av = index_of(a.graph->values());
  ASSERT_EQ(a.placement.size(), b.placement.size());
  for (const auto& [v, p] : a.placement) {
    const ir::Value* bv = b.graph->values()[static_cast<size_t>(av[v])].get();
    ASSERT_TRUE(b.placement.count(bv)) << v->name;
    const runtime::Placement& q = b.placement.at(bv);
    EXPECT_EQ(p.offset, q.offset) << v->name;
    EXPECT_EQ(p.bytes, q.bytes) << v->name;
    EXPECT_EQ(p.in_place, q.in_place) << v->name;
  }
  EXPECT_EQ(a.arena_bytes, b.arena_bytes);
  EXPECT_EQ(a.target.arch, b.target.arch);
  EXPECT_EQ(a.target.features, b.target.features);
  EXPECT_EQ(a.target.cpu_name, b.target.cpu_name);
  EXPECT_EQ(a.target.threads, b.target.threads);
  EXPECT_EQ(a.report.nodes_before, b.report.nodes_before);
  EXPECT_EQ(a.report.nodes_after, b.report.nodes_after);
  EXPECT_EQ(a.report.build_ms, b.report.build_ms);
  ASSERT_EQ(a.report.passes.size(), b.report.passes.size());
  for (size_t i = 0; i < a.report.passes.size(); ++i) {
    EXPECT_EQ(a.report.passes[i].pass, b.report.passes[i].pass);
    EXPECT_EQ(a.report.passes[i].rewrites, b.report.passes[i].rewrites);
  }
  EXPECT_EQ(a.memory.arena_bytes, b.memory.arena_bytes);
  EXPECT_EQ(a.memory.naive_bytes, b.memory.naive_bytes);
  EXPECT_EQ(a.memory.weights_bytes, b.memory.weights_bytes);
  EXPECT_EQ(a.memory.in_place, b.memory.in_place);
  EXPECT_EQ(a.memory.views, b.memory.views);
  expect_same_infos(a.inputs, b.inputs);
  expect_same_infos(a.outputs, b.outputs);
  EXPECT_TRUE(b.blob);
}

int count_tensors(const runtime::EngineData& d) {
  int n = 0;
  walk_tensors(*d.graph, [&](const Tensor& t, const std::string&) { n += t.nbytes() > 0 ? 1 : 0; });
  return n;
}

int count_shape_only(const runtime::EngineData& d) {
  int n = 0;
  walk_tensors(*d.graph,
               [&](const Tensor& t, const std::string&) { n += t.nbytes() > 0 && !t.raw() ? 1 : 0; });
  return n;
}

int expect_constants_in_blob(const runtime::EngineData& d, size_t blob_size) {
  EXPECT_TRUE(d.blob);
  if (!d.blob) return 0;
  const std::byte* begin = d.blob.get();
  int checked = 0;
  walk_tensors(*d.graph, [&](const Tensor& t, const std::string& what) {
    if (t.nbytes() == 0 || !t.raw()) return;
    const auto* p = static_cast<const std::byte*>(t.raw());
    EXPECT_TRUE(p >= begin && p + t.nbytes() <= begin + blob_size) << what << " is a copy, not a view";
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 64, 0u) << what;
    ++checked;
  });
  return checked;
}

}  // namespace kiln::plan_test
