// Horizontal fusion: Convs (or kiln.FusedConvs with the same activation and no residual) that read
// the same input with the same attributes, group 1 and constant weights become one Conv over the
// weights concatenated along output channels, followed by a Split back into the original outputs
// (the builder turns a contiguous Split of a batch-1 tensor into views). One rewrite per group.
#include <algorithm>
#include <cstring>
#include <map>
#include <numeric>

#include "ops/fused_layer.h"
#include "passes/pattern.h"

namespace kiln::passes {
namespace {

bool same_attr(const ir::Attribute& a, const ir::Attribute& b) {
  return a.kind == b.kind && a.f == b.f && a.i == b.i && a.s == b.s && a.floats == b.floats &&
         a.ints == b.ints && a.strings == b.strings;
}

bool candidate(const ir::Node* n) {
  const bool fused = n->domain == "kiln" && n->op_type == std::string(ops::kFusedPrefix) + "Conv";
  if (!(is_op(n, "Conv") || fused) || n->outputs.size() != 1 || !n->outputs[0]) return false;
  const Tensor* w = constant_of(n->input(1));
  if (!w || w->rank() < 3 || !dtype_is_float(w->dtype()) || n->attr_int("group", 1) != 1) return false;
  if (n->input(2) && !constant_of(n->input(2))) return false;
  return !n->input(ops::kResidualInput) && n->inputs[0] && n->outputs[0]->dtype == w->dtype();
}

// Same op, attributes (but what was fused in), weight dtype and kernel: one Conv can do both.
bool compatible(const ir::Node* a, const ir::Node* b) {
  if (a->op_type != b->op_type || a->domain != b->domain || a->opset != b->opset) return false;
  const Tensor& wa = *a->inputs[1]->constant;
  const Tensor& wb = *b->inputs[1]->constant;
  if (wa.dtype() != wb.dtype() ||
      !std::equal(wa.shape().begin() + 1, wa.shape().end(), wb.shape().begin() + 1, wb.shape().end()))
    return false;
  auto skip = [](const std::string& k) { return k == "kiln_fused"; };
  for (const auto& [k, v] : a->attrs)
    if (!skip(k) && (!b->has_attr(k) || !same_attr(v, *b->attr(k)))) return false;
  for (const auto& [k, v] : b->attrs)
    if (!skip(k) && !a->has_attr(k)) return false;
  return true;
}

Tensor concat_rows(const std::vector<const Tensor*>& parts, DataType dtype, Shape shape) {
  Tensor out(dtype, std::move(shape));
  auto* dst = static_cast<std::byte*>(out.raw());
  for (const Tensor* t : parts) {
    std::memcpy(dst, t->raw(), t->nbytes());
    dst += t->nbytes();
  }
  return out;
}

void merge(Rewriter& rw, const std::vector<ir::Node*>& group) {
  const ir::Node* first = group.front();
  const Tensor& w0 = *first->inputs[1]->constant;
  std::vector<const Tensor*> ws, bs;
  std::vector<Tensor> zeros;  // biases of convs that had none
  zeros.reserve(group.size());
  std::vector<int64_t> sizes;
  std::vector<std::string> fused;
  for (ir::Node* n : group) {
    const Tensor& w = *n->inputs[1]->constant;
    ws.push_back(&w);
    sizes.push_back(w.dim(0));
    if (const Tensor* b = constant_of(n->input(2)); b && b->dtype() == w.dtype()) {
      bs.push_back(b);
    } else {
      zeros.emplace_back(w.dtype(), Shape{w.dim(0)});
      bs.push_back(&zeros.back());
    }
    if (const ir::Attribute* f = n->attr("kiln_fused"))
      for (const std::string& s : f->strings)
        if (std::find(fused.begin(), fused.end(), s) == fused.end()) fused.push_back(s);
  }
  const int64_t total = std::accumulate(sizes.begin(), sizes.end(), int64_t{0});
  Shape wshape = w0.shape();
  wshape[0] = total;

  auto conv = std::make_unique<ir::Node>(*first);
  conv->name = first->name + "_siblings";
  conv->attrs.erase("kiln_fused");
  if (!fused.empty()) add_fused(conv.get(), fused);
  conv->inputs.resize(std::max<size_t>(conv->inputs.size(), 3));
  conv->inputs[1] = rw.add_constant(conv->name + "_w", concat_rows(ws, w0.dtype(), wshape));
  conv->inputs[2] = rw.add_constant(conv->name + "_b", concat_rows(bs, w0.dtype(), {total}));
  ir::Value* joined = rw.graph().create_value(conv->name + "_out");
  conv->outputs = {joined};

  auto split = std::make_unique<ir::Node>();
  split->name = first->name + "_split";
  split->op_type = "Split";
  split->opset = first->opset;  // a FusedConv keeps its Conv's ONNX opset
  split->inputs = {joined};
  set_attr(split.get(), "axis", int64_t{1});
  if (split->opset >= 13)
    split->inputs.push_back(rw.add_constant(
        split->name + "_sizes", Tensor::from_int64s({static_cast<int64_t>(sizes.size())}, sizes)));
  else
    set_attr(split.get(), "split", sizes);
  for (ir::Node* n : group) {
    split->outputs.push_back(n->outputs[0]);
    rw.erase(n);
  }
  rw.add_node(std::move(conv), first);
  rw.add_node(std::move(split), first);
}

class FuseSiblingConvs : public Pass {
 public:
  const char* name() const override { return "fuse-sibling-convs"; }
  Expected<PassResult> run(ir::Graph& g) override {
    return sweep_until_done(g, [](Rewriter& rw) {
      std::map<const ir::Value*, std::vector<std::vector<ir::Node*>>> groups;  // input -> compatible sets
      for (ir::Node* n : rw.nodes()) {
        if (!candidate(n)) continue;
        auto& sets = groups[n->inputs[0]];
        auto it =
            std::find_if(sets.begin(), sets.end(), [&](const auto& s) { return compatible(s.front(), n); });
        if (it == sets.end())
          sets.push_back({n});
        else
          it->push_back(n);
      }
      int merged = 0;
      for (auto& [input, sets] : groups) {
        for (const auto& set : sets) {
          if (set.size() < 2) continue;
          merge(rw, set);
          ++merged;
        }
      }
      return merged;
    });
  }
};

}  // namespace

KILN_REGISTER_PASS(900, FuseSiblingConvs);

}  // namespace kiln::passes
