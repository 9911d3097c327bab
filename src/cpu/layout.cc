#include "cpu/layout.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <set>

#include "cpu/kernels/blocked_conv.h"
#include "cpu/tactic.h"
#include "cpu/tactics/conv_shape.h"
#include "cpu/tactics/fused.h"
#include "ops/blocked_layout.h"
#include "ops/fused_elementwise_chain.h"
#include "ops/infer_graph.h"

namespace kiln::cpu {
namespace {

// Padding a block costs at most half again the real channels.
bool fits_blocks(int64_t c, int64_t b) { return c > 0 && 2 * ((c + b - 1) / b) * b <= 3 * c; }

bool blockable_conv(const ir::Node& n, int64_t b) {
  if (!((n.op_type == "Conv" && n.domain.empty()) || (n.op_type == "FusedConv" && n.domain == "kiln")))
    return false;
  auto s = conv_shape(n);
  if (!s) return false;
  if (s->group != 1 && !s->depthwise()) return false;
  // Too few input channels to block (an image): the direct kernel reads them planar.
  return (fits_blocks(s->in_c, b) || s->group == 1) && fits_blocks(s->out_c, b) &&
         epilogue_supported(n, s->out_c);
}

// A blockable conv that reads its input planar: a first layer on a 3-channel image, or a 3- or
// 7-wide kernel on fewer than two blocks of channels that do not fill their last block (YOLOX's
// 12-channel stem after its space-to-depth). Blocked, the partial block kept such a layer off the
// direct kernel's asm runs: YOLOX's stem ran at 1.5x the planar-input time (kiln_conv_bench), and
// its input needed a reorder.
bool reads_planar(const ir::Node& n, int64_t b) {
  auto s = conv_shape(n);
  if (!s || s->group != 1) return false;
  const bool runs = s->dw == 1 && (s->kw == 3 || s->kw == 7);
  return !fits_blocks(s->in_c, b) || (runs && s->in_c < 2 * b && s->in_c % b != 0);
}

// Elementwise ops whose arithmetic keeps a blocked tensor's padding lanes finite.
bool keeps_finite(const std::string& op) {
  static const std::set<std::string> kOps = {"Add",  "Sub",       "Mul",         "Max",
                                             "Min",  "Relu",      "Clip",        "Sigmoid",
                                             "Tanh", "LeakyRelu", "HardSigmoid", "HardSwish"};
  return kOps.count(op) != 0;
}

bool is_elementwise_chain(const ir::Node& n) { return n.domain == "kiln" && n.op_type == "ElementwiseChain"; }

// A kiln.ElementwiseChain whose operands are all scalars (so it means the same on any layout) and
// whose steps keep padding lanes finite (PP-OCRv4's learnable affine x * a + b after each
// activation: as a planar layer it cost every conv of its backbone two reorders).
bool blockable_chain(const ir::Node& n) {
  for (size_t i = 1; i < n.inputs.size(); ++i)
    if (n.inputs[i] && !(n.inputs[i]->is_constant() && n.inputs[i]->constant->numel() == 1)) return false;
  auto steps = ops::read_chain(n);
  if (!steps) return false;
  for (const ops::ChainStep& step : *steps)
    if (!keeps_finite(step.op_type)) return false;
  return true;
}

bool is_follower_op(const ir::Node& n) {
  if (is_elementwise_chain(n)) return blockable_chain(n);
  static const std::set<std::string> kOther = {"Concat", "MaxPool", "Split", "Resize", "GlobalAveragePool"};
  return n.domain.empty() && (keeps_finite(n.op_type) || kOther.count(n.op_type));
}

// Channel sizes of a Split along axis 1 (nullopt: not a split into whole blocks).
bool splits_whole_blocks(const ir::Node& n, int64_t b) {
  int64_t axis = n.attr_int("axis", 0);
  if (axis < 0) axis += 4;
  if (axis != 1 || n.has_attr("num_outputs") || n.outputs.empty()) return false;
  if (n.input(1) && !n.input(1)->is_constant()) return false;
  for (const ir::Value* v : n.outputs)
    if (!v || !is_static_f32(v) || v->shape.size() != 4 || v->shape[1] % b != 0) return false;
  return true;
}

// A nearest Resize of H and W only, with constant parameters (ROI unused).
bool resizes_planes(const ir::Node& n) {
  const ir::Value *x = n.input(0), *y = n.outputs[0];
  if (n.attr_string("mode", "nearest") != "nearest" || n.has_attr("axes") || n.opset < 11) return false;
  if (n.attr_string("coordinate_transformation_mode", "half_pixel") == "tf_crop_and_resize") return false;
  for (size_t i = 1; i < n.inputs.size(); ++i)
    if (n.inputs[i] && !n.inputs[i]->is_constant()) return false;
  return x->shape.size() == 4 && x->shape[0] == y->shape[0] && x->shape[1] == y->shape[1];
}

// The inputs of a node that carry activations in its layout (the others: weights, Clip bounds).
std::vector<size_t> activation_inputs(const ir::Node& n) {
  if (n.op_type == "Clip" || n.op_type == "Resize" || n.op_type == "Split" || n.op_type == "MaxPool")
    return {0};
  if (n.op_type == "BlockedConv" || n.op_type == "FusedConv" || n.op_type == "Conv") {
    std::vector<size_t> in{0};
    if (n.domain == "kiln" && n.input(3)) in.push_back(3);
    return in;
  }
  std::vector<size_t> in;
  for (size_t i = 0; i < n.inputs.size(); ++i)
    if (n.inputs[i] && !n.inputs[i]->is_constant()) in.push_back(i);
  return in;
}

// A Concat along channels of a value and a constant of zeros: how ONNX exports of TFLite models
// (BlazeFace) pad channels. Blocked, when the value's padding lanes are zero, it is the value
// itself (same blocks) or the value followed by blocks of zeros.
bool pads_channels_with_zeros(const ir::Node& n) {
  if (n.op_type != "Concat" || n.inputs.size() != 2 || !n.inputs[0] || !n.inputs[1]) return false;
  int64_t axis = n.attr_int("axis", 0);
  if (axis < 0) axis += 4;
  const ir::Value *x = n.inputs[0], *z = n.inputs[1];
  if (axis != 1 || !is_const_f32(z) || x->shape.size() != 4 || z->shape.size() != 4) return false;
  if (z->shape[0] != x->shape[0] || z->shape[2] != x->shape[2] || z->shape[3] != x->shape[3]) return false;
  const float* zero = z->constant->data<float>();
  for (int64_t i = 0; i < z->constant->numel(); ++i)
    if (zero[i] != 0.0f) return false;
  return true;
}

// Whether act(0) == 0 for the node's activation (so zero padding lanes stay zero through it).
bool keeps_zero(const ir::Node& n) {
  if (is_elementwise_chain(n)) return false;  // x * a + b
  const std::vector<float> affine =
      n.domain == "kiln" ? n.attr_floats("output_affine") : std::vector<float>{};
  if (affine.size() == 2 && affine[1] != 0) return false;
  const std::string act = n.op_type == "Conv"  ? ""
                          : n.domain == "kiln" ? n.attr_string("activation", "")
                                               : n.op_type;
  if (act == "Sigmoid" || act == "HardSigmoid") return false;
  if (act == "Clip") {
    if (n.domain == "kiln") {
      const std::vector<float> p = n.attr_floats("activation_params");
      return p.size() == 2 && p[0] <= 0 && p[1] >= 0;
    }
    for (size_t i = 1; i < 3; ++i) {  // Clip's min and max inputs (absent: unbounded)
      const ir::Value* v = n.input(i);
      if (!v) continue;
      if (!is_const_f32(v) || v->constant->numel() != 1) return false;
      const float bound = v->constant->data<float>()[0];
      if (i == 1 ? bound > 0 : bound < 0) return false;
    }
  }
  return true;
}

// The activation inputs of a chosen layer that are blocked when it is.
std::vector<size_t> blocked_inputs(const ir::Node& n, int64_t b) {
  std::vector<size_t> in = activation_inputs(n);
  if (reads_planar(n, b)) in.erase(in.begin());
  return in;
}

// A follower whose every activation input is blocked, of the output's shape, and whose
// arithmetic keeps padding lanes finite.
bool blockable_follower(const ir::Node& n, int64_t b, const std::set<const ir::Value*>& blocked,
                        const std::set<const ir::Value*>& zero_padded) {
  if (!is_follower_op(n) || n.outputs.empty() || !is_static_f32(n.outputs[0])) return false;
  if (n.op_type == "Split") return n.input(0) && blocked.count(n.input(0)) && splits_whole_blocks(n, b);
  for (size_t i = 1; i < n.outputs.size(); ++i)
    if (n.outputs[i]) return false;  // MaxPool's Indices
  const ir::Value* y = n.outputs[0];
  if (y->shape.size() != 4) return false;
  if (n.op_type == "Resize") return n.input(0) && blocked.count(n.input(0)) && resizes_planes(n);
  if (n.op_type == "GlobalAveragePool") return n.input(0) && blocked.count(n.input(0));
  if (n.op_type == "MaxPool") {
    const ir::Value* x = n.input(0);
    return x && blocked.count(x) && n.attr_ints("kernel_shape").size() == 2;
  }
  if (pads_channels_with_zeros(n)) return zero_padded.count(n.inputs[0]) != 0;
  if (n.op_type == "Concat") {
    int64_t axis = n.attr_int("axis", 0);
    if (axis < 0) axis += 4;
    if (axis != 1) return false;
    for (const ir::Value* v : n.inputs)
      if (!v || !blocked.count(v) || v->shape.size() != 4 || v->shape[1] % b != 0) return false;
    return true;
  }
  // Same-shape inputs; Add, Sub or Mul may take one of [N, C, 1, 1] (a squeeze-excite gate), whose
  // blocked [N, C/b, 1, 1, b] broadcasts over the planes as the planar one does.
  const bool gate = n.op_type == "Add" || n.op_type == "Sub" || n.op_type == "Mul";
  for (size_t i : activation_inputs(n)) {
    const ir::Value* v = n.input(i);
    if (!v || !blocked.count(v)) return false;
    const bool per_channel = gate && v->shape == Shape{y->shape[0], y->shape[1], 1, 1};
    if (v->shape != y->shape && !per_channel) return false;
  }
  if (n.op_type == "Clip") {
    for (size_t i = 1; i < n.inputs.size(); ++i)
      if (n.inputs[i] && !n.inputs[i]->is_constant()) return false;
  }
  // A constant operand broadcasts the same way on the blocked layout only as a scalar (one of
  // [1, C, 1, 1] would meet the blocked [N, C/b, H, W, b] along the wrong axes).
  for (const ir::Value* v : n.inputs)
    if (v && v->is_constant() && v->constant->numel() != 1) return false;
  return true;
}

std::unique_ptr<ir::Node> reorder_node(const char* op, const std::string& name, ir::Value* in, ir::Value* out,
                                       const char* attr, int64_t value) {
  auto n = std::make_unique<ir::Node>();
  n->op_type = op;
  n->domain = "kiln";
  n->opset = 1;
  n->name = name;
  n->inputs = {in};
  n->outputs = {out};
  ir::Attribute a;
  a.kind = ir::Attribute::Kind::kInt;
  a.i = value;
  n->attrs[attr] = a;
  return n;
}

ir::Value* constant_value(ir::Graph& g, const std::string& name, Tensor t) {
  ir::Value* v = g.create_value(name);
  v->dtype = t.dtype();
  v->shape = t.shape();
  v->rank_known = true;
  v->constant = std::move(t);
  return v;
}

// A value of `v`'s type and `shape` in `scratch`, for a node timed outside the graph.
ir::Value* scratch_value(ir::Graph& scratch, const ir::Value* v, Shape shape) {
  ir::Value* s = scratch.create_value(v->name);
  s->dtype = DataType::kFloat32;
  s->shape = std::move(shape);
  s->rank_known = true;
  return s;
}

// The blocked twin of a blockable conv, reading and writing values of `scratch`.
ir::Node blocked_twin(const ir::Node& n, int64_t b, ir::Graph& scratch) {
  ir::Node t = n;
  t.op_type = ops::kBlockedConv;
  t.domain = "kiln";
  t.opset = 1;
  t.attrs["block"].kind = ir::Attribute::Kind::kInt;
  t.attrs["block"].i = b;
  for (size_t i : blocked_inputs(n, b))
    t.inputs[i] = scratch_value(scratch, n.inputs[i], ops::blocked_shape(n.inputs[i]->shape, b));
  t.outputs[0] = scratch_value(scratch, n.outputs[0], ops::blocked_shape(n.outputs[0]->shape, b));
  return t;
}

ir::Node reorder_twin(const char* op, const ir::Value* planar, int64_t b, ir::Graph& scratch) {
  const bool in = std::string(op) == ops::kToBlocked;
  ir::Value* p = scratch_value(scratch, planar, planar->shape);
  ir::Value* q = scratch_value(scratch, planar, ops::blocked_shape(planar->shape, b));
  return *reorder_node(op, planar->name, in ? p : q, in ? q : p, in ? "block" : "channels",
                       in ? b : planar->shape[1]);
}

}  // namespace

Expected<LayoutResult> apply_blocked_layout(ir::Graph& g, Isa isa, const LayerCost& cost) {
  LayoutResult result;
  const BlockedConvKernel* kernel = isa == Isa::kGeneric ? nullptr : blocked_conv_kernel(isa);
  if (!kernel) return result;
  const int64_t b = kernel->block;

  // Which layers may go blocked (graph order is a schedule: producers first), but for `planar`.
  std::set<const ir::Node*> chosen;
  auto select = [&](const std::set<const ir::Node*>& planar) {
    chosen.clear();
    std::set<const ir::Value*> blocked_values, zero_padded;  // zero_padded: padding lanes all 0
    for (const auto& n : g.nodes()) {
      if (planar.count(n.get())) continue;
      const bool conv = blockable_conv(*n, b);
      if (!conv && !blockable_follower(*n, b, blocked_values, zero_padded)) continue;
      bool subgraph = false;
      for (const ir::Value* y : n->outputs) subgraph = subgraph || (y && g.read_by_subgraph(y));
      if (subgraph) continue;
      chosen.insert(n.get());
      // Zero padding survives: a conv (zero weights and bias there) whose activation keeps 0 and
      // whose residual, if blocked already, is zero-padded (a reordered one is); followers whose
      // blocked inputs all are, through arithmetic that keeps 0.
      bool zero = keeps_zero(*n);
      for (size_t i : blocked_inputs(*n, b)) {
        const ir::Value* v = n->input(i);
        if (blocked_values.count(v) && !zero_padded.count(v)) zero = false;
      }
      for (const ir::Value* y : n->outputs) {
        if (!y) continue;
        blocked_values.insert(y);
        if (zero) zero_padded.insert(y);
      }
    }
  };
  select({});
  ir::Graph scratch;
  if (cost) {
    // A conv that would read an image planar starts its run only if that beats running it planar
    // and reordering its output.
    std::set<const ir::Node*> planar;
    for (const ir::Node* n : chosen) {
      if (!reads_planar(*n, b)) continue;
      KILN_ASSIGN_OR_RETURN(std::optional<double> p, cost(*n));
      KILN_ASSIGN_OR_RETURN(std::optional<double> q, cost(blocked_twin(*n, b, scratch)));
      KILN_ASSIGN_OR_RETURN(std::optional<double> r,
                            cost(reorder_twin(ops::kToBlocked, n->outputs[0], b, scratch)));
      if (p && q && r && *p + *r < *q) planar.insert(n);
    }
    if (!planar.empty()) select(planar);
  }
  if (chosen.empty()) return result;

  // Runs: chosen layers connected through the values they pass each other.
  std::map<const ir::Node*, const ir::Node*> parent;
  for (const ir::Node* n : chosen) parent[n] = n;
  auto root = [&](const ir::Node* n) {
    while (parent[n] != n) n = parent[n] = parent[parent[n]];
    return n;
  };
  for (const ir::Node* n : chosen) {
    for (size_t i : blocked_inputs(*n, b)) {
      const ir::Value* v = n->input(i);
      if (v && v->producer && chosen.count(v->producer)) parent[root(n)] = root(v->producer);
    }
  }
  std::map<const ir::Node*, std::vector<const ir::Node*>> runs;
  for (const auto& n : g.nodes())
    if (chosen.count(n.get())) runs[root(n.get())].push_back(n.get());
  result.runs = static_cast<int>(runs.size());

  if (cost) {
    for (const auto& [r, members] : runs) {
      const std::set<const ir::Node*> in_run(members.begin(), members.end());
      double planar = 0, blocked = 0;
      std::set<const ir::Value*> enter, leave;
      for (const ir::Node* n : members) {
        for (size_t i : blocked_inputs(*n, b)) {
          const ir::Value* v = n->input(i);
          if (v && !(v->producer && in_run.count(v->producer))) enter.insert(v);
        }
        for (const ir::Value* y : n->outputs) {
          if (!y) continue;
          bool planar_reader = g.is_output(y);
          for (const ir::Node* c : g.consumers(y)) planar_reader = planar_reader || !in_run.count(c);
          if (planar_reader) leave.insert(y);
        }
        if (!blockable_conv(*n, b)) continue;  // followers cost about the same either way
        KILN_ASSIGN_OR_RETURN(std::optional<double> p, cost(*n));
        const ir::Node twin = blocked_twin(*n, b, scratch);
        KILN_ASSIGN_OR_RETURN(std::optional<double> q, cost(twin));
        // A layer no tactic runs is the reference's: far slower than any timed tactic.
        planar += p ? *p : 1e9;
        blocked += q ? *q : 1e9;
      }
      for (const ir::Value* v : enter) {
        KILN_ASSIGN_OR_RETURN(std::optional<double> t, cost(reorder_twin(ops::kToBlocked, v, b, scratch)));
        blocked += t ? *t : 1e9;
      }
      for (const ir::Value* v : leave) {
        KILN_ASSIGN_OR_RETURN(std::optional<double> t, cost(reorder_twin(ops::kToPlanar, v, b, scratch)));
        blocked += t ? *t : 1e9;
      }
      if (blocked < planar) {
        result.planar_us += planar;
        result.blocked_us += blocked;
      } else {
        for (const ir::Node* n : members) chosen.erase(n);
      }
    }
  }
  for (const auto& [r, members] : runs) result.runs_kept += chosen.count(members.front()) ? 1 : 0;
  if (chosen.empty()) return result;
  if (!g.opsets.count("kiln")) g.opsets["kiln"] = 1;

  std::map<const ir::Value*, ir::Value*> twin;  // planar value -> its blocked value
  std::vector<ir::Node*> order;
  std::vector<std::pair<ir::Value*, ir::Value*>> produced;  // (planar name, blocked value)
  for (const auto& n : g.nodes())
    if (chosen.count(n.get())) order.push_back(n.get());
  for (ir::Node* n : order) {
    const std::vector<const ir::Value*> planar_inputs(n->inputs.begin(), n->inputs.end());
    for (size_t i : blocked_inputs(*n, b)) {
      ir::Value* v = n->inputs[i];
      if (!v) continue;
      auto it = twin.find(v);
      if (it == twin.end()) {  // a planar value enters a blocked run
        ir::Value* vb = g.create_value(v->name + "_blocked");
        g.insert_node(reorder_node(ops::kToBlocked, v->name + "_to_blocked", v, vb, "block", b), n);
        it = twin.emplace(v, vb).first;
        ++result.reorders;
      }
      n->inputs[i] = it->second;
    }
    const std::vector<const ir::Value*> planar_outputs(n->outputs.begin(), n->outputs.end());
    for (ir::Value*& y : n->outputs) {
      if (!y) continue;
      ir::Value* yb = g.create_value(y->name + "_blocked");
      produced.emplace_back(y, yb);
      twin[y] = yb;
      y = yb;
    }
    if (n->op_type == "Conv" || n->op_type == "FusedConv") {
      n->op_type = ops::kBlockedConv;
      n->domain = "kiln";
      n->opset = 1;
      ir::Attribute a;
      a.kind = ir::Attribute::Kind::kInt;
      a.i = b;
      n->attrs["block"] = a;
    } else if (n->op_type == "Concat" && n->inputs[1]->is_constant()) {  // zeros padding channels
      const ir::Value* x = planar_inputs[0];
      const int64_t have = (x->shape[1] + b - 1) / b, want = (planar_outputs[0]->shape[1] + b - 1) / b;
      if (have == want) {
        n->op_type = "Identity";  // the same blocks: their padding lanes are the zeros
        n->attrs.clear();
        n->inputs.resize(1);
      } else {
        Tensor zeros(DataType::kFloat32, {x->shape[0], want - have, x->shape[2], x->shape[3], b});
        std::memset(zeros.raw(), 0, zeros.nbytes());
        n->inputs[1] = constant_value(g, n->name + "_block_zeros", std::move(zeros));
        n->attrs["axis"].kind = ir::Attribute::Kind::kInt;
        n->attrs["axis"].i = 1;
      }
    } else if (n->op_type == "Concat") {
      n->attrs["axis"].kind = ir::Attribute::Kind::kInt;
      n->attrs["axis"].i = 1;
    } else if (n->op_type == "GlobalAveragePool") {
      // The mean over H and W of [N, C/b, H, W, b], lanes kept (reduce_mean.rows runs it).
      n->op_type = "ReduceMean";
      n->attrs.clear();
      n->attrs["keepdims"].kind = ir::Attribute::Kind::kInt;
      n->attrs["keepdims"].i = 1;
      if (n->opset >= 18) {
        n->inputs.push_back(constant_value(g, n->name + "_axes", Tensor::from_int64s({2}, {2, 3})));
      } else {
        n->attrs["axes"].kind = ir::Attribute::Kind::kInts;
        n->attrs["axes"].ints = {2, 3};
      }
    } else if (n->op_type == "MaxPool") {
      // The same window over [N, C/b, H, W, b], 1 wide along the lanes.
      for (const char* key : {"kernel_shape", "strides", "dilations"})
        if (n->attrs.count(key)) n->attrs[key].ints.push_back(1);
      if (n->attrs.count("pads")) {
        std::vector<int64_t>& p = n->attrs["pads"].ints;
        if (p.size() == 4) p = {p[0], p[1], 0, p[2], p[3], 0};
      }
    } else if (n->op_type == "Split") {
      // Blocks instead of channels along axis 1.
      n->attrs["axis"].kind = ir::Attribute::Kind::kInt;
      n->attrs["axis"].i = 1;
      std::vector<int64_t> sizes;
      for (const ir::Value* y : planar_outputs) sizes.push_back(y->shape[1] / b);
      if (n->attrs.count("split")) n->attrs["split"].ints = sizes;
      if (n->input(1)) {
        Tensor t(DataType::kInt64, {static_cast<int64_t>(sizes.size())});
        for (size_t i = 0; i < sizes.size(); ++i) t.data<int64_t>()[i] = sizes[i];
        n->inputs[1] = constant_value(g, n->name + "_block_split", std::move(t));
      }
    } else if (n->op_type == "Resize") {
      // The same scales or sizes with the lanes kept (scale 1 on the last axis).
      for (size_t i : {size_t{2}, size_t{3}}) {
        const ir::Value* v = n->input(i);
        if (!v || v->constant->numel() == 0) continue;
        Tensor t = v->constant->clone();
        Shape shape{t.numel() + 1};
        Tensor u(t.dtype(), shape);
        std::memcpy(u.raw(), t.raw(), t.nbytes());
        if (u.dtype() == DataType::kFloat32) {
          u.data<float>()[t.numel()] = 1.0f;
        } else {
          u.data<int64_t>()[1] = (u.data<int64_t>()[1] + b - 1) / b;  // sizes: channel blocks
          u.data<int64_t>()[t.numel()] = b;
        }
        n->inputs[i] = constant_value(g, n->name + (i == 2 ? "_block_scales" : "_block_sizes"), std::move(u));
      }
    }
    ++result.blocked;
  }
  g.relink();
  // Blocked values that planar layers (or the graph's outputs) still read leave through ToPlanar,
  // placed before their first planar reader.
  for (auto [y, yb] : produced) {
    const std::vector<ir::Node*> readers = g.consumers(y);
    if (readers.empty() && !g.is_output(y)) continue;
    const ir::Node* first = nullptr;
    for (const auto& m : g.nodes()) {
      for (ir::Node* r : readers)
        if (r == m.get()) first = r;
      if (first) break;
    }
    g.insert_node(reorder_node(ops::kToPlanar, y->name + "_to_planar", yb, y, "channels", y->shape[1]),
                  first);
    ++result.reorders;
  }
  g.relink();
  KILN_RETURN_IF_ERROR(ir::verify(g));
  KILN_RETURN_IF_ERROR(ops::infer_graph(g));
  return result;
}

}  // namespace kiln::cpu
