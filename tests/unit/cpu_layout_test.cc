// The CPU layout pass (src/cpu/layout.h): which layers go blocked, where the reorders go, and that
// the rewritten graph computes what the planar one does (reference kernels on both).
#include "cpu/layout.h"

#include <cstring>

#include "cpu/kernels/blocked_conv.h"
#include "ops/blocked_layout.h"
#include "ops/fused_elementwise_chain.h"
#include "tactic_test_util.h"

namespace kiln::testing {
namespace {

struct Net {
  std::unique_ptr<ir::Graph> g = std::make_unique<ir::Graph>();
  int count = 0;
  Net() {
    g->opsets[""] = 17;
    g->opsets["kiln"] = 1;
  }
  ir::Value* input(Shape shape) {
    ir::Value* v = g->create_value("in");
    v->dtype = DataType::kFloat32;
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
  ir::Value* node(const std::string& op, std::vector<ir::Value*> in,
                  std::map<std::string, ir::Attribute> attrs = {}) {
    auto n = std::make_unique<ir::Node>();
    n->op_type = op;
    n->name = op + std::to_string(count++);
    n->opset = 17;
    n->inputs = std::move(in);
    n->attrs = std::move(attrs);
    ir::Value* y = g->create_value(n->name + "_out");
    n->outputs = {y};
    g->add_node(std::move(n));
    return y;
  }
  ir::Value* conv(ir::Value* x, int64_t cin, int64_t cout, int64_t k, int64_t group = 1) {
    return node("Conv",
                {x, constant(random_f32({cout, cin / group, k, k}, ++count, -0.3f, 0.3f)),
                 constant(random_f32({cout}, ++count))},
                {{"pads", attr_ints({k / 2, k / 2, k / 2, k / 2})}, {"group", attr_i(group)}});
  }
};

// The block width the layout pass uses on this machine (its direct conv kernel's); not on a
// machine without AVX2 (the tests skip there first).
int64_t host_block() { return cpu::blocked_conv_kernel(cpu::host_isa())->block; }

Tensor run_reference(const ir::Graph& g, const Tensor& input) {
  std::map<const ir::Value*, Tensor> values;
  values[g.inputs[0]] = input;
  for (const auto& n : g.nodes()) {
    std::vector<const Tensor*> in;
    for (const ir::Value* v : n->inputs)
      in.push_back(!v ? nullptr : v->is_constant() ? &*v->constant : &values.at(v));
    ops::RunContext rc(*n, in, nullptr);
    Status st = ops::find_op(n->domain, n->op_type)->reference(rc);
    EXPECT_TRUE(st.is_ok()) << st.message();
    for (size_t i = 0; i < n->outputs.size(); ++i) values[n->outputs[i]] = rc.output(i);
  }
  return values.at(g.outputs[0]);
}

TEST(CpuLayout, ConvRunsGoBlockedWithReordersOnlyAtTheirEdges) {
  if (cpu::host_isa() == cpu::Isa::kGeneric) GTEST_SKIP() << "no AVX2: nothing goes blocked";
  Net net;
  ir::Value* x = net.input({1, 3, 12, 14});
  ir::Value* a = net.node("Relu", {net.conv(x, 3, 24, 3)});  // image in: planar input
  ir::Value* p = net.node("MaxPool", {a},
                          {{"kernel_shape", attr_ints({3, 3})},
                           {"strides", attr_ints({2, 2})},
                           {"pads", attr_ints({1, 1, 1, 1})}});
  ir::Value* d = net.conv(p, 24, 24, 3, 24);  // depthwise
  ir::Value* s = net.node("Add", {d, p});     // residual follower
  ir::Value* c = net.node("Concat", {net.conv(s, 24, 32, 1), net.conv(s, 24, 16, 1)}, {{"axis", attr_i(-3)}});
  ir::Value* y = net.node("Sigmoid", {c});
  ir::Value* out = net.node("Softmax", {y}, {{"axis", attr_i(1)}});  // planar only
  net.g->outputs = {out, y};
  ASSERT_TRUE(ops::infer_graph(*net.g).is_ok());
  const Tensor input = random_f32({1, 3, 12, 14}, 99);
  const Tensor want = run_reference(*net.g, input);

  auto r = cpu::apply_blocked_layout(*net.g, cpu::host_isa());
  ASSERT_TRUE(r.has_value()) << r.status().message();
  // Everything but the Softmax: conv(planar in), Relu, MaxPool, depthwise, Add, two 1x1s, Concat, Sigmoid.
  EXPECT_EQ(r->blocked, 9);
  EXPECT_EQ(r->runs, 1);
  // No ToBlocked (the first conv reads the image); one ToPlanar feeding both the Softmax and the
  // graph output y, which keeps its name and planar shape.
  EXPECT_EQ(r->reorders, 1);
  int to_planar = 0, blocked_convs = 0;
  for (const auto& n : net.g->nodes()) {
    to_planar += n->op_type == ops::kToPlanar;
    blocked_convs += n->op_type == ops::kBlockedConv;
  }
  EXPECT_EQ(to_planar, 1);
  EXPECT_EQ(blocked_convs, 4);
  EXPECT_EQ(net.g->outputs[1], y);
  EXPECT_EQ(y->shape, (Shape{1, 48, 6, 7}));
  const Tensor got = run_reference(*net.g, input);
  ASSERT_EQ(got.shape(), want.shape());
  for (int64_t i = 0; i < got.numel(); ++i)
    EXPECT_NEAR(got.data<float>()[i], want.data<float>()[i], 1e-5) << i;
}

TEST(CpuLayout, SplitResizeAndConcatStayBlockedLikeACspNeck) {
  if (cpu::host_isa() == cpu::Isa::kGeneric) GTEST_SKIP() << "no AVX2: nothing goes blocked";
  const int64_t b = host_block();
  Net net;
  ir::Value* x = net.input({1, 4 * b, 5, 6});
  ir::Value* a = net.conv(x, 4 * b, 4 * b, 1);
  // Split into 3b + b channels (constant sizes), one half upsampled 2x and pooled back.
  auto split = std::make_unique<ir::Node>();
  split->op_type = "Split";
  split->name = "split";
  split->opset = 17;
  split->inputs = {a, net.constant(Tensor::from_int64s({2}, {3 * b, b}))};
  split->attrs["axis"] = attr_i(1);
  ir::Value* s0 = net.g->create_value("s0");
  ir::Value* s1 = net.g->create_value("s1");
  split->outputs = {s0, s1};
  net.g->add_node(std::move(split));
  Tensor scales(DataType::kFloat32, {4});
  for (int i = 0; i < 4; ++i) scales.data<float>()[i] = i < 2 ? 1.0f : 2.0f;
  auto resize = std::make_unique<ir::Node>();
  resize->op_type = "Resize";
  resize->name = "resize";
  resize->opset = 13;
  resize->inputs = {s1, nullptr, net.constant(std::move(scales))};
  resize->attrs["mode"] = attr_s("nearest");
  ir::Value* up = net.g->create_value("up");
  resize->outputs = {up};
  net.g->add_node(std::move(resize));
  ir::Value* down =
      net.node("MaxPool", {up}, {{"kernel_shape", attr_ints({2, 2})}, {"strides", attr_ints({2, 2})}});
  ir::Value* cat = net.node("Concat", {net.conv(s0, 3 * b, 3 * b, 3), down}, {{"axis", attr_i(1)}});
  net.g->outputs = {net.conv(cat, 4 * b, 2 * b, 1)};
  ASSERT_TRUE(ops::infer_graph(*net.g).is_ok());
  const Tensor input = random_f32({1, 4 * b, 5, 6}, 3);
  const Tensor want = run_reference(*net.g, input);
  auto r = cpu::apply_blocked_layout(*net.g, cpu::host_isa());
  ASSERT_TRUE(r.has_value()) << r.status().message();
  EXPECT_EQ(r->blocked, 7);   // 3 convs, Split, Resize, MaxPool, Concat
  EXPECT_EQ(r->reorders, 2);  // in at the first conv, out at the last
  const Tensor got = run_reference(*net.g, input);
  ASSERT_EQ(got.shape(), want.shape());
  for (int64_t i = 0; i < got.numel(); ++i)
    EXPECT_NEAR(got.data<float>()[i], want.data<float>()[i], 1e-5) << i;
}

TEST(CpuLayout, ScalarChainsStayBlockedPerChannelConstantsDoNot) {
  if (cpu::host_isa() == cpu::Isa::kGeneric) GTEST_SKIP() << "no AVX2: nothing goes blocked";
  // 2.5 blocks of channels (20 when b = 8): the last block half padding.
  const int64_t b = host_block(), c = 2 * b + b / 2;
  Net net;
  ir::Value* x = net.input({1, c, 6, 7});
  ir::Value* a = net.node("HardSwish", {net.conv(x, c, c, 1)});
  // PP-OCRv4's learnable affine after an activation, fused: a kiln.ElementwiseChain x * 0.75 + 0.25.
  auto chain = std::make_unique<ir::Node>();
  chain->op_type = "ElementwiseChain";
  chain->domain = "kiln";
  chain->opset = 1;
  chain->name = "affine";
  chain->inputs = {a, net.constant(Tensor::from_floats({}, {0.75f})),
                   net.constant(Tensor::from_floats({}, {0.25f}))};
  ops::write_chain(*chain,
                   {{"Mul", 17, {}, {ops::kRunningValue, 1}}, {"Add", 17, {}, {ops::kRunningValue, 2}}});
  ir::Value* affine = net.g->create_value("affine_out");
  chain->outputs = {affine};
  net.g->add_node(std::move(chain));
  ir::Value* r = net.node("Relu", {net.conv(affine, c, c, 3, c)});
  // A per-channel constant: broadcast along C, which the blocked layout does not have.
  ir::Value* scaled = net.node("Mul", {r, net.constant(random_f32({1, c, 1, 1}, 5))});
  net.g->outputs = {net.conv(scaled, c, 12, 1)};
  ASSERT_TRUE(ops::infer_graph(*net.g).is_ok());
  const Tensor input = random_f32({1, c, 6, 7}, 4);
  const Tensor want = run_reference(*net.g, input);
  auto res = cpu::apply_blocked_layout(*net.g, cpu::host_isa());
  ASSERT_TRUE(res.has_value()) << res.status().message();
  EXPECT_EQ(res->blocked, 6);  // conv, HardSwish, the chain, depthwise, Relu; the last conv
  EXPECT_EQ(res->runs, 2);
  int chains_blocked = 0, muls_planar = 0;
  for (const auto& n : net.g->nodes()) {
    if (n->op_type == "ElementwiseChain") chains_blocked += n->outputs[0]->shape.size() == 5;
    if (n->op_type == "Mul") muls_planar += n->outputs[0]->shape.size() == 4;
  }
  EXPECT_EQ(chains_blocked, 1);
  EXPECT_EQ(muls_planar, 1);
  const Tensor got = run_reference(*net.g, input);
  ASSERT_EQ(got.shape(), want.shape());
  for (int64_t i = 0; i < got.numel(); ++i)
    EXPECT_NEAR(got.data<float>()[i], want.data<float>()[i], 1e-5) << i;
}

TEST(CpuLayout, A3x3OnAPartialBlockOfChannelsReadsThemPlanar) {
  if (cpu::host_isa() == cpu::Isa::kGeneric) GTEST_SKIP() << "no AVX2: nothing goes blocked";
  const int64_t b = host_block();
  Net net;
  ir::Value* x = net.input({1, b + 4, 6, 7});  // one whole block and a partial one
  ir::Value* y = net.node("Relu", {net.conv(net.node("Relu", {net.conv(x, b + 4, 2 * b, 3)}), 2 * b, b, 3)});
  net.g->outputs = {y};
  ASSERT_TRUE(ops::infer_graph(*net.g).is_ok());
  const Tensor input = random_f32({1, b + 4, 6, 7}, 6);
  const Tensor want = run_reference(*net.g, input);
  auto r = cpu::apply_blocked_layout(*net.g, cpu::host_isa());
  ASSERT_TRUE(r.has_value()) << r.status().message();
  EXPECT_EQ(r->blocked, 4);
  EXPECT_EQ(r->reorders, 1);  // out only: the first conv reads x planar
  const ir::Node* first = nullptr;
  for (const auto& n : net.g->nodes())
    if (!first && n->op_type == ops::kBlockedConv) first = n.get();
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->inputs[0]->shape.size(), 4u);
  const Tensor got = run_reference(*net.g, input);
  ASSERT_EQ(got.shape(), want.shape());
  for (int64_t i = 0; i < got.numel(); ++i)
    EXPECT_NEAR(got.data<float>()[i], want.data<float>()[i], 1e-5) << i;
}

TEST(CpuLayout, SqueezeExciteBlocksStayBlocked) {
  if (cpu::host_isa() == cpu::Isa::kGeneric) GTEST_SKIP() << "no AVX2: nothing goes blocked";
  // x -> conv -> Relu = a; gate = HardSigmoid(conv(Relu(conv(GlobalAveragePool(a))))); a * gate + a.
  // 2.5 blocks of channels (20 when b = 8): padding lanes through the pool, the gate and the product.
  const int64_t b = host_block(), c = 2 * b + b / 2;
  Net net;
  ir::Value* x = net.input({1, c, 6, 7});
  ir::Value* a = net.node("Relu", {net.conv(x, c, c, 3)});
  ir::Value* pooled = net.node("GlobalAveragePool", {a});
  ir::Value* gate =
      net.node("HardSigmoid", {net.conv(net.node("Relu", {net.conv(pooled, c, b, 1)}), b, c, 1)});
  ir::Value* scaled = net.node("Mul", {a, gate});
  net.g->outputs = {net.conv(net.node("Add", {scaled, a}), c, 12, 1)};
  ASSERT_TRUE(ops::infer_graph(*net.g).is_ok());
  const Tensor input = random_f32({1, c, 6, 7}, 7);
  const Tensor want = run_reference(*net.g, input);
  auto r = cpu::apply_blocked_layout(*net.g, cpu::host_isa());
  ASSERT_TRUE(r.has_value()) << r.status().message();
  EXPECT_EQ(r->blocked, 10);  // every node
  EXPECT_EQ(r->runs, 1);
  EXPECT_EQ(r->reorders, 2);  // x in, the output out
  int pools = 0;
  for (const auto& n : net.g->nodes()) {
    EXPECT_NE(n->op_type, "GlobalAveragePool");
    pools += n->op_type == "ReduceMean";
  }
  EXPECT_EQ(pools, 1);
  const Tensor got = run_reference(*net.g, input);
  ASSERT_EQ(got.shape(), want.shape());
  for (int64_t i = 0; i < got.numel(); ++i)
    EXPECT_NEAR(got.data<float>()[i], want.data<float>()[i], 1e-5) << i;
}

TEST(CpuLayout, ChannelPaddingWithZerosStaysBlockedOnlyWhereThePaddingLanesAreZero) {
  if (cpu::host_isa() == cpu::Isa::kGeneric) GTEST_SKIP() << "no AVX2: nothing goes blocked";
  const int64_t b = host_block();
  // 24 -> 28 channels (the same blocks when b = 16) and 28 -> 28 + b (one more block), as
  // BlazeFace pads; then the same after a Sigmoid, whose padding lanes are 0.5: that Concat must
  // stay planar.
  for (const std::string act : {"Relu", "Sigmoid"}) {
    Net net;
    ir::Value* x = net.input({1, 24, 6, 7});
    ir::Value* a = net.node(act, {net.conv(x, 24, 24, 3)});
    ir::Value* p1 = net.node("Concat", {a, net.constant(Tensor(DataType::kFloat32, {1, 4, 6, 7}))},
                             {{"axis", attr_i(1)}});
    ir::Value* c = net.conv(p1, 28, 28, 1);
    ir::Value* p2 = net.node("Concat", {c, net.constant(Tensor(DataType::kFloat32, {1, b, 6, 7}))},
                             {{"axis", attr_i(1)}});
    net.g->outputs = {net.conv(p2, 28 + b, 16, 1)};
    for (auto& n : net.g->mutable_nodes())
      for (ir::Value* v : n->inputs)
        if (v && v->is_constant() && v->constant->dtype() == DataType::kFloat32 && v->shape.size() == 4 &&
            v->shape[2] == 6)
          std::memset(v->constant->raw(), 0, v->constant->nbytes());  // the zeros constants
    ASSERT_TRUE(ops::infer_graph(*net.g).is_ok());
    const Tensor input = random_f32({1, 24, 6, 7}, 5);
    const Tensor want = run_reference(*net.g, input);
    auto r = cpu::apply_blocked_layout(*net.g, cpu::host_isa());
    ASSERT_TRUE(r.has_value()) << r.status().message();
    int concats = 0, identities = 0;
    for (const auto& n : net.g->nodes()) {
      concats += n->op_type == "Concat" && n->outputs[0]->shape.size() == 5;
      identities += n->op_type == "Identity";
    }
    if (act == "Relu") {
      // One run: out at the last conv, and in at the first unless it reads its 24 channels planar
      // (fewer than two blocks of 16, the last partial).
      EXPECT_EQ(r->reorders, b == 16 ? 1 : 2) << act;
      EXPECT_EQ(identities + concats, 2) << act;
      if (b == 16) {
        EXPECT_EQ(identities, 1);
      }
    } else {
      EXPECT_EQ(identities + concats, 1) << act;  // the second pads a conv's output: zeros there
    }
    const Tensor got = run_reference(*net.g, input);
    ASSERT_EQ(got.shape(), want.shape());
    for (int64_t i = 0; i < got.numel(); ++i)
      ASSERT_NEAR(got.data<float>()[i], want.data<float>()[i], 1e-5) << act << " " << i;
  }
}

TEST(CpuLayout, ATimedRunThatLosesStaysPlanar) {
  if (cpu::host_isa() == cpu::Isa::kGeneric) GTEST_SKIP() << "no AVX2: nothing goes blocked";
  Net net;
  ir::Value* x = net.input({1, 16, 8, 8});
  net.g->outputs = {net.conv(net.conv(x, 16, 16, 3), 16, 16, 3)};
  ASSERT_TRUE(ops::infer_graph(*net.g).is_ok());
  // Blocked layers and reorders cost 10 us each, planar layers 1 us: the run stays planar.
  auto cost = [](const ir::Node& n) -> Expected<std::optional<double>> {
    return std::optional<double>(n.domain == "kiln" ? 10.0 : 1.0);
  };
  auto r = cpu::apply_blocked_layout(*net.g, cpu::host_isa(), cost);
  ASSERT_TRUE(r.has_value()) << r.status().message();
  EXPECT_EQ(r->runs, 1);
  EXPECT_EQ(r->runs_kept, 0);
  EXPECT_EQ(r->blocked, 0);
  for (const auto& n : net.g->nodes()) EXPECT_EQ(n->op_type, "Conv");
  // The other way round it is rewritten: 2 blocked convs at 1 us + 2 reorders at 1 us < 2 x 10 us.
  auto cheap = [](const ir::Node& n) -> Expected<std::optional<double>> {
    return std::optional<double>(n.domain == "kiln" ? 1.0 : 10.0);
  };
  r = cpu::apply_blocked_layout(*net.g, cpu::host_isa(), cheap);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->runs_kept, 1);
  EXPECT_EQ(r->blocked, 2);
  EXPECT_EQ(r->reorders, 2);
}

}  // namespace
}  // namespace kiln::testing
