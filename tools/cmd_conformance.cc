// kiln conformance [--suite DIR]... [--filter REGEX] [--json FILE] [--expected FILE]
// Runs the ONNX backend test suites (model.onnx + test_data_set_*/{input,output}_N.pb) through
// the reference runtime and compares outputs as ONNX's backend tests do (rtol 1e-3, atol 1e-7).
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <regex>
#include <set>

#include <nlohmann/json.hpp>

#include "command.h"
#include "onnx/importer.h"

namespace kiln::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* kDefaultRoot = "/usr/share/libonnx-testdata/data";
constexpr const char* kDefaultSuites[] = {"node", "simple", "pytorch-converted", "pytorch-operator"};

struct ConformanceOptions {
  std::vector<std::string> suites;
  std::string filter;
  std::string json;
  std::string expected;
  std::string write_expected;
  bool verbose = false;
};

enum class Outcome { kPass, kFail, kSkip };

struct Result {
  std::string suite, test;
  Outcome outcome = Outcome::kFail;
  std::string reason;
  double ms = 0;
};

// Element-wise comparison as numpy.testing.assert_allclose(rtol=1e-3, atol=1e-7) in ONNX's runner,
// with NaNs equal to NaNs; integers and bools must match exactly.
std::string compare(const Tensor& got, const Tensor& want, const std::string& name) {
  if (got.dtype() != want.dtype()) {
    return "output '" + name + "': dtype " + dtype_name(got.dtype()) + ", expected " + dtype_name(want.dtype());
  }
  if (got.shape() != want.shape()) {
    return "output '" + name + "': shape " + shape_str(got.shape()) + ", expected " + shape_str(want.shape());
  }
  const bool is_float = dtype_is_float(got.dtype());
  int64_t bad = 0, first = -1;
  double worst = 0;
  for (int64_t i = 0; i < got.numel(); ++i) {
    double a = got.as_double(i), b = want.as_double(i);
    bool ok;
    if (is_float) {
      if (std::isnan(a) || std::isnan(b)) ok = std::isnan(a) && std::isnan(b);
      else if (std::isinf(a) || std::isinf(b)) ok = a == b;
      else ok = std::fabs(a - b) <= 1e-7 + 1e-3 * std::fabs(b);
    } else {
      ok = got.as_int64(i) == want.as_int64(i);
    }
    if (!ok) {
      if (first < 0) first = i;
      ++bad;
      if (std::isfinite(a - b)) worst = std::max(worst, std::fabs(a - b));
    }
  }
  if (bad == 0) return {};
  return "output '" + name + "': " + std::to_string(bad) + " of " + std::to_string(got.numel()) +
         " elements differ (first at " + std::to_string(first) + ": got " + std::to_string(got.as_double(first)) +
         ", expected " + std::to_string(want.as_double(first)) + "; max abs diff " + std::to_string(worst) + ")";
}

std::vector<fs::path> sorted_files(const fs::path& dir, const std::string& prefix) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::string n = e.path().filename().string();
    if (n.rfind(prefix, 0) == 0 && e.path().extension() == ".pb") files.push_back(e.path());
  }
  // input_10.pb sorts after input_9.pb
  std::sort(files.begin(), files.end(), [&](const fs::path& a, const fs::path& b) {
    auto num = [&](const fs::path& p) { return std::atoi(p.stem().string().substr(prefix.size()).c_str()); };
    return num(a) < num(b);
  });
  return files;
}

Result run_test(const std::string& suite, const fs::path& dir) {
  Result r{suite, dir.filename().string()};
  fs::path model_path = dir / "model.onnx";
  if (std::string why = onnx_import::interface_limitation(model_path.string()); !why.empty()) {
    r.outcome = Outcome::kSkip;
    r.reason = why + " (kiln models tensors of numeric types only)";
    return r;
  }
  auto model = Model::load_onnx(model_path.string());
  if (!model) {
    r.reason = "import: " + model.status().message();
    return r;
  }
  std::vector<fs::path> sets;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_directory() && e.path().filename().string().rfind("test_data_set_", 0) == 0) sets.push_back(e.path());
  std::sort(sets.begin(), sets.end());
  if (sets.empty()) {
    r.outcome = Outcome::kSkip;
    r.reason = "no test_data_set_* folder";
    return r;
  }
  for (const fs::path& set : sets) {
    std::vector<NamedTensor> inputs;
    auto in_files = sorted_files(set, "input_");
    if (in_files.size() > model->inputs().size()) {
      r.reason = "test data has more inputs than the model";
      return r;
    }
    for (size_t i = 0; i < in_files.size(); ++i) {
      auto t = onnx_import::read_tensor_pb(in_files[i].string());
      if (!t) {
        r.reason = "input: " + t.status().message();
        return r;
      }
      inputs.push_back({model->inputs()[i].name, std::move(t->tensor)});
    }
    auto outputs = model->run(inputs, {.check_shapes = true});
    if (!outputs) {
      r.reason = "run: " + outputs.status().message();
      return r;
    }
    auto out_files = sorted_files(set, "output_");
    if (out_files.size() != outputs->size()) {
      r.reason = "model produced " + std::to_string(outputs->size()) + " outputs, test expects " +
                 std::to_string(out_files.size());
      return r;
    }
    for (size_t i = 0; i < out_files.size(); ++i) {
      auto want = onnx_import::read_tensor_pb(out_files[i].string());
      if (!want) {
        r.reason = "expected output: " + want.status().message();
        return r;
      }
      if (std::string diff = compare((*outputs)[i].tensor, want->tensor, (*outputs)[i].name); !diff.empty()) {
        r.reason = diff;
        return r;
      }
    }
  }
  r.outcome = Outcome::kPass;
  return r;
}

