#include <gtest/gtest.h>

#include "../../tools/options.h"

namespace kiln::cli {
namespace {

TEST(Options, ParsesShapesWithColonsInNames) {
  std::map<std::string, Shape> s;
  ASSERT_TRUE(parse_shapes("x:1x3x640x640,input:0:1x128x128x3", s));
  EXPECT_EQ(s["x"], (Shape{1, 3, 640, 640}));
  EXPECT_EQ(s["input:0"], (Shape{1, 128, 128, 3}));
}

TEST(Options, RejectsBadShapes) {
  std::map<std::string, Shape> s;
  EXPECT_FALSE(parse_shapes("x", s));
  EXPECT_FALSE(parse_shapes("x:1x-3", s));
  EXPECT_FALSE(parse_shapes("x:1xx3", s));
  EXPECT_FALSE(parse_shapes("x:0x3", s));
  std::map<std::string, Shape> twice;
  EXPECT_FALSE(parse_shapes("x:1,x:2", twice));
}

TEST(Options, ParsesInputBinding) {
  std::string name, file;
  ASSERT_TRUE(parse_input_binding("input:0=/tmp/a=b.npy", name, file));
  EXPECT_EQ(name, "input:0");
  EXPECT_EQ(file, "/tmp/a=b.npy");
  EXPECT_FALSE(parse_input_binding("noequals", name, file));
}

}  // namespace
}  // namespace kiln::cli
