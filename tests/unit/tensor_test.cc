#include <gtest/gtest.h>

#include <cmath>

#include "core/half.h"
#include "kiln/tensor.h"

namespace kiln {

TEST(Half, RoundTripsAndRoundsToNearestEven) {
  EXPECT_EQ(float_to_f16_bits(1.0f), 0x3c00);
  EXPECT_EQ(float_to_f16_bits(-2.0f), 0xc000);
  EXPECT_EQ(float_to_f16_bits(65504.0f), 0x7bff);
  EXPECT_EQ(float_to_f16_bits(65520.0f), 0x7c00);           // overflows to inf
  EXPECT_EQ(float_to_f16_bits(std::ldexp(1.0f, -24)), 0x0001);  // smallest subnormal
  EXPECT_EQ(float_to_f16_bits(std::ldexp(1.0f, -25)), 0x0000);  // tie rounds to even (0)
  EXPECT_EQ(float_to_f16_bits(std::ldexp(3.0f, -25)), 0x0002);  // 1.5 ulp rounds to 2
  EXPECT_EQ(float_to_f16_bits(1.0f + std::ldexp(1.0f, -11)), 0x3c00);  // tie to even
  EXPECT_EQ(float_to_f16_bits(1.0f + std::ldexp(3.0f, -11)), 0x3c02);
  EXPECT_FLOAT_EQ(f16_bits_to_float(0x0001), std::ldexp(1.0f, -24));
  EXPECT_FLOAT_EQ(f16_bits_to_float(0x3555), 0.333251953125f);
  EXPECT_TRUE(std::isnan(f16_bits_to_float(float_to_f16_bits(NAN))));
  EXPECT_EQ(float_to_bf16_bits(1.0f), 0x3f80);
  EXPECT_FLOAT_EQ(bf16_bits_to_float(float_to_bf16_bits(3.140625f)), 3.140625f);
}

TEST(Tensor, CastTruncatesTowardZeroAndMapsToBool) {
  Tensor t = Tensor::from_floats({4}, {-1.7f, 0.0f, 2.9f, 0.5f});
  Tensor i = t.cast(DataType::kInt32);
  EXPECT_EQ(i.data<int32_t>()[0], -1);
  EXPECT_EQ(i.data<int32_t>()[2], 2);
  Tensor b = t.cast(DataType::kBool);
  EXPECT_EQ(b.data<bool>()[0], true);
  EXPECT_EQ(b.data<bool>()[1], false);
  EXPECT_EQ(b.data<bool>()[3], true);
}

TEST(Tensor, ShapeStrAndNumel) {
  EXPECT_EQ(shape_str({1, 3, 224, 224}), "1x3x224x224");
  EXPECT_EQ(shape_str({}), "scalar");
  EXPECT_EQ(shape_numel({}), 1);
  EXPECT_EQ(shape_numel({2, 0, 3}), 0);
}

}  // namespace kiln
