#include <gtest/gtest.h>

#include <filesystem>

#include "../../tools/engine_options.h"

namespace kiln::cli {
namespace {

const char* kConv = "/usr/share/libonnx-testdata/data/node/test_conv_with_strides_padding/model.onnx";

BuildOptions with_threads(int threads) {
  BuildOptions o;
  o.threads = threads;
  return o;
}

TEST(EngineOptions, ParsesCommandLine) {
  CLI::App app;
  EngineSource source;
  BuildOptions build;
  InferenceOptions infer;
  source.add_to(app);
  build.add_to(app);
  infer.add_to(app, true);
  app.parse(
      "m.onnx --shapes x:1x3x8x8 --threads 3 --no-optimize --iterations 7 --warmup 0 --streams 2 --duration "
      "1.5",
      false);
  BuilderConfig config;
  ASSERT_TRUE(source.parse(config));
  ASSERT_TRUE(build.parse(config, source.is_plan()));
  ASSERT_TRUE(infer.parse());
  EXPECT_EQ(source.path, "m.onnx");
  EXPECT_FALSE(source.is_plan());
  EXPECT_EQ(config.shapes.at("x"), (Shape{1, 3, 8, 8}));
  EXPECT_EQ(config.threads, 3);
  EXPECT_FALSE(config.optimize);
  EXPECT_EQ(infer.iterations, 7);
  EXPECT_EQ(infer.warmup, 0);
  EXPECT_EQ(infer.streams, 2);
  EXPECT_DOUBLE_EQ(infer.duration_s.value(), 1.5);
}

TEST(EngineOptions, DefaultsBuildOptimizedOnOneThread) {
  BuilderConfig config;
  config.threads = 9;
  config.optimize = false;
  ASSERT_TRUE(BuildOptions{}.parse(config, false));
  EXPECT_EQ(config.threads, 1);
  EXPECT_TRUE(config.optimize);
  EXPECT_TRUE(InferenceOptions{}.parse());
}

TEST(EngineOptions, RejectsBadValues) {
  BuilderConfig config;
  EXPECT_FALSE(with_threads(0).parse(config, false));
  EXPECT_FALSE(with_threads(2000).parse(config, false));
  InferenceOptions bad_iter;
  bad_iter.iterations = 0;
  EXPECT_FALSE(bad_iter.parse());
  InferenceOptions bad_warmup;
  bad_warmup.warmup = -1;
  EXPECT_FALSE(bad_warmup.parse());
  InferenceOptions bad_streams;
  bad_streams.streams = 0;
  EXPECT_FALSE(bad_streams.parse());
  InferenceOptions bad_duration;
  bad_duration.duration_s = 0;
  EXPECT_FALSE(bad_duration.parse());
  EngineSource bad_shapes{"m.onnx", {"x:1x0"}};
  EXPECT_FALSE(bad_shapes.parse(config));
}

TEST(EngineOptions, BuildOptionsDoNotApplyToPlans) {
  BuilderConfig config;
  EngineSource plan{"m.kplan", {"x:1x3"}};
  EXPECT_TRUE(plan.is_plan());
  Status st = plan.parse(config);
  ASSERT_FALSE(st);
  EXPECT_NE(st.message().find("--shapes"), std::string::npos);
  // --threads runs a plan with other threads than it was tuned for; build-only options are refused.
  EXPECT_TRUE(with_threads(4).parse(config, true));
  BuildOptions tactics;
  tactics.tactics = "heuristic";
  Status st_tactics = tactics.parse(config, true);
  ASSERT_FALSE(st_tactics);
  EXPECT_NE(st_tactics.message().find("--tactics"), std::string::npos);
  BuildOptions cache;
  cache.timing_cache = "t.cache";
  EXPECT_FALSE(cache.parse(config, true));
  BuildOptions bad_mode;
  bad_mode.tactics = "fastest";
  EXPECT_FALSE(bad_mode.parse(config, false));
  EXPECT_TRUE(BuildOptions{}.parse(config, true));
}

TEST(PeakOptions, ParsesThreadList) {
  CLI::App app;
  PeakOptions o;
  o.add_to(app);
  app.parse("--threads 1,2 --threads 4 --seconds 0.5 --stream-mib 256", false);
  ASSERT_TRUE(o.parse());
  EXPECT_EQ(o.thread_counts(), (std::vector<int>{1, 2, 4}));
  EXPECT_EQ(o.stream_bytes(), size_t{256} << 20);
  PeakOptions defaults;
  ASSERT_FALSE(defaults.thread_counts().empty());
  EXPECT_EQ(defaults.thread_counts().front(), 1);
  PeakOptions zero;
  zero.threads = {0};
  EXPECT_FALSE(zero.parse());
  PeakOptions slow;
  slow.seconds = 0;
  EXPECT_FALSE(slow.parse());
}

TEST(CeilingOptions, GivenCeilingsAreNotMeasured) {
  CeilingOptions o;
  o.gflops = 123;
  o.gbps = 45;
  ASSERT_TRUE(o.parse());
  auto c = o.resolve(1);
  ASSERT_TRUE(c);
  EXPECT_DOUBLE_EQ(c->gflops, 123);
  EXPECT_DOUBLE_EQ(c->gbps, 45);
  CeilingOptions negative;
  negative.gbps = -1;
  EXPECT_FALSE(negative.parse());
}

TEST(RandomInputs, SeededAndInRange) {
  std::vector<TensorInfo> infos = {{"x", DataType::kFloat32, {2, 3}}, {"ids", DataType::kInt64, {16}}};
  auto a = random_inputs(infos, 7), b = random_inputs(infos, 7), c = random_inputs(infos, 8);
  ASSERT_TRUE(a && b && c);
  ASSERT_EQ(a->size(), 2u);
  EXPECT_EQ((*a)[0].tensor.shape(), (Shape{2, 3}));
  bool differs = false;
  for (int64_t i = 0; i < 6; ++i) {
    float v = (*a)[0].tensor.data<float>()[i];
    EXPECT_EQ(v, (*b)[0].tensor.data<float>()[i]);
    differs = differs || v != (*c)[0].tensor.data<float>()[i];
    EXPECT_GE(v, -1.0f);
    EXPECT_LE(v, 1.0f);
  }
  EXPECT_TRUE(differs);
  for (int64_t i = 0; i < 16; ++i) {
    int64_t v = (*a)[1].tensor.data<int64_t>()[i];
    EXPECT_GE(v, 0);
    EXPECT_LT(v, 10);
  }
  auto dynamic = random_inputs({{"img", DataType::kFloat32, {1, 3, -1, -1}}}, 0);
  ASSERT_FALSE(dynamic);
  EXPECT_NE(dynamic.status().message().find("--shapes img:"), std::string::npos);
}

TEST(OpenEngine, BuildsOnnxAndLoadsItsPlan) {
  BuilderConfig config;
  auto built = open_engine(EngineSource{kConv, {}}, config);
  ASSERT_TRUE(built) << built.status().message();
  EXPECT_TRUE(built->built);
  ASSERT_FALSE(built->engine->layers().empty());
  std::string plan = (std::filesystem::temp_directory_path() / "engine_options_test.kplan").string();
  ASSERT_TRUE(built->engine->save(plan));
  auto loaded = open_engine(EngineSource{plan, {}}, config);
  ASSERT_TRUE(loaded) << loaded.status().message();
  EXPECT_FALSE(loaded->built);
  EXPECT_EQ(loaded->engine->layers().size(), built->engine->layers().size());
  std::filesystem::remove(plan);
  auto missing = open_engine(EngineSource{"/nonexistent/m.kplan", {}}, config);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.status().message().find("/nonexistent/m.kplan"), std::string::npos);
}

TEST(HumanBytes, PicksAUnit) {
  EXPECT_EQ(human_bytes(512), "512 B");
  EXPECT_EQ(human_bytes(1536), "1.50 KiB");
  EXPECT_EQ(human_bytes(3.0 * (1 << 20)), "3.00 MiB");
}

}  // namespace
}  // namespace kiln::cli
