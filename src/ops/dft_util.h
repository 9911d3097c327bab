// The plain O(n^2) discrete Fourier transform shared by DFT and STFT, in double precision.
#pragma once

#include <complex>
#include <numbers>
#include <vector>

namespace kiln::ops {

/// exp(-+2 pi i m / n) for m in [0, n): the n-th roots of unity, conjugated for the forward transform.
inline std::vector<std::complex<double>> dft_twiddles(int64_t n, bool inverse) {
  std::vector<std::complex<double>> w(static_cast<size_t>(n));
  const double sign = inverse ? 1.0 : -1.0;
  for (int64_t m = 0; m < n; ++m) {
    const double angle = sign * 2 * std::numbers::pi * static_cast<double>(m) / static_cast<double>(n);
    w[m] = {std::cos(angle), std::sin(angle)};
  }
  return w;
}

/// y[k] = scale * sum_j x[j] w[(j k) mod n] for k < y.size(), where x holds at most n values
/// (the rest are zero) and w = dft_twiddles(n, ...).
inline void dft_row(const std::vector<std::complex<double>>& x, const std::vector<std::complex<double>>& w,
                    double scale, std::vector<std::complex<double>>& y) {
  const int64_t n = static_cast<int64_t>(w.size());
  const int64_t len = std::min<int64_t>(static_cast<int64_t>(x.size()), n);
  for (size_t k = 0; k < y.size(); ++k) {
    std::complex<double> acc = 0;
    int64_t m = 0;  // (j * k) mod n, kept incrementally
    for (int64_t j = 0; j < len; ++j) {
      acc += x[j] * w[m];
      m += static_cast<int64_t>(k);
      if (m >= n) m %= n;
    }
    y[k] = acc * scale;
  }
}

}  // namespace kiln::ops
