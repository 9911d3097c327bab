// What the conformance data does not pin down for the shape and data-movement ops: inference with
// partly unknown inputs (as at import, before values are known), and errors instead of crashes on
// bad indices, axes and sizes.
#include <gtest/gtest.h>

#include "ops/op.h"

namespace kiln::ops {
namespace {

constexpr int64_t U = -1;  // an unknown dim

TensorType known(DataType dt, Shape s) { return TensorType{dt, std::move(s), true}; }
TensorType f32(Shape s) { return known(DataType::kFloat32, std::move(s)); }
TensorType unknown_rank(DataType dt = DataType::kFloat32) { return TensorType{dt, {}, false}; }

// One node of `op`, inferred or run through the registered op.
struct Op {
  ir::Node node;
  std::vector<std::unique_ptr<ir::Value>> values;

  explicit Op(const std::string& op, int opset = 17, size_t outputs = 1) {
    node.op_type = op;
    node.name = std::string("n");  // (a literal here: a false GCC 12 -Wrestrict)
    node.opset = opset;
    for (size_t i = 0; i < outputs; ++i) {
      values.push_back(std::make_unique<ir::Value>());
      node.outputs.push_back(values.back().get());
    }
  }
  Op& ints(const std::string& key, std::vector<int64_t> v) {
    ir::Attribute a;
    a.kind = ir::Attribute::Kind::kInts;
    a.ints = std::move(v);
    node.attrs[key] = a;
    return *this;
  }
  Op& string(const std::string& key, const std::string& v) {
    ir::Attribute a;
    a.kind = ir::Attribute::Kind::kString;
    a.s = v;
    node.attrs[key] = a;
    return *this;
  }
  Op& integer(const std::string& key, int64_t v) {
    ir::Attribute a;
    a.kind = ir::Attribute::Kind::kInt;
    a.i = v;
    node.attrs[key] = a;
    return *this;
  }

  // Infers with `types`; `consts[i]`, when not empty, is input i's known value.
  Expected<std::vector<TensorType>> infer(std::vector<TensorType> types,
                                          const std::vector<Tensor>& consts = {}) {
    std::vector<const Tensor*> vals(types.size(), nullptr);
    for (size_t i = 0; i < consts.size(); ++i)
      if (!consts[i].empty()) vals[i] = &consts[i];
    const OpDef* def = find_op("", node.op_type);
    if (!def) return not_found(node.op_type + " is not registered");
    InferContext ctx(node, std::move(types), std::move(vals));
    KILN_RETURN_IF_ERROR(def->infer(ctx));
    return ctx.outputs;
  }

