// The elementwise tactic against the reference kernels: every op it compiles, scalar operands in
// both positions, same-shape and per-channel binary ops, chains, and element counts one below, at
// and one above the vector widths and the 4-vector blocks.
#include "ops/fused_elementwise_chain.h"
#include "tactic_test_util.h"

namespace kiln::testing {
namespace {

ir::Attribute attr_f(float v) {
  ir::Attribute a;
  a.kind = ir::Attribute::Kind::kFloat;
  a.f = v;
  return a;
}
Tensor scalar(float v) {
  Tensor t(DataType::kFloat32, {});
  t.data<float>()[0] = v;
  return t;
}

const std::vector<int64_t> kCounts = {1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 129, 40001};

TEST(CpuElementwise, UnaryOpsAtVectorEdges) {
  for (std::string op :
       {"Relu", "Sigmoid", "Tanh", "Exp", "Neg", "Abs", "Erf", "HardSwish", "HardSigmoid", "LeakyRelu"}) {
    for (int64_t n : kCounts) {
      SCOPED_TRACE(op + " x" + std::to_string(n));
      OneNode t(op, "");
      t.input(random_f32({n}, 1, -6, 6));
      if (op == "LeakyRelu") t.attr("alpha", attr_f(0.3f));
      EXPECT_GT(check_tactics(t, 2e-5, 1e-6), 0);
    }
  }
  OneNode t("Sqrt", "");
  t.input(random_f32({100}, 1, 0, 9));
  EXPECT_GT(check_tactics(t), 0);
}

TEST(CpuElementwise, ScalarOperandsInEitherPositionAndClip) {
  for (std::string op : {"Add", "Sub", "Mul", "Div", "Max", "Min"}) {
    for (int first : {0, 1}) {
      SCOPED_TRACE(op + (first ? " scalar first" : " scalar second"));
      OneNode t(op, "");
      if (first) t.constant(scalar(2.5f));
      t.input(random_f32({3, 65}, 2, 0.5f, 3));
      if (!first) t.constant(scalar(-1.5f));
      EXPECT_GT(check_tactics(t), 0);
    }
  }
  OneNode c11("Clip", "");
  c11.input(random_f32({2, 33}, 3, -9, 9));
  c11.constant(scalar(-1));
  c11.constant(scalar(6));
  EXPECT_GT(check_tactics(c11), 0);
  OneNode c6("Clip", "");
  c6.node->opset = 6;
  c6.input(random_f32({2, 33}, 3, -9, 9));
  c6.attr("min", attr_f(0));
  c6.attr("max", attr_f(6));
  EXPECT_GT(check_tactics(c6), 0);
}

TEST(CpuElementwise, SameShapeAndPerChannelBinary) {
  for (std::string op : {"Add", "Sub", "Mul", "Div"}) {
    for (int64_t n : {1, 17, 65}) {
      OneNode t(op, "");
      t.input(random_f32({2, 3, 1, n}, 1));
      t.input(random_f32({2, 3, 1, n}, 2, 0.5f, 2));
      EXPECT_GT(check_tactics(t), 0) << op << " " << n;
    }
    for (int order : {0, 1}) {
      OneNode t(op, "");
      Tensor big = random_f32({2, 5, 3, 7}, 1, 0.5f, 2), small = random_f32({1, 5, 1, 1}, 2, 0.5f, 2);
      if (order) {
        t.input(std::move(small));
        t.input(std::move(big));
      } else {
        t.input(std::move(big));
        t.constant(std::move(small));
      }
      EXPECT_GT(check_tactics(t), 0) << op << " order " << order;
    }
  }
}

TEST(CpuElementwise, BlockedTensorsTakeABlockedPerChannelGate) {
  // [N, C/b, H, W, b] op [N, C/b, 1, 1, b], the gate first or second (Sub and Div are not
  // symmetric), 2 images x 3 blocks, lanes 8 and 16, planes of 1 and 35 pixels.
  for (std::string op : {"Add", "Sub", "Mul", "Div"})
    for (int64_t lanes : {8, 16})
      for (int64_t w : {1, 7})
        for (int order : {0, 1}) {
          OneNode t(op, "");
          Tensor big = random_f32({2, 3, w == 1 ? 1 : 5, w, lanes}, 1, 0.5f, 2);
          Tensor gate = random_f32({2, 3, 1, 1, lanes}, 2, 0.5f, 2);
          t.input(order ? std::move(gate) : std::move(big));
          t.input(order ? std::move(big) : std::move(gate));
          EXPECT_GT(check_tactics(t), 0) << op << " lanes " << lanes << " w " << w << " order " << order;
        }
}

TEST(CpuElementwise, ReduceMeanOverOneRangeOfAxes) {
  struct Case {
    Shape shape;
    std::vector<int64_t> axes;
    int64_t keepdims;
  };
  // H and W of NCHW (inner 1), of the blocked [N, C/b, H, W, b] (inner b), a negative axis, one
  // leading axis, the last one, and three axes in any order.
  for (const Case& c : std::vector<Case>{{{2, 5, 6, 7}, {2, 3}, 1},
                                         {{1, 3, 9, 11, 8}, {2, 3}, 1},
                                         {{2, 3, 4, 5}, {-1, -2}, 0},
                                         {{4, 3, 5}, {0}, 1},
                                         {{3, 17}, {1}, 0},
                                         {{2, 3, 4, 5, 6}, {3, 1, 2}, 1}}) {
    for (int opset : {13, 18}) {
      OneNode t("ReduceMean", "");
      t.node->opset = opset;
      t.input(random_f32(c.shape, 3, -2, 2));
      if (opset >= 18) {
        t.constant(Tensor::from_int64s({static_cast<int64_t>(c.axes.size())}, c.axes));
      } else {
        t.attr("axes", attr_ints(c.axes));
      }
      t.attr("keepdims", attr_i(c.keepdims));
      EXPECT_GT(check_tactics(t), 0) << "opset " << opset << " axes " << c.axes.size();
    }
  }
  // Axes that are not one range (H and the lanes) are left to the reference.
  OneNode t("ReduceMean", "");
  t.node->opset = 13;
  t.input(random_f32({1, 2, 3, 4, 8}, 4));
  t.attr("axes", attr_ints({2, 4}));
  EXPECT_EQ(check_tactics(t), 0);
}

TEST(CpuElementwise, ChainOfStepsWithOperands) {
  // ((x * 0.5 + 1) -> HardSigmoid -> 3 - y -> Clip(opset 6)) as a kiln.ElementwiseChain.
  OneNode t("ElementwiseChain", "kiln");
  t.input(random_f32({1, 4, 5, 17}, 1, -5, 5));
  t.constant(scalar(0.5f));
  t.constant(scalar(1.0f));
  t.constant(scalar(3.0f));
  std::vector<ops::ChainStep> steps(5);
  steps[0] = {"Mul", 13, {}, {ops::kRunningValue, 1}};
  steps[1] = {"Add", 13, {}, {2, ops::kRunningValue}};
  steps[2] = {"HardSigmoid", 6, {{"alpha", attr_f(0.3f)}}, {ops::kRunningValue}};
  steps[3] = {"Sub", 13, {}, {3, ops::kRunningValue}};
  steps[4] = {"Clip", 6, {{"min", attr_f(2.2f)}, {"max", attr_f(2.9f)}}, {ops::kRunningValue}};
  ops::write_chain(*t.node, steps);
  EXPECT_GT(check_tactics(t), 0);
}

TEST(CpuElementwise, BroadcastsItCannotDoAreLeftToTheReference) {
  OneNode t("Add", "");
  t.input(random_f32({4, 1}, 1));
  t.input(random_f32({1, 5}, 2));
  ir::Value* out = t.g->create_value("y");
  t.node->outputs = {out};
  ASSERT_TRUE(ops::infer_graph(*t.g).is_ok());
  EXPECT_TRUE(cpu::tactics_for(*t.node, cpu::host_isa()).empty());
}

}  // namespace
}  // namespace kiln::testing
