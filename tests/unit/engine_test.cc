// Engine/Context against the reference interpreter: same outputs with and without passes, values
// viewing arena bytes stay intact, and contexts of one engine run concurrently.
#include <gtest/gtest.h>

#include <cstring>
#include <thread>

#include "kiln/engine.h"

namespace kiln {
namespace {

const std::string kNode = "/usr/share/libonnx-testdata/data/node/";

std::vector<NamedTensor> random_inputs(const std::vector<TensorInfo>& infos, unsigned seed) {
  std::vector<NamedTensor> out;
  for (const auto& info : infos) {
    Tensor t(info.dtype, info.shape);
    float* p = t.data<float>();
    for (int64_t i = 0; i < t.numel(); ++i)
      p[i] = static_cast<float>((i * 7919 + seed * 104729) % 1000) / 500.0f - 1.0f;
    out.push_back({info.name, t});
  }
  return out;
}

void expect_same(const std::vector<NamedTensor>& a, const std::vector<NamedTensor>& b, float tol) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].tensor.shape(), b[i].tensor.shape()) << a[i].name;
    for (int64_t k = 0; k < a[i].tensor.numel(); ++k)
      ASSERT_NEAR(a[i].tensor.data<float>()[k], b[i].tensor.data<float>()[k], tol)
          << a[i].name << "[" << k << "]";
  }
}

// The unoptimized engine keeps a Reshape whose shape is computed at run time: its output views
// arena bytes that later layers reuse, and must still read correctly at the end.
TEST(Engine, UnoptimizedLayerNormExpandedMatchesInterpreter) {
  std::string path = kNode + "test_layer_normalization_2d_axis0_expanded/model.onnx";
  auto model = Model::load_onnx(path);
  ASSERT_TRUE(model) << model.status().message();
  for (bool optimize : {false, true}) {
    BuilderConfig cfg;
    cfg.optimize = optimize;
    auto engine = Builder::build_onnx(path, cfg);
    ASSERT_TRUE(engine) << engine.status().message();
    auto ctx = (*engine)->create_context();
    ASSERT_TRUE(ctx);
    auto in = random_inputs(model->inputs(), 3);
    auto want = model->run(in);
    auto got = (*ctx)->run(in);
    ASSERT_TRUE(want && got) << (got ? want.status().message() : got.status().message());
    expect_same(*got, *want, 1e-5f);
  }
}

TEST(Engine, ContextsRunConcurrently) {
  std::string path = kNode + "test_conv_with_strides_padding/model.onnx";
  auto engine = Builder::build_onnx(path, {});
  ASSERT_TRUE(engine) << engine.status().message();
  std::shared_ptr<const Engine> shared = *engine;
  auto single = shared->create_context();
  ASSERT_TRUE(single);
  constexpr int kThreads = 4;
  std::vector<std::vector<NamedTensor>> inputs, expected(kThreads), got(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    inputs.push_back(random_inputs(shared->inputs(), static_cast<unsigned>(t)));
    auto r = (*single)->run(inputs[t]);
    ASSERT_TRUE(r);
    expected[t] = *r;
  }
  std::vector<std::thread> threads;
  std::vector<int> ok(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto ctx = shared->create_context();
      if (!ctx) return;
      for (int it = 0; it < 50; ++it) {
        auto r = (*ctx)->run(inputs[t]);
        if (!r) return;
        got[t] = *r;
      }
      ok[t] = 1;
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_TRUE(ok[t]);
    expect_same(got[t], expected[t], 0.0f);
  }
}

TEST(Engine, RunIntoWritesTheOutputsAndRefusesMisshapenOnes) {
  // A conv model (tactics) and an If model (a subgraph on the reference interpreter): run_into
  // gives run's outputs, run after run, into the tensors it was handed.
  for (const std::string model : {"test_conv_with_strides_padding", "test_if"}) {
    SCOPED_TRACE(model);
    auto engine = Builder::build_onnx(kNode + model + "/model.onnx", {});
    ASSERT_TRUE(engine) << engine.status().message();
    auto ctx = (*engine)->create_context();
    ASSERT_TRUE(ctx);
    auto in = random_inputs((*engine)->inputs(), 3);
    if (model == "test_if") {  // a bool condition and two float branches' values
      in.clear();
      for (const TensorInfo& info : (*engine)->inputs())
        in.push_back({info.name, Tensor(info.dtype, info.shape)});
    }
    auto want = (*ctx)->run(in);
    ASSERT_TRUE(want) << want.status().message();
    std::vector<Tensor> into;
    for (const NamedTensor& o : *want) into.emplace_back(o.tensor.dtype(), o.tensor.shape());
    const void* bytes = into.empty() ? nullptr : into[0].raw();
    for (int r = 0; r < 3; ++r) {
      ASSERT_TRUE((*ctx)->run_into(in, into).is_ok());
      ASSERT_EQ(into.size(), want->size());
      for (size_t i = 0; i < into.size(); ++i) {
        ASSERT_EQ(into[i].shape(), (*want)[i].tensor.shape());
        EXPECT_EQ(0, std::memcmp(into[i].raw(), (*want)[i].tensor.raw(), into[i].nbytes()));
      }
    }
    if (bytes && (*engine)->outputs()[0].shape == (*want)[0].tensor.shape()) {
      EXPECT_EQ(into[0].raw(), bytes) << "a static output is written in place";
    }
    std::vector<Tensor> none;
    Status st = (*ctx)->run_into(in, none);
    EXPECT_FALSE(st.is_ok());
    EXPECT_NE(st.message().find("output tensors"), std::string::npos) << st.message();
  }
  auto engine = Builder::build_onnx(kNode + "test_conv_with_strides_padding/model.onnx", {});
  ASSERT_TRUE(engine);
  auto ctx = (*engine)->create_context();
  ASSERT_TRUE(ctx);
  std::vector<Tensor> wrong = {Tensor(DataType::kFloat32, {1, 2, 3})};
  Status st = (*ctx)->run_into(random_inputs((*engine)->inputs(), 1), wrong);
  ASSERT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find("must be float32[1x1x4x3]"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace kiln
