// Statistics shared by the normalisation ops (InstanceNormalization, LayerNormalization,
// GroupNormalization, MeanVarianceNormalization).
#pragma once

#include <cstdint>

namespace kiln::ops {

/// Mean and population variance of x[0..n), two-pass in Acc (exact enough for reference kernels).
template <typename Acc, typename T>
void mean_and_variance(const T* x, int64_t n, Acc& mean, Acc& variance) {
  Acc sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<Acc>(x[i]);
  mean = n > 0 ? sum / static_cast<Acc>(n) : Acc(0);
  Acc sq = 0;
  for (int64_t i = 0; i < n; ++i) {
    const Acc d = static_cast<Acc>(x[i]) - mean;
    sq += d * d;
  }
  variance = n > 0 ? sq / static_cast<Acc>(n) : Acc(0);
}

}  // namespace kiln::ops
