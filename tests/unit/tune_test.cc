// Tuning with a timing cache: the first build times every layer (and the layout pass's blocked
// alternatives) and writes the file; a second build of the same model times nothing and makes
// every choice the same, layout included, even with each layer's timings listed in reverse.
#include <gtest/gtest.h>

#include <unistd.h>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cpu/amx.h"
#include "cpu/isa.h"
#include "cpu/tactic.h"
#include "kiln/engine.h"

namespace kiln {
namespace {

const std::filesystem::path kModels =
    std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() / ".cache/models";
// The model every test here builds: small, with 1x1, depthwise and strided convolutions.
const std::string kBlazeFace =
    (kModels / "blazeface/package/ONNX/face_detection_front_128x128_barracuda.onnx").string();

// A fresh timing cache in the temp folder, named for the test and this process.
std::filesystem::path fresh_cache(const std::string& name) {
  const std::filesystem::path cache =
      std::filesystem::temp_directory_path() / (name + "_" + std::to_string(getpid()) + ".cache");
  std::filesystem::remove(cache);
  return cache;
}

// A tuning build configuration that reads and writes `cache`.
BuilderConfig tuning_with(const std::filesystem::path& cache) {
  BuilderConfig cfg;
  cfg.tactics = "tune";
  cfg.timing_cache = cache.string();
  return cfg;
}

TEST(Tune, ASecondBuildWithTheTimingCacheTimesNothingAndChoosesTheSame) {
  if (cpu::host_isa() == cpu::Isa::kGeneric) GTEST_SKIP() << "no AVX2 on this CPU: nothing to time";
  const std::string model = kBlazeFace;
  if (!std::filesystem::exists(model)) GTEST_SKIP() << "no " << model << " (scripts/setup)";
  const std::filesystem::path cache = fresh_cache("kiln_tune_test");
  BuilderConfig cfg = tuning_with(cache);
  auto first = Builder::build_onnx(model, cfg);
  ASSERT_TRUE(first.has_value()) << first.status().message();
  EXPECT_GT((*first)->build_report().tuned_layers, 0);
  EXPECT_EQ((*first)->build_report().cache_hits, 0);
  ASSERT_TRUE(std::filesystem::exists(cache));
  auto second = Builder::build_onnx(model, cfg);
  ASSERT_TRUE(second.has_value()) << second.status().message();
  EXPECT_EQ((*second)->build_report().tuned_layers, 0);
  EXPECT_GT((*second)->build_report().cache_hits, 0);
  const auto &a = (*first)->layers(), &b = (*second)->layers();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].name, b[i].name) << i;
    EXPECT_EQ(a[i].op, b[i].op) << a[i].name;  // the same layout decisions
    EXPECT_EQ(a[i].tactic, b[i].tactic) << a[i].name;
  }
  // A cache written by hand or merged may list a layer's tactics in any order: reversed, the
  // fastest must still win (planar, where layers have several candidates: AVX-512 and AVX2
  // depthwise, GEMM tiles).
  cfg.layout = "planar";
  auto planar = Builder::build_onnx(model, cfg);
  ASSERT_TRUE(planar.has_value()) << planar.status().message();
  {
    std::ifstream in(cache);
    std::stringstream reversed;
    for (std::string line; std::getline(in, line);) {
      const size_t tab = line.find('\t');
      if (tab == std::string::npos) {
        reversed << line << '\n';
        continue;
      }
      std::vector<std::string> items;
      std::stringstream list(line.substr(tab + 1));
      for (std::string item; std::getline(list, item, ',');) items.push_back(item);
      reversed << line.substr(0, tab + 1);
      for (size_t i = items.size(); i-- > 0;) reversed << items[i] << (i ? "," : "");
      reversed << '\n';
    }
    in.close();
    std::ofstream(cache) << reversed.str();
  }
  auto third = Builder::build_onnx(model, cfg);
  ASSERT_TRUE(third.has_value()) << third.status().message();
  EXPECT_EQ((*third)->build_report().tuned_layers, 0);
  const auto &p = (*planar)->layers(), &c = (*third)->layers();
  ASSERT_EQ(p.size(), c.size());
  for (size_t i = 0; i < p.size(); ++i) EXPECT_EQ(p[i].tactic, c[i].tactic) << p[i].name;
  std::filesystem::remove(cache);
}

// A cache written by kernels of another revision (cpu::kKernelRevision) is not reused: its layers
// miss and are timed again, and the file then holds the current revision's timings too.
TEST(Tune, ACacheOfAnotherKernelRevisionIsTimedAgain) {
  if (cpu::host_isa() == cpu::Isa::kGeneric) GTEST_SKIP() << "no AVX2 on this CPU: nothing to time";
  const std::string model = kBlazeFace;
  if (!std::filesystem::exists(model)) GTEST_SKIP() << "no " << model << " (scripts/setup)";
  const std::filesystem::path cache = fresh_cache("kiln_revision_test");
  const BuilderConfig cfg = tuning_with(cache);
  auto first = Builder::build_onnx(model, cfg);
  ASSERT_TRUE(first.has_value()) << first.status().message();
  const std::string now = "|r" + std::to_string(cpu::kKernelRevision) + "\t";
  const std::string old = "|r" + std::to_string(cpu::kKernelRevision - 1) + "\t";
  {
    std::ifstream in(cache);
    std::stringstream aged;
    int lines = 0;
    for (std::string line; std::getline(in, line);) {
      const size_t at = line.find(now);
      ASSERT_NE(at, std::string::npos) << "a key without the kernel revision: " << line;
      aged << line.replace(at, now.size(), old) << '\n';
      ++lines;
    }
    ASSERT_GT(lines, 0);
    in.close();
    std::ofstream(cache) << aged.str();
  }
  auto second = Builder::build_onnx(model, cfg);
  ASSERT_TRUE(second.has_value()) << second.status().message();
  EXPECT_EQ((*second)->build_report().cache_hits, 0);
  EXPECT_GT((*second)->build_report().tuned_layers, 0);
  auto third = Builder::build_onnx(model, cfg);
  ASSERT_TRUE(third.has_value()) << third.status().message();
  EXPECT_EQ((*third)->build_report().tuned_layers, 0);
  std::filesystem::remove(cache);
}