std::set<std::string> read_list(const std::string& path) {
  std::set<std::string> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    out.insert(line);
  }
  return out;
}

int run_conformance(const ConformanceOptions& o) {
  std::vector<std::string> suites = o.suites;
  if (suites.empty())
    for (const char* s : kDefaultSuites) suites.push_back(std::string(kDefaultRoot) + "/" + s);
  std::regex filter;
  try {
    filter = std::regex(o.filter.empty() ? ".*" : o.filter);
  } catch (const std::regex_error& e) {
    std::cerr << "kiln conformance: --filter '" << o.filter << "' is not a valid regular expression\n";
    return 2;
  }
  std::vector<Result> results;
  std::map<std::string, std::array<int, 3>> counts;
  for (const std::string& suite_dir : suites) {
    std::error_code ec;
    if (!fs::is_directory(suite_dir, ec)) {
      std::cerr << "kiln conformance: suite folder '" << suite_dir
                << "' not found (install libonnx-testdata: scripts/setup)\n";
      return 2;
    }
    std::string suite = fs::path(suite_dir).filename().string();
    std::vector<fs::path> tests;
    for (const auto& e : fs::directory_iterator(suite_dir, ec))
      if (e.is_directory() && fs::exists(e.path() / "model.onnx")) tests.push_back(e.path());
    std::sort(tests.begin(), tests.end());
    auto& c = counts[suite];
    for (const fs::path& t : tests) {
      std::string name = t.filename().string();
      if (!std::regex_search(name, filter)) continue;
      auto t0 = std::chrono::steady_clock::now();
      Result r;
      try {
        r = run_test(suite, t);
      } catch (const std::exception& e) {
        r = Result{suite, name, Outcome::kFail, std::string("exception: ") + e.what()};
      }
      r.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      c[static_cast<int>(r.outcome)]++;
      if (o.verbose && r.outcome != Outcome::kPass) {
        std::cout << (r.outcome == Outcome::kFail ? "FAIL " : "SKIP ") << suite << "/" << name << ": " << r.reason << "\n";
      }
      results.push_back(std::move(r));
    }
  }
  int passed = 0, failed = 0, skipped = 0;
  for (const auto& [suite, c] : counts) {
    std::cout << suite << ": " << c[0] << " passed, " << c[1] << " failed, " << c[2] << " skipped\n";
    passed += c[0];
    failed += c[1];
    skipped += c[2];
  }
  int exit_code = 0;
  if (!o.expected.empty()) {
    std::set<std::string> expected = read_list(o.expected);
    if (expected.empty()) {
      std::cerr << "kiln conformance: expected-pass list '" << o.expected << "' is missing or empty\n";
      return 2;
    }
    std::vector<std::string> regressions, newly;
    for (const auto& r : results) {
      std::string key = r.suite + "/" + r.test;
      bool exp = expected.count(key) != 0;
      if (exp && r.outcome != Outcome::kPass) regressions.push_back(key + ": " + r.reason);
      if (!exp && r.outcome == Outcome::kPass) newly.push_back(key);
    }
    for (const auto& k : regressions) std::cout << "REGRESSION " << k << "\n";
    for (const auto& k : newly) std::cout << "NEWLY PASSING (add it to " << o.expected << ") " << k << "\n";
    if (!regressions.empty()) exit_code = 1;
  }
  if (!o.write_expected.empty()) {
    std::ofstream out(o.write_expected);
    out << "# ONNX backend tests kiln is expected to pass (suite/test). Regenerate with\n"
        << "# kiln conformance --write-expected FILE; the test suite fails when one of these fails.\n";
    for (const auto& r : results)
      if (r.outcome == Outcome::kPass) out << r.suite << "/" << r.test << "\n";
  }
  if (!o.json.empty()) {
    nlohmann::json j;
    for (const auto& [suite, c] : counts) j["suites"][suite] = {{"passed", c[0]}, {"failed", c[1]}, {"skipped", c[2]}};
    j["failures"] = nlohmann::json::array();
    j["skipped"] = nlohmann::json::array();
    for (const auto& r : results) {
      if (r.outcome == Outcome::kFail) j["failures"].push_back({{"suite", r.suite}, {"test", r.test}, {"reason", r.reason}});
      if (r.outcome == Outcome::kSkip) j["skipped"].push_back({{"suite", r.suite}, {"test", r.test}, {"reason", r.reason}});
    }
    j["passed"] = passed;
    j["failed"] = failed;
    j["skipped_count"] = skipped;
    std::ofstream out(o.json);
    out << j.dump(2) << "\n";
    if (!out) {
      std::cerr << "kiln conformance: cannot write '" << o.json << "'\n";
      return 1;
    }
  }
  std::cout << passed << " passed, " << failed << " failed, " << skipped << " skipped\n";
  return exit_code;
}

}  // namespace

KILN_REGISTER_COMMAND({"conformance", "Run the ONNX backend conformance suites", [](CLI::App& app) {
                         auto o = std::make_shared<ConformanceOptions>();
                         app.add_option("--suite", o->suites, "Suite folder (repeatable); default: the four suites of "
                                                              "libonnx-testdata");
                         app.add_option("--filter", o->filter, "Only tests whose name matches this regex");
                         app.add_option("--json", o->json, "Write counts and each failure with its reason as JSON");
                         app.add_option("--expected", o->expected,
                                        "Expected-to-pass list: exit 1 when one of them fails; report new passes");
                         app.add_option("--write-expected", o->write_expected, "Write the passing tests as a list");
                         app.add_flag("--verbose,-v", o->verbose, "Print each failure and skip with its reason");
                         return std::function<int()>([o] { return run_conformance(*o); });
                       }});

}  // namespace kiln::cli
