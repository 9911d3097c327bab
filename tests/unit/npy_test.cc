#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/npy.h"

namespace kiln {
namespace {

TEST(Npy, RoundTripsShapesAndTypes) {
  auto dir = std::filesystem::temp_directory_path() / "kiln_npy_test";
  std::filesystem::create_directories(dir);
  for (Shape shape : {Shape{}, Shape{5}, Shape{2, 3, 4}}) {
    Tensor t(DataType::kInt64, shape);
    for (int64_t i = 0; i < t.numel(); ++i) t.data<int64_t>()[i] = i * 7 - 3;
    std::string p = (dir / "a.npy").string();
    ASSERT_TRUE(write_npy(p, t));
    auto r = read_npy(p);
    ASSERT_TRUE(r) << r.status().message();
    EXPECT_EQ(r->shape(), shape);
    EXPECT_EQ(r->dtype(), DataType::kInt64);
    for (int64_t i = 0; i < t.numel(); ++i) EXPECT_EQ(r->data<int64_t>()[i], i * 7 - 3);
  }
}

TEST(Npy, TruncatedFileIsAClearError) {
  auto dir = std::filesystem::temp_directory_path() / "kiln_npy_test";
  std::filesystem::create_directories(dir);
  std::string p = (dir / "b.npy").string();
  Tensor t(DataType::kFloat32, {4, 4});
  ASSERT_TRUE(write_npy(p, t));
  std::filesystem::resize_file(p, std::filesystem::file_size(p) - 10);
  auto r = read_npy(p);
  ASSERT_FALSE(r);
  EXPECT_NE(r.status().message().find("needs 64"), std::string::npos) << r.status().message();
  std::ofstream(p) << "garbage";
  auto g = read_npy(p);
  ASSERT_FALSE(g);
  EXPECT_NE(g.status().message().find("not a .npy"), std::string::npos);
}

}  // namespace
}  // namespace kiln
