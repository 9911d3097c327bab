// Engine/Context against the reference interpreter: same outputs with and without passes, values
// viewing arena bytes stay intact, and contexts of one engine run concurrently.
#include <gtest/gtest.h>

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
    for (int64_t i = 0; i < t.numel(); ++i) p[i] = static_cast<float>((i * 7919 + seed * 104729) % 1000) / 500.0f - 1.0f;
    out.push_back({info.name, t});
  }
  return out;
}

void expect_same(const std::vector<NamedTensor>& a, const std::vector<NamedTensor>& b, float tol) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].tensor.shape(), b[i].tensor.shape()) << a[i].name;
    for (int64_t k = 0; k < a[i].tensor.numel(); ++k)
      ASSERT_NEAR(a[i].tensor.data<float>()[k], b[i].tensor.data<float>()[k], tol) << a[i].name << "[" << k << "]";
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

}  // namespace
}  // namespace kiln
