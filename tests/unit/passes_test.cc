// The optimization passes: for each, a small graph where it fires, the exact rewrite counts and the
// op types left, and the optimized graph's outputs against the unoptimized one's (reference
// interpreter, relative L2 error <= 1e-5).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <functional>
#include <map>
#include <random>

#include "kiln/engine.h"
#include "ops/fused_elementwise_chain.h"
#include "ops/infer_graph.h"
#include "passes/pass.h"
#include "runtime/interpreter.h"

namespace kiln::passes {
namespace {

ir::Attribute attr_i(int64_t v) {
  ir::Attribute a;
  a.kind = ir::Attribute::Kind::kInt;
  a.i = v;
  return a;
}
ir::Attribute attr_f(float v) {
  ir::Attribute a;
  a.kind = ir::Attribute::Kind::kFloat;
  a.f = v;
  return a;
}
ir::Attribute attr_ints(std::vector<int64_t> v) {
  ir::Attribute a;
  a.kind = ir::Attribute::Kind::kInts;
  a.ints = std::move(v);
  return a;
}
ir::Attribute attr_s(std::string v) {
  ir::Attribute a;
  a.kind = ir::Attribute::Kind::kString;
  a.s = std::move(v);
  return a;
}
using Attrs = std::map<std::string, ir::Attribute>;

Tensor random_tensor(Shape shape, uint32_t seed, double lo = -1, double hi = 1) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  std::vector<double> v(static_cast<size_t>(shape_numel(shape)));
  for (double& x : v) x = dist(rng);
  return Tensor::from_doubles(DataType::kFloat32, std::move(shape), v);
}
Tensor splat(Shape shape, double value) {
  return Tensor::from_doubles(DataType::kFloat32, shape, std::vector<double>(shape_numel(shape), value));
}

/// Builds test graphs node by node with the IR API.
class GraphBuilder {
 public:
  std::unique_ptr<ir::Graph> g = std::make_unique<ir::Graph>();
  int opset = 13;

