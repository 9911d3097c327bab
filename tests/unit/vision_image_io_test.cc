// Image files: round trips, and every kind of bad file gives an error that names it.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "vision/draw.h"
#include "vision/image_io.h"

namespace kiln::vision {
namespace {

namespace fs = std::filesystem;

class VisionImageIo : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("kiln_vision_io_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  void write_bytes(const std::string& name, const std::string& bytes) const {
    std::ofstream(path(name), std::ios::binary) << bytes;
  }
  std::string read_bytes(const std::string& name) const {
    std::ifstream in(path(name), std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  static Image pattern() {
    Image img(17, 9, 3);
    for (size_t i = 0; i < img.pixels.size(); ++i) img.pixels[i] = static_cast<uint8_t>(i * 7);
    return img;
  }
  void expect_error(const std::string& name, const std::string& words) const {
    auto r = read_image(path(name));
    ASSERT_FALSE(r) << name;
    EXPECT_NE(r.status().message().find(path(name)), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find(words), std::string::npos) << r.status().message();
  }
  fs::path dir_;
};

TEST_F(VisionImageIo, PngRoundTripIsExact) {
  ASSERT_TRUE(write_image(path("a.png"), pattern()));
  auto back = read_image(path("a.png"));
  ASSERT_TRUE(back) << back.status().message();
  EXPECT_EQ(back->width, 17);
  EXPECT_EQ(back->pixels, pattern().pixels);
  ASSERT_TRUE(write_image(path("a.jpg"), pattern()));
  auto jpg = read_image(path("a.jpg"));
  ASSERT_TRUE(jpg);
  EXPECT_EQ(jpg->height, 9);
  EXPECT_FALSE(write_image(path("a.tiff"), pattern()));
}

TEST_F(VisionImageIo, BadFilesNameThemselves) {
  expect_error("missing.png", "no such file");
  write_bytes("empty.jpg", "");
  expect_error("empty.jpg", "empty");
  write_bytes("notes.txt", "person\nbicycle\ncar\n");
  expect_error("notes.txt", "not a readable image");
  ASSERT_TRUE(write_image(path("full.jpg"), pattern()));
  const std::string jpg = read_bytes("full.jpg");
  write_bytes("cut.jpg", jpg.substr(0, jpg.size() / 2));
  expect_error("cut.jpg", "truncated");
  ASSERT_TRUE(write_image(path("full.png"), pattern()));
  const std::string png = read_bytes("full.png");
  write_bytes("cut.png", png.substr(0, png.size() - 20));
  expect_error("cut.png", "truncated");
  // A PNG header that claims a 0 x 0 image.
  write_bytes("zero.png", png.substr(0, 16) + std::string(8, '\0') + png.substr(24));
  auto zero = read_image(path("zero.png"));
  ASSERT_FALSE(zero);
  EXPECT_NE(zero.status().message().find("zero.png"), std::string::npos);
}

TEST_F(VisionImageIo, ListsFilesOrOneFile) {
  write_bytes("b.png", "x");
  write_bytes("a.txt", "x");
  fs::create_directories(dir_ / "sub");
  auto all = list_images(dir_.string());
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ(fs::path((*all)[0]).filename(), "a.txt");
  auto one = list_images(path("b.png"));
  ASSERT_TRUE(one);
  EXPECT_EQ(one->size(), 1u);
  EXPECT_FALSE(list_images(path("nothing")));
}

TEST(VisionDraw, BoxesAndTextStayInside) {
  Image img(20, 10, 3);
  draw_box(img, -5, -5, 30, 30, Rgb{255, 0, 0});  // clipped: only the parts inside are drawn
  EXPECT_EQ(img.row(0)[0], 0);                    // the box's top edge is outside
  draw_box(img, 2, 2, 8, 6, Rgb{0, 255, 0}, 1);
  EXPECT_EQ(img.row(2)[5 * 3 + 1], 255);
  EXPECT_EQ(img.row(4)[5 * 3 + 1], 0);  // inside the outline stays untouched
  EXPECT_GT(draw_text(img, 1, 1, "dog 0.9", Rgb{255, 255, 255}), 0);
  draw_label(img, 15, 0, "a long label that runs off", Rgb{10, 10, 10});
}

}  // namespace
}  // namespace kiln::vision
