// The nearest-neighbour Resize tactic against the reference: up and down, integer and fractional
// scales, scales or sizes given, and the coordinate transformations and rounding modes ONNX has.
#include "tactic_test_util.h"

namespace kiln::testing {
namespace {

TEST(CpuResize, NearestModesScalesAndSizes) {
  struct Case {
    Shape in;
    std::vector<float> scales;
    std::vector<int64_t> sizes;
    std::string transform, rounding;
  };
  const std::vector<Case> cases = {
      {{1, 3, 5, 7}, {1, 1, 2, 2}, {}, "asymmetric", "floor"},
      {{2, 2, 5, 7}, {1, 1, 3, 1.5f}, {}, "half_pixel", "round_prefer_floor"},
      {{1, 4, 9, 8}, {1, 1, 0.5f, 0.75f}, {}, "asymmetric", "ceil"},
      {{1, 2, 6, 6}, {}, {1, 2, 13, 4}, "align_corners", "round_prefer_ceil"},
      {{1, 1, 3, 40}, {}, {1, 1, 7, 81}, "pytorch_half_pixel", "floor"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.transform + " " + c.rounding);
    OneNode t("Resize", "");
    t.node->opset = 13;
    t.input(random_f32(c.in, 1));
    t.absent();  // roi
    if (!c.scales.empty()) {
      Tensor s(DataType::kFloat32, {4});
      for (int i = 0; i < 4; ++i) s.data<float>()[i] = c.scales[i];
      t.constant(std::move(s));
    } else {
      t.absent();
      t.constant(Tensor::from_int64s({4}, c.sizes));
    }
    t.attr("mode", attr_s("nearest"));
    t.attr("coordinate_transformation_mode", attr_s(c.transform));
    t.attr("nearest_mode", attr_s(c.rounding));
    EXPECT_GT(check_tactics(t, 0, 0), 0);
  }
}

}  // namespace
}  // namespace kiln::testing
