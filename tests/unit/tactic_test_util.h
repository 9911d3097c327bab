// Differential testing of CPU tactics against the reference kernels: one node, random inputs,
// every tactic that supports it (each ISA this CPU has) at 1 and 2 threads.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <map>
#include <random>
#include <string>

#include "cpu/tactic.h"
#include "cpu/tactics/fused.h"
#include "ir/graph.h"
#include "ops/infer_graph.h"
#include "ops/op.h"

namespace kiln::testing {

inline ir::Attribute attr_i(int64_t v) {
  ir::Attribute a;
  a.kind = ir::Attribute::Kind::kInt;
  a.i = v;
  return a;
}
inline ir::Attribute attr_f(float v) {
  ir::Attribute a;
  a.kind = ir::Attribute::Kind::kFloat;
  a.f = v;
  return a;
}
inline ir::Attribute attr_ints(std::vector<int64_t> v) {
  ir::Attribute a;
  a.kind = ir::Attribute::Kind::kInts;
  a.ints = std::move(v);
  return a;
}
inline ir::Attribute attr_floats(std::vector<float> v) {
  ir::Attribute a;
  a.kind = ir::Attribute::Kind::kFloats;
  a.floats = std::move(v);
  return a;
}
inline ir::Attribute attr_s(std::string v) {
  ir::Attribute a;
  a.kind = ir::Attribute::Kind::kString;
  a.s = std::move(v);
  return a;
}

inline Tensor random_f32(Shape shape, uint32_t seed, float lo = -1, float hi = 1) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  Tensor t(DataType::kFloat32, std::move(shape));
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = dist(rng);
  return t;
}

/// A graph of one node whose inputs are graph inputs (activations) or constants (weights).
struct OneNode {
  std::unique_ptr<ir::Graph> g = std::make_unique<ir::Graph>();
  ir::Node* node = nullptr;
  std::map<const ir::Value*, Tensor> feeds;

  OneNode(const std::string& op_type, const std::string& domain) {
    g->opsets[""] = 17;
    g->opsets["kiln"] = 1;
    auto n = std::make_unique<ir::Node>();
    n->name = op_type;
    n->op_type = op_type;
    n->domain = domain;
    n->opset = domain.empty() ? 17 : 1;
    node = g->add_node(std::move(n));
  }
  void input(Tensor t) {
    ir::Value* v = g->create_value("x");
    v->dtype = t.dtype();
    v->shape = t.shape();
    v->rank_known = true;
    g->inputs.push_back(v);
    feeds[v] = std::move(t);
    node->inputs.push_back(v);
  }
  void constant(Tensor t) {
    ir::Value* v = g->create_value("w");
    v->dtype = t.dtype();
    v->shape = t.shape();
    v->rank_known = true;
    v->constant = std::move(t);
    node->inputs.push_back(v);
  }
  void absent() { node->inputs.push_back(nullptr); }
  void attr(const std::string& k, ir::Attribute a) { node->attrs[k] = std::move(a); }
};

/// The input `node`'s output may be written over (ops::Memory::kInPlace) when it has the output's
/// shape and type, or -1.
inline int in_place_input(const ir::Node& node) {
  const ops::OpDef* def = ops::find_op(node.domain, node.op_type);
  if (!def || node.outputs.empty() || !node.outputs[0]) return -1;
  const int k = ops::in_place_input(*def, node);
  const ir::Value* v = k >= 0 ? node.input(static_cast<size_t>(k)) : nullptr;
  const ir::Value* y = node.outputs[0];
  return v && !v->is_constant() && v->shape == y->shape && v->dtype == y->dtype ? k : -1;
}