  GraphBuilder() { g->opsets[""] = opset; }
  ir::Value* input(const std::string& name, Shape shape, DataType dt = DataType::kFloat32) {
    ir::Value* v = g->get_or_create_value(name);
    v->dtype = dt;
    v->shape = std::move(shape);
    v->rank_known = true;
    g->inputs.push_back(v);
    return v;
  }
  ir::Value* constant(Tensor t) {
    ir::Value* v = g->create_value("c");
    v->dtype = t.dtype();
    v->shape = t.shape();
    v->rank_known = true;
    v->constant = std::move(t);
    return v;
  }
  ir::Value* scalar(double value) { return constant(Tensor::from_doubles(DataType::kFloat32, {}, {value})); }
  ir::Value* ints(std::vector<int64_t> v) {
    return constant(Tensor::from_int64s({static_cast<int64_t>(v.size())}, v));
  }
  std::vector<ir::Value*> op_n(const std::string& type, std::vector<ir::Value*> in, size_t outputs,
                               Attrs attrs = {}, int node_opset = 0) {
    auto n = std::make_unique<ir::Node>();
    n->name = type + "_" + std::to_string(g->nodes().size());
    n->op_type = type;
    n->opset = node_opset ? node_opset : opset;
    n->inputs = std::move(in);
    n->attrs = std::move(attrs);
    for (size_t i = 0; i < outputs; ++i) n->outputs.push_back(g->create_value(n->name + "_out"));
    return g->add_node(std::move(n))->outputs;
  }
  ir::Value* op(const std::string& type, std::vector<ir::Value*> in, Attrs attrs = {}, int node_opset = 0) {
    return op_n(type, std::move(in), 1, std::move(attrs), node_opset)[0];
  }
  void output(ir::Value* v) { g->outputs.push_back(v); }
};

struct Optimized {
  std::map<std::string, int> counts;  // pass name -> rewrites (both rounds)
  std::vector<std::string> ops;       // op types left, "kiln." prefixed for kiln's domain
  std::unique_ptr<ir::Graph> graph;
  int count(const std::string& op) const { return static_cast<int>(std::count(ops.begin(), ops.end(), op)); }
  const ir::Node* find(const std::string& op) const {
    for (const auto& n : graph->nodes())
      if ((n->domain == "kiln" ? "kiln." : "") + n->op_type == op) return n.get();
    return nullptr;
  }
};

double relative_l2(const Tensor& got, const Tensor& want) {
  double num = 0, den = 0;
  for (int64_t i = 0; i < want.numel(); ++i) {
    const double d = got.as_double(i) - want.as_double(i);
    num += d * d;
    den += want.as_double(i) * want.as_double(i);
  }
  return std::sqrt(num / std::max(den, 1e-30));
}

/// Builds the graph twice; optimizes one copy with the whole pipeline, runs both on the same
/// inputs and expects equal outputs. `inputs` overrides the random input for some names.
Optimized optimize_and_compare(const std::function<void(GraphBuilder&)>& build,
                               std::map<std::string, Tensor> inputs = {}) {
  GraphBuilder ref, opt;
  build(ref);
  build(opt);
  EXPECT_TRUE(ops::infer_graph(*ref.g).is_ok());
  EXPECT_TRUE(ops::infer_graph(*opt.g).is_ok());
  auto counts = run_pipeline(*opt.g, nullptr);
  EXPECT_TRUE(counts.has_value()) << counts.status().message();
  Optimized out;
  if (counts)
    for (const PassCount& c : *counts) out.counts[c.pass] += c.rewrites;
  for (const auto& n : opt.g->nodes()) out.ops.push_back((n->domain == "kiln" ? "kiln." : "") + n->op_type);

  std::vector<Tensor> feed;
  uint32_t seed = 1;
  for (const ir::Value* v : ref.g->inputs)
    feed.push_back(inputs.count(v->name) ? inputs[v->name] : random_tensor(v->shape, seed++, -2, 2));
  runtime::Interpreter interp({.check_shapes = true});
  auto want = interp.run(*ref.g, feed);
  auto got = interp.run(*opt.g, feed);
  EXPECT_TRUE(want.has_value()) << want.status().message();
  EXPECT_TRUE(got.has_value()) << got.status().message();
  if (want && got) {
    EXPECT_EQ(want->size(), got->size());
    for (size_t i = 0; i < want->size() && i < got->size(); ++i) {
      EXPECT_EQ((*got)[i].shape(), (*want)[i].shape()) << "output " << i;
      if ((*got)[i].shape() == (*want)[i].shape()) {
        EXPECT_LE(relative_l2((*got)[i], (*want)[i]), 1e-5)
            << "output " << i << " '" << ref.g->outputs[i]->name << "'";
      }
    }
  }
  EXPECT_EQ(ref.g->outputs.size(), opt.g->outputs.size());
  for (size_t i = 0; i < ref.g->outputs.size() && i < opt.g->outputs.size(); ++i)
    EXPECT_EQ(opt.g->outputs[i]->name, ref.g->outputs[i]->name) << "graph outputs keep their names";
  out.graph = std::move(opt.g);
  return out;
}

using Ops = std::vector<std::string>;

TEST(Passes, FoldConstantsFoldsShapeChainsIntoAConstantReshape) {
  auto r = optimize_and_compare([](GraphBuilder& b) {
    ir::Value* x = b.input("x", {2, 3, 4});
    ir::Value* shape = b.op("Shape", {x});
    ir::Value* d0 = b.op("Gather", {shape, b.constant(Tensor::from_int64s({}, {0}))}, {{"axis", attr_i(0)}});
    ir::Value* u = b.op("Unsqueeze", {d0, b.ints({0})});
    ir::Value* target = b.op("Concat", {u, b.ints({-1})}, {{"axis", attr_i(0)}});
    b.output(b.op("Relu", {b.op("Reshape", {x, target})}));
  });
  EXPECT_EQ(r.counts["fold-constants"], 4);  // Shape, Gather, Unsqueeze, Concat
  EXPECT_EQ(r.ops, (Ops{"Reshape", "Relu"}));
  EXPECT_EQ(r.graph->nodes()[0]->outputs[0]->shape, (Shape{2, 12}));
}

TEST(Passes, FoldConstantsSkipsHugeOutputs) {
  GraphBuilder b;
  ir::Value* x = b.input("x", {8192, 4096});
  ir::Value* big = b.op("ConstantOfShape", {b.ints({8192, 4096})}, {{"value", [] {
                                                                       ir::Attribute a;
                                                                       a.kind = ir::Attribute::Kind::kTensor;
                                                                       a.t = Tensor::from_doubles(
                                                                           DataType::kFloat32, {1}, {1.0});
                                                                       return a;
                                                                     }()}});
  b.output(b.op("Add", {x, big}));
  ASSERT_TRUE(ops::infer_graph(*b.g).is_ok());
  auto counts = run_pipeline(*b.g, nullptr);
  ASSERT_TRUE(counts.has_value()) << counts.status().message();
  EXPECT_EQ(b.g->nodes().size(), 2u) << "a 128 MiB constant is not folded";
  EXPECT_EQ(b.g->nodes()[0]->op_type, "ConstantOfShape");
}

TEST(Passes, DeadNodesAreRemoved) {
  auto r = optimize_and_compare([](GraphBuilder& b) {
    ir::Value* x = b.input("x", {4, 5});
    b.op("Exp", {b.op("Sigmoid", {x})});  // read by nobody
    b.output(b.op("Relu", {x}));
  });
  EXPECT_EQ(r.counts["eliminate-dead-nodes"], 2);
  EXPECT_EQ(r.ops, (Ops{"Relu"}));
}

TEST(Passes, NoOpsAreRemovedAndOutputsKeepTheirNames) {
  auto r = optimize_and_compare([](GraphBuilder& b) {
    ir::Value* x = b.input("x", {2, 3, 4});
    ir::Value* v = b.op("Identity", {x});
    v = b.op("Cast", {v}, {{"to", attr_i(1)}});  // float -> float
    v = b.op("Reshape", {v, b.ints({2, 3, 4})});
    v = b.op("Transpose", {v}, {{"perm", attr_ints({0, 2, 1})}});
    v = b.op("Transpose", {v}, {{"perm", attr_ints({0, 2, 1})}});
    v = b.op("Mul", {b.scalar(1.0), v});
    v = b.op("Add", {v, b.constant(splat({1, 1, 4}, 0.0))});
    v = b.op("Sub", {v, b.scalar(0.0)});
    v = b.op("Div", {v, b.scalar(1.0)});
    v = b.op("Dropout", {v});
    v = b.op("Squeeze", {b.op("Unsqueeze", {v, b.ints({0})}), b.ints({0})});
    v = b.op("Relu", {v});
    b.output(b.op("Identity", {v}));  // a graph output: Relu takes over its name
  });
  // Identity x2, Cast, Reshape, the second Transpose, Mul, Add, Sub, Div, Dropout; the Squeeze
  // becomes a Reshape of x (collapsing the Unsqueeze), then goes as a same-shape Reshape.
  EXPECT_EQ(r.ops, (Ops{"Relu"}));
  EXPECT_EQ(r.counts["remove-noops"], 12);
  EXPECT_EQ(r.counts["eliminate-dead-nodes"], 2);  // the first Transpose and the Unsqueeze
  EXPECT_EQ(r.graph->outputs[0]->producer->op_type, "Relu");
}

TEST(Passes, NoOpsThatBroadcastOrAreNotIdentitiesStay) {
  auto r = optimize_and_compare([](GraphBuilder& b) {
    ir::Value* x = b.input("x", {3, 4});
    b.output(b.op("Add", {x, b.constant(splat({2, 3, 4}, 0.0))}));  // grows x to 2x3x4
    b.output(b.op("Sub", {b.scalar(0.0), x}));                      // -x
    b.output(b.op("Div", {b.scalar(1.0), x}));                      // 1/x
    b.output(b.op("Transpose", {x}));                               // default perm reverses
    b.output(b.op("Mul", {x, b.scalar(2.0)}));
  });
  EXPECT_EQ(r.counts["remove-noops"], 0);
  EXPECT_EQ(r.ops, (Ops{"Add", "Sub", "Div", "Transpose", "Mul"}));
}

TEST(Passes, ReshapeChainsCollapse) {
  auto r = optimize_and_compare([](GraphBuilder& b) {
    ir::Value* x = b.input("x", {2, 3, 4});
    ir::Value* v = b.op("Reshape", {x, b.ints({6, 4})});
    v = b.op("Flatten", {b.op("Reshape", {v, b.ints({4, 6})})}, {{"axis", attr_i(0)}});
    b.output(b.op("Relu", {v}));
  });
  // The second Reshape, then the Flatten, become one Reshape of x; the first two are left dead.
  EXPECT_EQ(r.ops, (Ops{"Reshape", "Relu"}));
  EXPECT_EQ(r.counts["remove-noops"], 2);
  EXPECT_EQ(r.counts["eliminate-dead-nodes"], 2);
  EXPECT_EQ(r.graph->nodes()[0]->inputs[0]->name, "x");
}

TEST(Passes, ValuesReadBySubgraphsAreNotRewritten) {
  auto r = optimize_and_compare(
      [](GraphBuilder& b) {
        ir::Value* x = b.input("x", {3});
        ir::Value* c = b.input("c", {}, DataType::kBool);
        ir::Value* y = b.op("Identity", {x});
        auto branch = [](const std::string& op) {
          auto g = std::make_shared<ir::Graph>();
          auto n = std::make_unique<ir::Node>();
          n->name = op + "_branch";
          n->op_type = op;
          n->opset = 13;
          n->inputs = {g->get_or_create_value("Identity_0_out")};  // the outer y, by name
          n->outputs = {g->get_or_create_value(op + "_result")};
          n->outputs[0]->dtype = DataType::kFloat32;
          n->outputs[0]->shape = {3};
          n->outputs[0]->rank_known = true;
          g->outputs = {n->outputs[0]};
          g->add_node(std::move(n));
          ir::Attribute a;
          a.kind = ir::Attribute::Kind::kGraph;
          a.g = g;
          return a;
        };
        EXPECT_EQ(y->name, "Identity_0_out");
        b.output(b.op("If", {c}, {{"then_branch", branch("Relu")}, {"else_branch", branch("Neg")}}));
      },
      {{"c", Tensor::from_doubles(DataType::kBool, {}, {1})}});
  EXPECT_EQ(r.ops, (Ops{"Identity", "If"}));
}

// Conv -> BN, Conv -> Mul/Add per channel, ConvTranspose -> BN, Gemm -> BN; one conv shares its
// weights with an unfused conv, which must keep the original weights.
TEST(Passes, BatchNormAndChannelAffinesFoldIntoWeights) {
  auto r = optimize_and_compare([](GraphBuilder& b) {
    ir::Value* x = b.input("x", {1, 3, 6, 6});
    ir::Value* w = b.constant(random_tensor({4, 3, 3, 3}, 11));
    auto bn = [&](ir::Value* v, int64_t c, uint32_t seed) {
      return b.op(
          "BatchNormalization",
          {v, b.constant(random_tensor({c}, seed, 0.5, 2)), b.constant(random_tensor({c}, seed + 1)),
           b.constant(random_tensor({c}, seed + 2)), b.constant(random_tensor({c}, seed + 3, 0.1, 1))},
          {{"epsilon", attr_f(1e-3f)}});
    };
    Attrs pad1 = {{"pads", attr_ints({1, 1, 1, 1})}};
    b.output(bn(b.op("Conv", {x, w, b.constant(random_tensor({4}, 12))}, pad1), 4, 20));
    b.output(b.op("Conv", {x, w}, pad1));  // shares w: not folded into
    ir::Value* c2 = b.op("Conv", {x, b.constant(random_tensor({5, 3, 1, 1}, 13))});
    c2 = b.op("Mul", {c2, b.constant(random_tensor({5, 1, 1}, 14))});
    b.output(b.op("Add", {b.constant(random_tensor({1, 5, 1, 1}, 15)), c2}));
    ir::Value* ct = b.op("ConvTranspose", {x, b.constant(random_tensor({3, 2, 2, 2}, 16))},
                         {{"group", attr_i(1)}, {"strides", attr_ints({2, 2})}});
    b.output(bn(ct, 2, 30));
    ir::Value* flat = b.op("Flatten", {x});
    ir::Value* gemm =
        b.op("Gemm", {flat, b.constant(random_tensor({6, 108}, 17)), b.constant(random_tensor({6}, 18))},
             {{"transB", attr_i(1)}, {"beta", attr_f(0.5f)}});
    b.output(bn(gemm, 6, 40));
  });
  EXPECT_EQ(r.counts["fuse-conv-bn"], 5);  // BN, Mul, Add, BN (ConvTranspose), BN (Gemm)
  EXPECT_EQ(r.count("BatchNormalization"), 0);
  EXPECT_EQ(r.count("Mul") + r.count("Add"), 0);
  const ir::Node* gemm = r.find("Gemm");
  ASSERT_NE(gemm, nullptr);
  EXPECT_EQ(gemm->attr("kiln_fused")->strings, (std::vector<std::string>{"BatchNormalization"}));
}

TEST(Passes, GroupedConvTransposeFoldsPerOutputChannel) {
  auto r = optimize_and_compare([](GraphBuilder& b) {
    ir::Value* x = b.input("x", {1, 4, 3, 3});
    ir::Value* ct =
        b.op("ConvTranspose", {x, b.constant(random_tensor({4, 3, 2, 2}, 5))}, {{"group", attr_i(2)}});
    b.output(b.op("Mul", {ct, b.constant(random_tensor({6, 1, 1}, 6, 0.5, 3))}));
  });
  EXPECT_EQ(r.counts["fuse-conv-bn"], 1);
  EXPECT_EQ(r.ops, (Ops{"ConvTranspose"}));
}

TEST(Passes, ConvWhoseOutputIsReadTwiceIsNotFolded) {
  auto r = optimize_and_compare([](GraphBuilder& b) {
    ir::Value* x = b.input("x", {1, 2, 4, 4});
    ir::Value* c = b.op("Conv", {x, b.constant(random_tensor({2, 2, 1, 1}, 3))});
    b.output(b.op("Mul", {c, b.constant(random_tensor({2, 1, 1}, 4))}));
    b.output(b.op("Sigmoid", {c}));
  });
  EXPECT_EQ(r.counts["fuse-conv-bn"], 0);
}

TEST(Passes, MatMulAddBecomesGemmOrFusedMatMul) {
  auto r = optimize_and_compare([](GraphBuilder& b) {
    ir::Value* a = b.input("a", {4, 8});
    b.output(b.op("Add", {b.op("MatMul", {a, b.constant(random_tensor({8, 5}, 2))}),
                          b.constant(random_tensor({5}, 3))}));
    ir::Value* a3 = b.input("a3", {2, 4, 8});
    b.output(b.op("Add", {b.constant(random_tensor({1, 1, 5}, 4)),
                          b.op("MatMul", {a3, b.constant(random_tensor({8, 5}, 5))})}));
  });
  EXPECT_EQ(r.counts["fuse-matmul-add"], 2);
  EXPECT_EQ(r.ops, (Ops{"Gemm", "kiln.FusedMatMul"}));
  EXPECT_EQ(r.find("Gemm")->attr("kiln_fused")->strings, (std::vector<std::string>{"MatMul", "Add"}));
}

// One conv per activation, each on its own input so that no two are siblings.
TEST(Passes, ConvActivationAndResidualFuseIntoOneLayer) {
  const std::vector<std::string> acts = {"Relu",      "Clip", "LeakyRelu", "Sigmoid", "HardSigmoid",
                                         "HardSwish", "SiLU", "Tanh",      "Gelu"};
  auto r = optimize_and_compare([&](GraphBuilder& b) {
    for (size_t i = 0; i < acts.size(); ++i) {
      ir::Value* x = b.input(std::string("x") + std::to_string(i), {1, 3, 5, 5});
      ir::Value* c = b.op("Conv", {x, b.constant(random_tensor({4, 3, 3, 3}, 100 + i))});
      const std::string& a = acts[i];
      if (a == "Clip") {
        b.output(b.op("Clip", {c, b.scalar(0.0), b.scalar(0.5)}));
      } else if (a == "SiLU") {
        b.output(b.op("Mul", {b.op("Sigmoid", {c}), c}));
      } else if (a == "Gelu") {
        b.output(b.op("Gelu", {c}, {{"approximate", attr_s("tanh")}}, 20));
      } else {
        b.output(b.op(a, {c}, a == "LeakyRelu" ? Attrs{{"alpha", attr_f(0.2f)}} : Attrs{}));
      }
    }
    ir::Value* xr = b.input("xr", {1, 3, 5, 5});
    ir::Value* r1 = b.input("r1", {1, 4, 5, 5});
    ir::Value* r2 = b.input("r2", {1, 4, 1, 1});  // broadcast residual
    Attrs pad = {{"pads", attr_ints({1, 1, 1, 1})}};
    b.output(b.op("Relu",
                  {b.op("Add", {r1, b.op("Conv", {xr, b.constant(random_tensor({4, 3, 3, 3}, 7))}, pad)})}));
    ir::Value* xa = b.input("xa", {1, 3, 5, 5});
    b.output(b.op("Add",
                  {b.op("Relu", {b.op("Conv", {xa, b.constant(random_tensor({4, 3, 3, 3}, 8))}, pad)}), r2}));
    ir::Value* g = b.input("g", {2, 6});
    b.output(b.op("Relu", {b.op("Gemm", {g, b.constant(random_tensor({6, 3}, 9))})}));
  });
  EXPECT_EQ(r.counts["fuse-activation"], static_cast<int>(acts.size()) + 4 + 1);
  EXPECT_EQ(r.count("kiln.FusedConv"), static_cast<int>(acts.size()) + 2);
  EXPECT_EQ(r.count("kiln.FusedGemm"), 1);
  EXPECT_EQ(r.ops.size(), acts.size() + 3);
  for (size_t i = 0; i < acts.size(); ++i) {
    const ir::Node* n = r.graph->outputs[i]->producer;
    const std::string want = acts[i] == "Gelu" ? "GeluTanh" : acts[i];
    EXPECT_EQ(n->attr_string("activation", ""), want);
  }
  const ir::Node* before = r.graph->outputs[acts.size()]->producer;
  EXPECT_EQ(before->attr_string("residual_position", ""), "before");
  EXPECT_EQ(before->attr("kiln_fused")->strings, (std::vector<std::string>{"Add", "Relu"}));
  EXPECT_EQ(r.graph->outputs[acts.size() + 1]->producer->attr_string("residual_position", ""), "after");
  EXPECT_EQ(r.graph->outputs[1]->producer->attr_floats("activation_params"),
            (std::vector<float>{0.0f, 0.5f}));
}

TEST(Passes, ConvBatchNormReluBecomesOneFusedConv) {
  auto r = optimize_and_compare([](GraphBuilder& b) {
    ir::Value* x = b.input("x", {1, 3, 6, 6});
    ir::Value* c = b.op("Conv", {x, b.constant(random_tensor({4, 3, 3, 3}, 1))});
    ir::Value* n = b.op("BatchNormalization",
                        {c, b.constant(random_tensor({4}, 2, 0.5, 2)), b.constant(random_tensor({4}, 3)),
                         b.constant(random_tensor({4}, 4)), b.constant(random_tensor({4}, 5, 0.1, 1))});
    b.output(b.op("Clip", {n, b.scalar(0.0), b.scalar(6.0)}));
  });
  EXPECT_EQ(r.ops, (Ops{"kiln.FusedConv"}));
  EXPECT_EQ(r.find("kiln.FusedConv")->attr("kiln_fused")->strings,
            (std::vector<std::string>{"BatchNormalization", "Clip"}));
}

TEST(Passes, ElementwiseChainsFuse) {
  auto r = optimize_and_compare([](GraphBuilder& b) {
    ir::Value* x = b.input("x", {3, 7});
    ir::Value* v = b.op("Sigmoid", {x});
    v = b.op("Mul", {v, b.scalar(2.0)});
    v = b.op("Sub", {b.scalar(3.0), v});  // the operand on the left
    v = b.op("Sqrt", {v});
    b.output(b.op("Clip", {v, b.scalar(0.5), b.scalar(1.5)}));
    ir::Value* y = b.input("y", {4});
    b.output(b.op("Neg", {b.op("Exp", {y})}));
    b.output(b.op("Add", {y, b.input("z", {4})}));  // two tensors: not a link
  });
  EXPECT_EQ(r.counts["fuse-elementwise-chain"], 2);
  EXPECT_EQ(r.ops, (Ops{"kiln.ElementwiseChain", "kiln.ElementwiseChain", "Add"}));
  auto steps = ops::read_chain(*r.graph->nodes()[0]);
  ASSERT_TRUE(steps.has_value());
  ASSERT_EQ(steps->size(), 5u);
  EXPECT_EQ((*steps)[2].op_type, "Sub");
  EXPECT_EQ((*steps)[2].inputs, (std::vector<int64_t>{2, ops::kRunningValue}));
}

TEST(Passes, LayerNormPatternBecomesLayerNormalization) {
  auto build = [](bool affine, bool pow) {
    return [=](GraphBuilder& b) {
      ir::Value* x = b.input("x", {2, 5, 16});
      ir::Value* mean = b.op("ReduceMean", {x}, {{"axes", attr_ints({-1})}});
      ir::Value* d = b.op("Sub", {x, mean});
      ir::Value* sq = pow ? b.op("Pow", {d, b.scalar(2.0)}) : b.op("Mul", {d, d});
      ir::Value* var = b.op("ReduceMean", {sq}, {{"axes", attr_ints({2})}});
      ir::Value* v = b.op("Div", {d, b.op("Sqrt", {b.op("Add", {var, b.scalar(1e-5)})})});
      if (affine) {
        v = b.op("Mul", {v, b.constant(random_tensor({16}, 3, 0.5, 1.5))});
        v = b.op("Add", {v, b.constant(random_tensor({1, 1, 16}, 4))});
      }
      b.output(v);
    };
  };
  for (bool affine : {true, false}) {
    auto r = optimize_and_compare(build(affine, affine));
    EXPECT_EQ(r.counts["fuse-layer-norm"], 1);
    EXPECT_EQ(r.ops, (Ops{"LayerNormalization"}));
    EXPECT_EQ(r.find("LayerNormalization")->attr_int("axis", 0), 2);
    EXPECT_EQ(r.find("LayerNormalization")->attr("kiln_fused")->strings.size(), affine ? 9u : 7u);
  }
}

TEST(Passes, GeluPatternsBecomeGeluAndFuseIntoTheGemm) {
  auto r = optimize_and_compare([](GraphBuilder& b) {
    ir::Value* a = b.input("a", {3, 8});
    ir::Value* x = b.op("Add", {b.op("MatMul", {a, b.constant(random_tensor({8, 6}, 1))}),
                                b.constant(random_tensor({6}, 2))});
    ir::Value* p = b.op("Add", {b.op("Erf", {b.op("Div", {x, b.scalar(std::sqrt(2.0))})}), b.scalar(1.0)});
    b.output(b.op("Mul", {b.op("Mul", {x, p}), b.scalar(0.5)}));  // (x * p) * 0.5
    ir::Value* y = b.input("y", {4, 6});
    ir::Value* q =
        b.op("Add", {b.op("Erf", {b.op("Mul", {y, b.scalar(1.0 / std::sqrt(2.0))})}), b.scalar(1.0)});
    b.output(b.op("Mul", {b.op("Mul", {y, b.scalar(0.5)}), q}));  // (y * 0.5) * q
    ir::Value* z = b.input("z", {4, 6});
    ir::Value* cube = b.op("Pow", {z, b.scalar(3.0)});
    ir::Value* inner = b.op("Add", {z, b.op("Mul", {cube, b.scalar(0.044715)})});
    ir::Value* t = b.op("Add", {b.op("Tanh", {b.op("Mul", {inner, b.scalar(0.7978845608)})}), b.scalar(1.0)});
    b.output(b.op("Mul", {z, b.op("Mul", {t, b.scalar(0.5)})}));  // z * (t * 0.5)
  });
  EXPECT_EQ(r.counts["fuse-gelu"], 3);
  EXPECT_EQ(r.ops, (Ops{"kiln.FusedGemm", "Gelu", "Gelu"}));
  EXPECT_EQ(r.find("kiln.FusedGemm")->attr_string("activation", ""), "Gelu");
  EXPECT_EQ(r.graph->outputs[2]->producer->attr_string("approximate", ""), "tanh");
}

TEST(Passes, HardSwishPatternsBecomeHardSwishAndFuseIntoTheConv) {
  auto r = optimize_and_compare(
      [](GraphBuilder& b) {
        ir::Value* x = b.input("x", {1, 3, 5, 5});
        ir::Value* c = b.op("Conv", {x, b.constant(random_tensor({4, 3, 1, 1}, 1, -3, 3))});
        ir::Value* gate = b.op("Clip", {b.op("Add", {c, b.scalar(3.0)}), b.scalar(0.0), b.scalar(6.0)});
        ir::Value* hs = b.op("Div", {b.op("Mul", {c, gate}), b.scalar(6.0)});
        b.output(
            b.op("Add", {b.op("Mul", {hs, b.scalar(0.7)}), b.scalar(0.1)}));  // Paddle's learnable affine
        ir::Value* y = b.input("y", {2, 9}, DataType::kFloat32);
        b.output(b.op("Mul",
                      {y, b.op("HardSigmoid", {y}, {{"alpha", attr_f(1.0f / 6)}, {"beta", attr_f(0.5f)}})}));
      },
      {{"y", random_tensor({2, 9}, 3, -5, 5)}});
  EXPECT_EQ(r.counts["fuse-hard-swish"], 2);
  // The HardSwish, then the affine's Mul and Add into output_affine {0.7, 0.1}.
  EXPECT_EQ(r.counts["fuse-activation"], 3);
  EXPECT_EQ(r.counts["fuse-elementwise-chain"], 0);
  EXPECT_EQ(r.ops, (Ops{"kiln.FusedConv", "HardSwish"}));
  EXPECT_EQ(r.find("kiln.FusedConv")->attr_string("activation", ""), "HardSwish");
  EXPECT_EQ(r.find("kiln.FusedConv")->attr_floats("output_affine"), (std::vector<float>{0.7f, 0.1f}));
}

TEST(Passes, ScalarAffinesJoinTheEpilogueOnlyAfterAnActivationAndBeforeAResidual) {
  auto r = optimize_and_compare([](GraphBuilder& b) {
    ir::Value* x = b.input("x", {1, 3, 5, 5});
    auto conv = [&](ir::Value* in, uint64_t seed) {
      return b.op("Conv", {in, b.constant(random_tensor({3, 3, 1, 1}, seed, -1, 1))});
    };
    // Relu, then x * 2 - 0.5 and a residual: aff(act(y)) + R.
    ir::Value* a = b.op("Sub", {b.op("Mul", {b.op("Relu", {conv(x, 1)}), b.scalar(2.0)}), b.scalar(0.5)});
    ir::Value* res = b.op("Add", {a, x});
    // A residual after the activation, then a scalar Mul: not absorbed (it would precede R).
    ir::Value* c = b.op("Add", {b.op("Relu", {conv(res, 2)}), x});
    b.output(b.op("Mul", {c, b.scalar(3.0)}));
  });
  EXPECT_EQ(r.count("kiln.FusedConv"), 2);
  std::vector<std::vector<float>> affines;
  for (const auto& n : r.graph->nodes())
    if (n->op_type == "FusedConv") affines.push_back(n->attr_floats("output_affine"));
  ASSERT_EQ(affines.size(), 2u);
  EXPECT_EQ(affines[0], (std::vector<float>{2.0f, -0.5f}));
  EXPECT_TRUE(affines[1].empty());
  EXPECT_EQ(r.count("Mul"), 1);
}

TEST(Passes, SiblingConvsShareOneConvAndASplit) {
  auto r = optimize_and_compare([](GraphBuilder& b) {
    ir::Value* x = b.input("x", {1, 3, 6, 6});
    Attrs attrs = {{"pads", attr_ints({1, 1, 1, 1})}, {"kernel_shape", attr_ints({3, 3})}};
    b.output(
        b.op("Relu",
             {b.op("Conv", {x, b.constant(random_tensor({4, 3, 3, 3}, 1)), b.constant(random_tensor({4}, 2))},
                   attrs)}));
    b.output(b.op("Relu", {b.op("Conv", {x, b.constant(random_tensor({2, 3, 3, 3}, 3))}, attrs)}));
    // Another stride: not a sibling.
    Attrs strided = attrs;
    strided["strides"] = attr_ints({2, 2});
    b.output(b.op("Relu", {b.op("Conv", {x, b.constant(random_tensor({2, 3, 3, 3}, 4))}, strided)}));
  });
  EXPECT_EQ(r.counts["fuse-sibling-convs"], 1);
  EXPECT_EQ(r.count("kiln.FusedConv"), 2);
  EXPECT_EQ(r.count("Split"), 1);
  const ir::Node* split = r.find("Split");
  ASSERT_NE(split, nullptr);
  ASSERT_EQ(split->inputs.size(), 2u);
  EXPECT_EQ(split->inputs[1]->constant->to_int64_vector(), (std::vector<int64_t>{4, 2}));
}

// A real model through the Builder: optimize on and off give the same outputs.
TEST(Passes, BlazeFaceOptimizedMatchesUnoptimized) {
  const std::string path =
      (std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() /
       ".cache/models/blazeface/package/ONNX/face_detection_front_128x128_barracuda.onnx")
          .string();
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " is not fetched (scripts/setup)";
  BuilderConfig on, off;
  off.optimize = false;
  auto fast = Builder::build_onnx(path, on);
  auto slow = Builder::build_onnx(path, off);
  ASSERT_TRUE(fast.has_value()) << fast.status().message();
  ASSERT_TRUE(slow.has_value()) << slow.status().message();
  EXPECT_LT((*fast)->build_report().nodes_after, (*slow)->build_report().nodes_after);
  std::vector<NamedTensor> in;
  for (const TensorInfo& t : (*slow)->inputs()) in.push_back({t.name, random_tensor(t.shape, 7, 0, 1)});
  // Through a plan file too: the fused layers' attributes and absent inputs must survive it.
  auto bytes = (*fast)->serialize();
  ASSERT_TRUE(bytes.has_value()) << bytes.status().message();
  auto loaded = Engine::deserialize(*bytes);
  ASSERT_TRUE(loaded.has_value()) << loaded.status().message();
  auto b = (*slow)->create_context().value()->run(in);
  ASSERT_TRUE(b.has_value()) << b.status().message();
  for (const Engine* e : {static_cast<const Engine*>(fast->get()), loaded->get()}) {
    auto a = e->create_context().value()->run(in);
    ASSERT_TRUE(a.has_value()) << a.status().message();
    ASSERT_EQ(a->size(), b->size());
    for (size_t i = 0; i < a->size(); ++i)
      EXPECT_LE(relative_l2((*a)[i].tensor, (*b)[i].tensor), 1e-5) << (*b)[i].name;
  }
}

}  // namespace
}  // namespace kiln::passes
