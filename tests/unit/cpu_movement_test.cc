// The Slice and Transpose copy tactics against the reference kernels, exactly (outputs poisoned
// first, 1 and 2 threads): contiguous, strided (YOLOX's Focus slices, steps of 2 and 3), reversed
// (negative steps: the table path) and gathered (a transpose's innermost axis) rows, starts and
// ends past the dims, ranks 1 to 5.
#include "tactic_test_util.h"

namespace kiln::testing {
namespace {

int check_slice(const Shape& shape, std::vector<int64_t> starts, std::vector<int64_t> ends,
                std::vector<int64_t> axes, std::vector<int64_t> steps) {
  OneNode t("Slice", "");
  t.input(random_f32(shape, 3));
  const int64_t n = static_cast<int64_t>(starts.size());
  t.constant(Tensor::from_int64s({n}, starts));
  t.constant(Tensor::from_int64s({n}, ends));
  t.constant(Tensor::from_int64s({n}, axes));
  t.constant(Tensor::from_int64s({n}, steps));
  return check_tactics(t, 0, 0);
}

int check_transpose(const Shape& shape, std::vector<int64_t> perm) {
  OneNode t("Transpose", "");
  t.input(random_f32(shape, 5));
  if (!perm.empty()) t.attr("perm", attr_ints(perm));
  return check_tactics(t, 0, 0);
}

TEST(CpuMovement, SliceRowsContiguousStridedAndReversed) {
  // YOLOX's Focus: every other row and column from offset 0 or 1.
  EXPECT_GT(check_slice({1, 3, 8, 10}, {0, 1}, {INT64_MAX, INT64_MAX}, {2, 3}, {2, 2}), 0);
  EXPECT_GT(check_slice({1, 3, 8, 10}, {1, 0}, {INT64_MAX, INT64_MAX}, {2, 3}, {2, 2}), 0);
  EXPECT_GT(check_slice({2, 5, 7}, {1, 2}, {4, 100}, {1, 2}, {1, 1}), 0);      // contiguous rows
  EXPECT_GT(check_slice({2, 5, 7}, {-1}, {-100}, {2}, {-1}), 0);               // reversed rows
  EXPECT_GT(check_slice({4, 9, 11}, {0, 10}, {4, 0}, {1, 2}, {3, -2}), 0);     // steps 3 and -2
  EXPECT_GT(check_slice({13}, {2}, {12}, {0}, {3}), 0);                        // rank 1
  EXPECT_GT(check_slice({2, 3, 4, 5, 6}, {1, 1}, {3, 5}, {1, 3}, {1, 2}), 0);  // rank 5
}

TEST(CpuMovement, TransposeEveryPermutationShape) {
  EXPECT_GT(check_transpose({1, 85, 40}, {0, 2, 1}), 0);  // YOLOX's head: [1, 85, N] -> [1, N, 85]
  EXPECT_GT(check_transpose({3, 17}, {}), 0);             // default: reversed
  EXPECT_GT(check_transpose({2, 3, 4, 5}, {3, 1, 0, 2}), 0);
  EXPECT_GT(check_transpose({2, 3, 4, 5}, {0, 1, 2, 3}), 0);  // identity: memcpy rows
  EXPECT_GT(check_transpose({2, 1, 3, 2, 4}, {4, 2, 0, 3, 1}), 0);
}

}  // namespace
}  // namespace kiln::testing
