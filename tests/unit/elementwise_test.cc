// Semantics of the elementwise ops that the ONNX conformance data does not pin down: integer
// overflow and division, sign rules, rounding, saturation, broadcasting and attribute errors.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "ops/op.h"

namespace kiln::ops {
namespace {

// A single node with its own values, run through the registered reference kernel.
struct OneNode {
  ir::Node node;
  std::vector<std::unique_ptr<ir::Value>> values;

  OneNode(const std::string& op, int opset, size_t outputs = 1) {
    node.op_type = op;
    node.name = "n";
    node.opset = opset;
    for (size_t i = 0; i < outputs; ++i) {
      values.push_back(std::make_unique<ir::Value>());
      node.outputs.push_back(values.back().get());
    }
  }
  OneNode& attr_int(const std::string& key, int64_t v) {
    ir::Attribute a;
    a.kind = ir::Attribute::Kind::kInt;
    a.i = v;
    node.attrs[key] = a;
    return *this;
  }
  OneNode& attr_string(const std::string& key, const std::string& v) {
    ir::Attribute a;
    a.kind = ir::Attribute::Kind::kString;
    a.s = v;
    node.attrs[key] = a;
    return *this;
  }

  Expected<std::vector<Tensor>> run(const std::vector<Tensor>& inputs) {
    std::vector<const Tensor*> in;
    for (const Tensor& t : inputs) in.push_back(t.empty() ? nullptr : &t);
    const OpDef* def = find_op("", node.op_type);
    if (!def) return not_found(node.op_type + " is not registered");
    RunContext ctx(node, in, nullptr);
    KILN_RETURN_IF_ERROR(def->reference(ctx));
    // The kernel and infer must agree.
    std::vector<TensorType> types;
    for (const Tensor* t : in) types.push_back(t ? TensorType{t->dtype(), t->shape(), true} : TensorType{});
    InferContext ictx(node, types, in);
    KILN_RETURN_IF_ERROR(def->infer(ictx));
    for (size_t i = 0; i < ctx.outputs().size(); ++i) {
      if (ctx.outputs()[i].empty()) continue;
      if (ictx.outputs[i].dtype != ctx.outputs()[i].dtype() ||
          ictx.outputs[i].shape != ctx.outputs()[i].shape()) {
        return internal_error("infer disagrees with the kernel on output " + std::to_string(i));
      }
    }
    return ctx.outputs();
  }
};

template <typename T>
Tensor make(DataType dt, Shape shape, const std::vector<T>& v) {
  Tensor t(dt, std::move(shape));
  for (size_t i = 0; i < v.size(); ++i) t.data<T>()[i] = v[i];
  return t;
}

template <typename T>
std::vector<T> values(const Tensor& t) {
  return std::vector<T>(t.data<T>(), t.data<T>() + t.numel());
}

TEST(Elementwise, IntegerDivTruncatesAndSurvivesZeroAndOverflow) {
  const int32_t lo = std::numeric_limits<int32_t>::min();
  auto r = OneNode("Div", 14).run({make<int32_t>(DataType::kInt32, {4}, {-7, 7, 5, lo}),
                                   make<int32_t>(DataType::kInt32, {4}, {2, -2, 0, -1})});
  ASSERT_TRUE(r) << r.status().message();
  EXPECT_EQ(values<int32_t>((*r)[0]), (std::vector<int32_t>{-3, -3, 0, lo}));
}

TEST(Elementwise, AddWrapsOnOverflow) {
  auto r =
      OneNode("Add", 14).run({make<int64_t>(DataType::kInt64, {1}, {std::numeric_limits<int64_t>::max()}),
                              make<int64_t>(DataType::kInt64, {1}, {1})});
  ASSERT_TRUE(r);
  EXPECT_EQ(values<int64_t>((*r)[0])[0], std::numeric_limits<int64_t>::min());
}

TEST(Elementwise, ModFollowsDivisorSignUnlessFmod) {
  Tensor a = make<int32_t>(DataType::kInt32, {4}, {-4, 7, -7, 7});
  Tensor b = make<int32_t>(DataType::kInt32, {4}, {3, -3, 3, 0});
  auto py = OneNode("Mod", 13).run({a, b});
  ASSERT_TRUE(py);
  EXPECT_EQ(values<int32_t>((*py)[0]), (std::vector<int32_t>{2, -2, 2, 0}));
  auto c = OneNode("Mod", 13).attr_int("fmod", 1).run({a, b});
  ASSERT_TRUE(c);
  EXPECT_EQ(values<int32_t>((*c)[0]), (std::vector<int32_t>{-1, 1, -1, 0}));
  EXPECT_FALSE(OneNode("Mod", 13).attr_int("fmod", 2).run({a, b}));
}

TEST(Elementwise, RoundsHalfToEven) {
  auto r = OneNode("Round", 11).run({make<float>(DataType::kFloat32, {5}, {0.5f, 1.5f, 2.5f, -0.5f, -1.5f})});
  ASSERT_TRUE(r);
  EXPECT_EQ(values<float>((*r)[0]), (std::vector<float>{0, 2, 2, -0, -2}));
}

TEST(Elementwise, BitShiftByWidthGivesZeroAndDirectionIsChecked) {
  Tensor x = make<uint8_t>(DataType::kUInt8, {3}, {0x81, 0x81, 0x81});
  Tensor s = make<uint8_t>(DataType::kUInt8, {3}, {1, 8, 200});
  auto r = OneNode("BitShift", 11).attr_string("direction", "LEFT").run({x, s});
  ASSERT_TRUE(r);
  EXPECT_EQ(values<uint8_t>((*r)[0]), (std::vector<uint8_t>{0x02, 0, 0}));
  auto bad = OneNode("BitShift", 11).attr_string("direction", "left").run({x, s});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.status().message().find("LEFT"), std::string::npos);
}

TEST(Elementwise, IntegerPowIsExact) {
  auto r = OneNode("Pow", 15).run(
      {make<int64_t>(DataType::kInt64, {2}, {3, 7}), make<int64_t>(DataType::kInt64, {2}, {39, 22})});
  ASSERT_TRUE(r);
  EXPECT_EQ(values<int64_t>((*r)[0]), (std::vector<int64_t>{4052555153018976267LL, 3909821048582988049LL}));
}

TEST(Elementwise, BroadcastsBothWays) {
  auto r = OneNode("Sub", 14).run(
      {make<float>(DataType::kFloat32, {2, 1}, {10, 20}), make<float>(DataType::kFloat32, {3}, {1, 2, 3})});
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)[0].shape(), (Shape{2, 3}));
  EXPECT_EQ(values<float>((*r)[0]), (std::vector<float>{9, 8, 7, 19, 18, 17}));
  auto bad = OneNode("Sub", 14).run(
      {make<float>(DataType::kFloat32, {2}, {1, 2}), make<float>(DataType::kFloat32, {3}, {1, 2, 3})});
  EXPECT_FALSE(bad);
}

