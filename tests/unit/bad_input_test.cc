// Corrupted, truncated and non-ONNX models, and wrong shapes: each must give a clear error, never
// a crash. Built from a real conformance model so the bytes are realistic.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "kiln/kiln.h"
#include "onnx/importer.h"

namespace kiln {
namespace {

const char* kConvModel = "/usr/share/libonnx-testdata/data/node/test_conv_with_strides_padding/model.onnx";

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(BadInput, MissingFileNamesThePath) {
  auto m = Model::load_onnx("/nonexistent/model.onnx");
  ASSERT_FALSE(m);
  EXPECT_NE(m.status().message().find("/nonexistent/model.onnx"), std::string::npos);
}

TEST(BadInput, EmptyAndTextFilesAreNotOnnx) {
  auto e = onnx_import::import_bytes("", ".", "'empty.onnx'", {});
  ASSERT_FALSE(e);
  EXPECT_NE(e.status().message().find("empty"), std::string::npos);
  auto t = onnx_import::import_bytes("this is a text file, not a model\n", ".", "'a.txt'", {});
  ASSERT_FALSE(t);
  EXPECT_NE(t.status().message().find("'a.txt'"), std::string::npos);
}

TEST(BadInput, EveryTruncationIsAnErrorNotACrash) {
  std::string bytes = read_all(kConvModel);
  ASSERT_GT(bytes.size(), 100u);
  int errors = 0;
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto g = onnx_import::import_bytes(bytes.substr(0, n), ".", "'truncated'", {});
    if (!g) {
      ++errors;
      EXPECT_FALSE(g.status().message().empty());
    }
  }
  // Nearly every prefix is invalid; a few may parse as a smaller valid model.
  EXPECT_GT(errors, static_cast<int>(bytes.size() * 9 / 10));
}

TEST(BadInput, BitFlipsAreErrorsOrValidModelsNeverCrashes) {
  std::string bytes = read_all(kConvModel);
  std::mt19937 rng(7);
  for (int trial = 0; trial < 2000; ++trial) {
    std::string b = bytes;
    size_t at = rng() % b.size();
    b[at] = static_cast<char>(b[at] ^ (1 << (rng() % 8)));
    auto g = onnx_import::import_bytes(b, ".", "'flipped'", {});
    if (!g) EXPECT_FALSE(g.status().message().empty());
  }
}

TEST(BadInput, WrongShapesNameTheInput) {
  ImportOptions wrong_name;
  wrong_name.shapes["nope"] = {1, 1, 7, 5};
  auto a = Model::load_onnx(kConvModel, wrong_name);
  ASSERT_FALSE(a);
  EXPECT_NE(a.status().message().find("'nope'"), std::string::npos);
  EXPECT_NE(a.status().message().find("'x'"), std::string::npos);  // lists the real inputs

  ImportOptions wrong_rank;
  wrong_rank.shapes["x"] = {1, 7, 5};
  auto b = Model::load_onnx(kConvModel, wrong_rank);
  ASSERT_FALSE(b);
  EXPECT_NE(b.status().message().find("rank"), std::string::npos);

  ImportOptions conflicting;
  conflicting.shapes["x"] = {1, 1, 8, 5};
  auto c = Model::load_onnx(kConvModel, conflicting);
  ASSERT_FALSE(c);
  EXPECT_NE(c.status().message().find("conflicts"), std::string::npos);
}

TEST(BadInput, MisShapedInputTensorIsRejected) {
  auto m = Model::load_onnx(kConvModel);
  ASSERT_TRUE(m) << m.status().message();
  Tensor x(DataType::kFloat32, {1, 1, 6, 5});
  Tensor w(DataType::kFloat32, {1, 1, 3, 3});
  auto r = m->run({{"x", x}, {"W", w}});
  ASSERT_FALSE(r);
  EXPECT_NE(r.status().message().find("'x'"), std::string::npos);
  EXPECT_NE(r.status().message().find("1x1x7x5"), std::string::npos);

  Tensor xi(DataType::kInt32, {1, 1, 7, 5});
  auto r2 = m->run({{"x", xi}, {"W", w}});
  ASSERT_FALSE(r2);
  EXPECT_NE(r2.status().message().find("float32"), std::string::npos);

  auto r3 = m->run({{"W", w}});
  ASSERT_FALSE(r3);
  EXPECT_NE(r3.status().message().find("'x' is not given"), std::string::npos);
}

TEST(BadInput, UnsupportedOpsAreAllListedAtOnce) {
  // Rename two node op types in a real model to ops that do not exist.
  std::string bytes = read_all("/usr/share/libonnx-testdata/data/node/test_add/model.onnx");
  size_t at = bytes.find("Add");
  ASSERT_NE(at, std::string::npos);
  bytes.replace(at, 3, "Zzz");
  auto g = onnx_import::import_bytes(bytes, ".", "'m.onnx'", {});
  ASSERT_FALSE(g);
  EXPECT_NE(g.status().message().find("Zzz"), std::string::npos);
  EXPECT_NE(g.status().message().find("1 node(s)"), std::string::npos);
}

}  // namespace
}  // namespace kiln