// --fp32-math: strict builds never take a bf16x3 tactic, not even from a timing cache whose
// fastest entries are bf16x3 ones; bf16x3 builds take them where AMX is usable.
TEST(Tune, Fp32MathDecidesWhetherBf16x3TacticsAreCandidates) {
  if (cpu::host_isa() == cpu::Isa::kGeneric) GTEST_SKIP() << "no AVX2 on this CPU: nothing to time";
  const std::string model = kBlazeFace;
  if (!std::filesystem::exists(model)) GTEST_SKIP() << "no " << model << " (scripts/setup)";
  auto count_bf16x3 = [](const Engine& e) {
    int n = 0;
    for (const auto& layer : e.layers()) n += layer.tactic.find("bf16x3") != std::string::npos;
    return n;
  };
  BuilderConfig cfg;
  cfg.fp32_math = "fp16";
  EXPECT_FALSE(Builder::build_onnx(model, cfg).has_value());
  cfg.tactics = "heuristic";
  cfg.fp32_math = "bf16x3";
  auto heuristic = Builder::build_onnx(model, cfg);
  ASSERT_TRUE(heuristic.has_value()) << heuristic.status().message();
  if (cpu::amx_usable()) {
    EXPECT_GT(count_bf16x3(**heuristic), 0);
  } else {
    EXPECT_EQ(count_bf16x3(**heuristic), 0);
  }
  const std::filesystem::path cache = fresh_cache("kiln_fp32_math_test");
  cfg.tactics = "tune";
  cfg.timing_cache = cache.string();
  auto tuned = Builder::build_onnx(model, cfg);
  ASSERT_TRUE(tuned.has_value()) << tuned.status().message();
  cfg.fp32_math = "strict";
  auto strict = Builder::build_onnx(model, cfg);
  ASSERT_TRUE(strict.has_value()) << strict.status().message();
  EXPECT_EQ(count_bf16x3(**strict), 0);
  std::filesystem::remove(cache);
}

// Rewrites every timing-cache line that times a bf16x3 tactic: each one's time becomes `share` of
// the line's fastest exact tactic.
void set_bf16x3_share(const std::filesystem::path& cache, double share) {
  std::ifstream in(cache);
  std::stringstream out;
  for (std::string line; std::getline(in, line);) {
    const size_t tab = line.find('\t');
    if (tab == std::string::npos || line.find("bf16x3") == std::string::npos) {
      out << line << '\n';
      continue;
    }
    std::vector<std::pair<std::string, double>> items;
    std::stringstream list(line.substr(tab + 1));
    double exact = 1e300;
    for (std::string item; std::getline(list, item, ',');) {
      const size_t eq = item.rfind('=');
      items.emplace_back(item.substr(0, eq), std::stod(item.substr(eq + 1)));
      if (item.find("bf16x3") == std::string::npos) exact = std::min(exact, items.back().second);
    }
    out << line.substr(0, tab + 1);
    for (size_t i = 0; i < items.size(); ++i) {
      const bool rounded = items[i].first.find("bf16x3") != std::string::npos;
      out << (i ? "," : "") << items[i].first << '=' << (rounded ? share * exact : items[i].second);
    }
    out << '\n';
  }
  in.close();
  std::ofstream(cache) << out.str();
}

// A bf16x3 tactic takes a layer only where it is at least 10% faster than the fastest exact one.
TEST(Tune, Bf16x3TacticsWinOnlyByAMargin) {
  if (!cpu::amx_usable()) GTEST_SKIP() << "no AMX-BF16 here: no bf16x3 tactic";
  const std::string model = kBlazeFace;
  if (!std::filesystem::exists(model)) GTEST_SKIP() << "no " << model << " (scripts/setup)";
  const std::filesystem::path cache = fresh_cache("kiln_bf16x3_margin");
  BuilderConfig cfg;
  cfg.fp32_math = "bf16x3";
  cfg.timing_cache = cache.string();
  ASSERT_TRUE(Builder::build_onnx(model, cfg).has_value());
  auto count_bf16x3 = [&](double share) {
    set_bf16x3_share(cache, share);
    auto e = Builder::build_onnx(model, cfg);
    EXPECT_TRUE(e.has_value()) << e.status().message();
    if (!e.has_value()) return -1;
    int n = 0;
    for (const auto& layer : (*e)->layers()) n += layer.tactic.find("bf16x3") != std::string::npos;
    return n;
  };
  EXPECT_EQ(count_bf16x3(0.95), 0);
  EXPECT_GT(count_bf16x3(0.85), 0);
  std::filesystem::remove(cache);
}

}  // namespace
}  // namespace kiln