TEST(Elementwise, MismatchedTypesAreAnErrorNotARead) {
  auto r = OneNode("Add", 14).run(
      {make<float>(DataType::kFloat32, {2}, {1, 2}), make<int8_t>(DataType::kInt8, {2}, {1, 2})});
  ASSERT_FALSE(r);
  EXPECT_NE(r.status().message().find("int8"), std::string::npos);
}

TEST(Elementwise, MaxPropagatesNaNAndBroadcastsOverThreeInputs) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  auto r = OneNode("Max", 13).run({make<float>(DataType::kFloat32, {2}, {1, nan}),
                                   make<float>(DataType::kFloat32, {1}, {3}),
                                   make<float>(DataType::kFloat32, {2, 1}, {0, 5})});
  ASSERT_TRUE(r);
  std::vector<float> v = values<float>((*r)[0]);
  ASSERT_EQ(v.size(), 4u);
  EXPECT_EQ(v[0], 3);
  EXPECT_TRUE(std::isnan(v[1]));
  EXPECT_EQ(v[2], 5);
  EXPECT_TRUE(std::isnan(v[3]));
}

TEST(Elementwise, ClipWithMinAboveMaxGivesMax) {
  auto r = OneNode("Clip", 13)
               .run({make<int32_t>(DataType::kInt32, {3}, {-5, 0, 5}),
                     make<int32_t>(DataType::kInt32, {}, {2}), make<int32_t>(DataType::kInt32, {}, {1})});
  ASSERT_TRUE(r);
  EXPECT_EQ(values<int32_t>((*r)[0]), (std::vector<int32_t>{1, 1, 1}));
}

TEST(Elementwise, ShapeClampsStartAndEnd) {
  Tensor x(DataType::kFloat32, {2, 3, 4, 5});
  auto r = OneNode("Shape", 15).attr_int("start", -3).attr_int("end", 100).run({x});
  ASSERT_TRUE(r);
  EXPECT_EQ(values<int64_t>((*r)[0]), (std::vector<int64_t>{3, 4, 5}));
  auto empty = OneNode("Shape", 15).attr_int("start", 3).attr_int("end", 1).run({x});
  ASSERT_TRUE(empty);
  EXPECT_EQ((*empty)[0].shape(), (Shape{0}));
}

TEST(Elementwise, CastToFloat16RoundsAndOverflowsToInfinity) {
  OneNode n("Cast", 13);
  n.attr_int("to", 10);  // FLOAT16
  auto r = n.run({make<float>(DataType::kFloat32, {2}, {1.0f / 3, 70000.0f})});
  ASSERT_TRUE(r);
  ASSERT_EQ((*r)[0].dtype(), DataType::kFloat16);
  EXPECT_EQ(values<float16>((*r)[0])[0].bits, 0x3555);
  EXPECT_TRUE(std::isinf(static_cast<float>(values<float16>((*r)[0])[1])));
  OneNode s("Cast", 13);
  s.attr_int("to", 8);  // STRING
  auto str = s.run({make<float>(DataType::kFloat32, {1}, {1})});
  ASSERT_FALSE(str);
  EXPECT_NE(str.status().message().find("STRING"), std::string::npos);
}

TEST(Elementwise, DropoutAtInferenceIsIdentityWithATrueMask) {
  Tensor x = make<float>(DataType::kFloat32, {3}, {1, 2, 3});
  auto r = OneNode("Dropout", 13, 2).run({x, make<float>(DataType::kFloat32, {}, {0.5f})});
  ASSERT_TRUE(r);
  EXPECT_EQ(values<float>((*r)[0]), (std::vector<float>{1, 2, 3}));
  EXPECT_EQ(values<bool>((*r)[1]), (std::vector<bool>{true, true, true}));
}

TEST(Elementwise, PReluOfOldOpsetsAppliesAPerChannelSlope) {
  Tensor x = make<float>(DataType::kFloat32, {1, 2, 1, 3}, {-1, -1, -1, -1, -1, 1});
  Tensor slope = make<float>(DataType::kFloat32, {2}, {0.5f, 2});
  auto r = OneNode("PRelu", 6).run({x, slope});
  ASSERT_TRUE(r) << r.status().message();
  EXPECT_EQ(values<float>((*r)[0]), (std::vector<float>{-0.5f, -0.5f, -0.5f, -2, -2, 1}));
  EXPECT_FALSE(OneNode("PRelu", 16).run({x, slope}));  // [2] does not broadcast to [.., 3]
}

}  // namespace
}  // namespace kiln::ops