/// Runs the reference and every supporting tactic; returns how many tactics ran. Elements must
/// agree within atol + rtol * |reference|; where `compared(i)` is false (padding lanes of a blocked
/// output) they need only be written and finite. Where the op lets its output overwrite an input
/// (ops::Memory::kInPlace), each tactic also runs that way, its output over a copy of the input.
/// `allowance(tactic, i)`, where given, adds to element i's absolute tolerance under a tactic that
/// rounds by design (the bf16x3 tactics: a bound from the operands' magnitudes).
inline int check_tactics(OneNode& t, double rtol = 1e-4, double atol = 1e-5,
                         const std::function<bool(int64_t)>& compared = nullptr,
                         const std::function<double(const std::string&, int64_t)>& allowance = nullptr) {
  ir::Value* out = t.g->create_value("y");
  t.node->outputs = {out};
  t.g->outputs.push_back(out);
  Status st = ops::infer_graph(*t.g);
  EXPECT_TRUE(st.is_ok()) << st.message();
  if (!st.is_ok()) return 0;
  const ir::Node& node = *t.node;
  std::vector<const Tensor*> in;
  for (const ir::Value* v : node.inputs)
    in.push_back(!v ? nullptr : v->is_constant() ? &*v->constant : &t.feeds.at(v));
  ops::RunContext rc(node, in, nullptr);
  st = ops::find_op(node.domain, node.op_type)->reference(rc);
  EXPECT_TRUE(st.is_ok()) << st.message();
  if (!st.is_ok()) return 0;
  const Tensor want = rc.output(0);
  int ran = 0;
  for (const cpu::Tactic* tactic : cpu::tactics_for(node, cpu::host_isa())) {
    std::vector<Tensor> prepared;
    std::vector<int64_t> params;
    EXPECT_TRUE(tactic->prepare(node, tactic->isa, prepared, params).is_ok());
    std::vector<const Tensor*> prep;
    for (const Tensor& p : prepared) prep.push_back(&p);
    if (tactic->check) {
      EXPECT_TRUE(tactic->check(node, tactic->isa, prep, params)) << tactic->name;
    }
    for (int threads : {1, 2}) {
      cpu::ThreadPool pool(threads);
      std::vector<float> scratch(
          tactic->workspace_floats ? tactic->workspace_floats(node, tactic->isa, threads) + 16 : 16);
      float* aligned =
          reinterpret_cast<float*>((reinterpret_cast<uintptr_t>(scratch.data()) + 63) & ~uintptr_t(63));
      for (bool over_input : {false, true}) {
        const int source = over_input ? in_place_input(node) : -1;
        if (over_input && source < 0) continue;
        const std::string how = over_input ? " (over input " + std::to_string(source) + ")" : "";
        Tensor got(out->dtype, out->shape);
        // Poison the output: a tactic must write every element.
        for (int64_t i = 0; i < got.numel(); ++i) got.data<float>()[i] = std::nanf("");
        std::vector<const Tensor*> args_in = in;
        if (over_input) {
          std::memcpy(got.raw(), in[source]->raw(), got.nbytes());
          args_in[source] = &got;
        }
        Tensor* outs[1] = {&got};
        cpu::TacticArgs args{node, tactic->isa, args_in,
                             outs, prep,        params,
                             pool, aligned,     cpu::fused_epilogue(node).value_or(cpu::Epilogue{})};
        Status rs = tactic->run(args);
        EXPECT_TRUE(rs.is_ok()) << tactic->name << how << ": " << rs.message();
        // Winograd F(4x4, 3x3) rounds in its transforms (entries up to 8 and 1/24): its error scales
        // with the output's range, not each element (about 1e-5 of the largest output here, 2e-4
        // allowed); every other tactic is held to the element-wise bound.
        double scale = 0;
        for (int64_t i = 0; i < want.numel(); ++i)
          scale = std::max(scale, std::abs(double(want.data<float>()[i])));
        const double abs_tol =
            tactic->name.find("winograd4x4") != std::string::npos ? std::max(atol, 2e-4 * scale) : atol;
        int bad = 0;
        for (int64_t i = 0; i < want.numel() && bad < 5; ++i) {
          double w = want.data<float>()[i], g = got.data<float>()[i];
          if (compared && !compared(i)) {
            if (!std::isfinite(g)) {
              ADD_FAILURE() << tactic->name << how << " (" << threads << " threads) left padding element "
                            << i << " not finite: " << g;
              ++bad;
            }
            continue;
          }
          const double extra = allowance ? allowance(tactic->name, i) : 0.0;
          if (!(std::abs(g - w) <= abs_tol + extra + rtol * std::abs(w))) {
            ADD_FAILURE() << tactic->name << how << " (" << threads << " threads) element " << i << ": got "
                          << g << ", reference " << w;
            ++bad;
          }
        }
        ++ran;
      }
    }
  }
  return ran;
}

}  // namespace kiln::testing