  Expected<std::vector<Tensor>> run(const std::vector<Tensor>& inputs) {
    std::vector<const Tensor*> in;
    for (const Tensor& t : inputs) in.push_back(t.empty() ? nullptr : &t);
    const OpDef* def = find_op("", node.op_type);
    if (!def) return not_found(node.op_type + " is not registered");
    RunContext ctx(node, in, nullptr);
    KILN_RETURN_IF_ERROR(def->reference(ctx));
    return ctx.outputs();
  }
};

Tensor i64s(Shape shape, std::vector<int64_t> v) {
  return Tensor::from_int64s(std::move(shape), std::move(v));
}
Tensor i64s(std::vector<int64_t> v) {
  const int64_t n = static_cast<int64_t>(v.size());
  return Tensor::from_int64s({n}, std::move(v));
}

TEST(ShapeOpsInfer, ReshapeWithUnknownShapeKeepsTheRankOfTheShapeInput) {
  auto out = Op("Reshape").infer({f32({2, 3}), known(DataType::kInt64, {3})});
  ASSERT_TRUE(out.has_value()) << out.status().message();
  EXPECT_EQ((*out)[0].shape, (Shape{U, U, U}));
  EXPECT_TRUE((*out)[0].rank_known);
}

TEST(ShapeOpsInfer, ReshapeCopiesAndInfersDimsWhereItCan) {
  auto a = Op("Reshape").infer({f32({2, 3, 4}), known(DataType::kInt64, {2})}, {Tensor(), i64s({0, -1})});
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ((*a)[0].shape, (Shape{2, 12}));
  auto b = Op("Reshape").infer({f32({U, 3, 4}), known(DataType::kInt64, {2})}, {Tensor(), i64s({0, -1})});
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ((*b)[0].shape, (Shape{U, U}));
  EXPECT_FALSE(Op("Reshape").infer({f32({2, 3}), known(DataType::kInt64, {1})}, {Tensor(), i64s({7})}));
  EXPECT_FALSE(Op("Reshape").infer({f32({2, 3}), known(DataType::kInt64, {2})}, {Tensor(), i64s({-1, -1})}));
}

TEST(ShapeOpsInfer, SqueezeWithoutAxesNeedsEveryDim) {
  auto out = Op("Squeeze", 13).infer({f32({1, U, 3})});
  ASSERT_TRUE(out.has_value());
  EXPECT_FALSE((*out)[0].rank_known);  // the unknown dim may be 1
  auto known_axes =
      Op("Squeeze", 13).infer({f32({1, U, 3}), known(DataType::kInt64, {1})}, {Tensor(), i64s({0})});
  ASSERT_TRUE(known_axes.has_value());
  EXPECT_EQ((*known_axes)[0].shape, (Shape{U, 3}));
  EXPECT_FALSE(Op("Squeeze", 11).ints("axes", {2}).infer({f32({1, U, 3})}));  // dim 3 is not 1
}

TEST(ShapeOpsInfer, SliceWithUnknownStartsChangesOnlyTheSlicedAxes) {
  auto out = Op("Slice", 13)
                 .infer({f32({4, 5, 6}), known(DataType::kInt64, {1}), known(DataType::kInt64, {1}),
                         known(DataType::kInt64, {1})},
                        {Tensor(), Tensor(), Tensor(), i64s({-2})});
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ((*out)[0].shape, (Shape{4, U, 6}));
  auto none =
      Op("Slice", 13).infer({f32({4, 5, 6}), known(DataType::kInt64, {1}), known(DataType::kInt64, {1})});
  ASSERT_TRUE(none.has_value());
  EXPECT_EQ((*none)[0].shape, (Shape{U, U, U}));
}

TEST(ShapeOpsInfer, SliceRejectsZeroStepsAndRepeatedAxes) {
  const TensorType idx = known(DataType::kInt64, {1});
  EXPECT_FALSE(
      Op("Slice", 13)
          .infer({f32({4}), idx, idx, idx, idx}, {Tensor(), i64s({0}), i64s({4}), i64s({0}), i64s({0})}));
  const TensorType idx2 = known(DataType::kInt64, {2});
  EXPECT_FALSE(
      Op("Slice", 13)
          .infer({f32({4, 4}), idx2, idx2, idx2}, {Tensor(), i64s({0, 0}), i64s({2, 2}), i64s({1, -1})}));
}

TEST(ShapeOpsInfer, DataDependentOutputsAreUnknownUntilRunTime) {
  auto nz = Op("NonZero").infer({f32({2, 3})});
  ASSERT_TRUE(nz.has_value());
  EXPECT_EQ((*nz)[0].shape, (Shape{2, U}));
  EXPECT_EQ((*nz)[0].dtype, DataType::kInt64);
  auto un = Op("Unique", 11, 4).integer("axis", 1).infer({f32({2, 5})});
  ASSERT_TRUE(un.has_value());
  EXPECT_EQ((*un)[0].shape, (Shape{2, U}));
  EXPECT_EQ((*un)[2].shape, (Shape{5}));
  EXPECT_EQ((*un)[3].shape, (Shape{U}));
  auto cp = Op("Compress").integer("axis", 0).infer({f32({4, 3}), known(DataType::kBool, {4})});
  ASSERT_TRUE(cp.has_value());
  EXPECT_EQ((*cp)[0].shape, (Shape{U, 3}));
}

TEST(ShapeOpsInfer, ShapeInputsOfUnknownValue) {
  auto topk = Op("TopK", 11, 2).infer({f32({3, 8}), known(DataType::kInt64, {1})});
  ASSERT_TRUE(topk.has_value());
  EXPECT_EQ((*topk)[0].shape, (Shape{3, U}));
  EXPECT_EQ((*topk)[1].dtype, DataType::kInt64);
  auto expand = Op("Expand").infer({f32({3, 1}), known(DataType::kInt64, {4})});
  ASSERT_TRUE(expand.has_value());
  EXPECT_EQ((*expand)[0].shape, (Shape{U, U, U, U}));
  auto pad = Op("Pad", 13).infer({f32({3, 1}), known(DataType::kInt64, {4})});
  ASSERT_TRUE(pad.has_value());
  EXPECT_EQ((*pad)[0].shape, (Shape{U, U}));
  auto range = Op("Range").infer(
      {known(DataType::kInt32, {}), known(DataType::kInt32, {}), known(DataType::kInt32, {})});
  ASSERT_TRUE(range.has_value());
  EXPECT_EQ((*range)[0].shape, (Shape{U}));
  auto unsq = Op("Unsqueeze", 13).infer({unknown_rank(), known(DataType::kInt64, {2})});
  ASSERT_TRUE(unsq.has_value());
  EXPECT_FALSE((*unsq)[0].rank_known);
}

TEST(ShapeOpsInfer, ConcatAndSplitWithUnknownDims) {
  auto cat = Op("Concat").integer("axis", 1).infer({f32({2, 3}), f32({U, U}), f32({2, 4})});
  ASSERT_TRUE(cat.has_value());
  EXPECT_EQ((*cat)[0].shape, (Shape{2, U}));
  EXPECT_FALSE(Op("Concat").integer("axis", 1).infer({f32({2, 3}), f32({3, 3})}));
  auto split = Op("Split", 13, 2).integer("axis", 0).infer({f32({U, 4})});
  ASSERT_TRUE(split.has_value());
  EXPECT_EQ((*split)[1].shape, (Shape{U, 4}));
  auto uneven = Op("Split", 18, 3).integer("num_outputs", 3).infer({f32({7})});
  ASSERT_TRUE(uneven.has_value());
  EXPECT_EQ((*uneven)[2].shape, (Shape{1}));
}

TEST(ShapeOpsRun, OutOfRangeIndicesAreErrors) {
  Tensor data = Tensor::from_floats({2, 3}, {1, 2, 3, 4, 5, 6});
  EXPECT_FALSE(Op("Gather").run({data, i64s({3})}));
  EXPECT_FALSE(Op("Gather").run({data, i64s({-3})}));
  EXPECT_FALSE(Op("GatherElements").integer("axis", 1).run({data, i64s({2, 1}, {0, 3})}));
  EXPECT_FALSE(Op("GatherND").run({data, i64s({1, 2}, {1, 3})}));
  EXPECT_FALSE(Op("ScatterElements").run({data, i64s({1, 1}, {2}), Tensor::from_floats({1, 1}, {0})}));
  EXPECT_FALSE(Op("ScatterND").run({data, i64s({1, 1}, {-3}), Tensor::from_floats({1, 3}, {0, 0, 0})}));
  EXPECT_FALSE(Op("ReverseSequence").run({data, i64s({4, 0, 0})}));
  EXPECT_FALSE(Op("Transpose").ints("perm", {0, 0}).run({data}));
  EXPECT_FALSE(Op("Tile").run({data, i64s({1})}));
  EXPECT_FALSE(Op("Pad", 13).run({data, i64s({0, -4, 0, 0})}));
}

TEST(ShapeOpsRun, GatherWrapsNegativeIndicesAndKeepsScalarRank) {
  Tensor data = Tensor::from_floats({2, 3}, {1, 2, 3, 4, 5, 6});
  auto out = Op("Gather").integer("axis", 1).run({data, Tensor::from_int64s({}, {-1})});
  ASSERT_TRUE(out.has_value()) << out.status().message();
  EXPECT_EQ((*out)[0].shape(), (Shape{2}));
  EXPECT_EQ((*out)[0].to_float_vector(), (std::vector<float>{3, 6}));
}

TEST(ShapeOpsRun, TopKBreaksTiesBySmallerIndex) {
  Tensor x = Tensor::from_floats({6}, {1, 3, 2, 3, 1, 3});
  auto out = Op("TopK", 11, 2).run({x, i64s({4})});
  ASSERT_TRUE(out.has_value()) << out.status().message();
  EXPECT_EQ((*out)[1].to_int64_vector(), (std::vector<int64_t>{1, 3, 5, 2}));
  auto low = Op("TopK", 11, 2).integer("largest", 0).run({x, i64s({3})});
  ASSERT_TRUE(low.has_value());
  EXPECT_EQ((*low)[1].to_int64_vector(), (std::vector<int64_t>{0, 4, 2}));
}

TEST(ShapeOpsRun, PadReflectWithPadsLongerThanTheDimIsPeriodic) {
  Tensor x = Tensor::from_floats({3}, {0, 1, 2});
  auto out = Op("Pad", 13).string("mode", "reflect").run({x, i64s({5, 4})});
  ASSERT_TRUE(out.has_value()) << out.status().message();
  EXPECT_EQ((*out)[0].to_float_vector(), (std::vector<float>{1, 0, 1, 2, 1, 0, 1, 2, 1, 0, 1, 2}));
}

}  // namespace
}  // namespace kiln::ops
