// The Split and Concat copy tactics against the reference ops: every element, exactly, at any axis,
// with uneven and empty parts, 1 and 2 threads, outputs poisoned first.
#include "tactic_test_util.h"

namespace kiln::testing {
namespace {

void check_split(const Shape& shape, int64_t axis, std::vector<int64_t> sizes) {
  OneNode t("Split", "");
  t.input(random_f32(shape, 7));
  t.constant(Tensor::from_int64s({static_cast<int64_t>(sizes.size())}, sizes));
  t.attr("axis", attr_i(axis));
  for (size_t i = 0; i < sizes.size(); ++i) t.node->outputs.push_back(t.g->create_value("y"));
  ASSERT_TRUE(ops::infer_graph(*t.g).is_ok());
  const ir::Node& node = *t.node;
  std::vector<const Tensor*> in = {&t.feeds.begin()->second, &*node.inputs[1]->constant};
  ops::RunContext rc(node, in, nullptr);
  ASSERT_TRUE(ops::find_op("", "Split")->reference(rc).is_ok());
  const auto tactics = cpu::tactics_for(node, cpu::host_isa());
  ASSERT_EQ(tactics.size(), 1u);
  const cpu::Tactic& tactic = *tactics[0];
  std::vector<Tensor> prepared;
  std::vector<int64_t> params;
  ASSERT_TRUE(tactic.prepare(node, tactic.isa, prepared, params).is_ok());
  EXPECT_TRUE(tactic.check(node, tactic.isa, {}, params));
  for (int threads : {1, 2}) {
    cpu::ThreadPool pool(threads);
    std::vector<Tensor> got;
    for (const ir::Value* y : node.outputs) {
      got.emplace_back(DataType::kFloat32, y->shape);
      for (int64_t i = 0; i < got.back().numel(); ++i) got.back().data<float>()[i] = std::nanf("");
    }
    std::vector<Tensor*> outs;
    for (Tensor& g : got) outs.push_back(&g);
    cpu::TacticArgs args{node, tactic.isa, in, outs, {}, params, pool, nullptr, {}};
    ASSERT_TRUE(tactic.run(args).is_ok());
    for (size_t o = 0; o < got.size(); ++o) {
      const Tensor& want = rc.output(o);
      ASSERT_EQ(want.shape(), got[o].shape());
      for (int64_t i = 0; i < want.numel(); ++i)
        ASSERT_EQ(got[o].data<float>()[i], want.data<float>()[i]) << "output " << o << " element " << i;
    }
  }
}

TEST(CpuSplit, EveryAxisAndUnevenSizes) {
  check_split({2, 6, 3, 5}, 1, {1, 2, 3});
  check_split({2, 6, 3, 5}, 0, {1, 1});
  check_split({2, 6, 3, 5}, 3, {4, 1});
  check_split({1, 4, 10, 10, 16}, 1, {2, 2});  // whole blocks of a blocked tensor
  check_split({7}, 0, {3, 0, 4});              // an empty output
}

// Concat of inputs whose extents along `axis` are `sizes` (the others from `shape`).
void check_concat(const Shape& shape, int64_t axis, const std::vector<int64_t>& sizes) {
  OneNode t("Concat", "");
  const int64_t a = axis < 0 ? axis + static_cast<int64_t>(shape.size()) : axis;
  for (size_t i = 0; i < sizes.size(); ++i) {
    Shape part = shape;
    part[static_cast<size_t>(a)] = sizes[i];
    t.input(random_f32(part, 11 + static_cast<uint32_t>(i)));
  }
  t.attr("axis", attr_i(axis));
  EXPECT_EQ(check_tactics(t, 0, 0), 2) << "axis " << axis;  // concat.copy at 1 and 2 threads, exact
}

TEST(CpuConcat, EveryAxisAndUnevenSizes) {
  check_concat({2, 6, 3, 5}, 1, {1, 2, 3});
  check_concat({2, 6, 3, 5}, 0, {1, 1});
  check_concat({1, 85, 7}, -1, {64, 16, 4});  // YOLOX's head: three scales along the last axis
  check_concat({2, 6, 3, 5}, 3, {4, 0, 1});   // an empty input
}

TEST(CpuSplit, DimsWhoseProductOverflowsAreNotSupported) {
  // A corrupted plan can carry any dims; products that do not fit int64 (here with a zero dim
  // making the element count 0) leave the node to no tactic, so loading refuses the plan.
  ir::Graph g;
  ir::Value* x = g.create_value("x");
  x->dtype = DataType::kFloat32;
  x->rank_known = true;
  x->shape = {int64_t{1} << 40, int64_t{1} << 40, 0};
  EXPECT_FALSE(cpu::is_static_f32(x));
  x->shape = {int64_t{1} << 20, int64_t{1} << 20, 0};
  EXPECT_TRUE(cpu::is_static_f32(x));
  x->shape = {int64_t{1} << 30, int64_t{1} << 30};
  EXPECT_FALSE(cpu::is_static_f32(x));
}

}  // namespace
}  // namespace kiln::testing
