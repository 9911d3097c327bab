// Plain C++ resize kernels: the fallback for CPUs without AVX2, and the oracle the SIMD ones are
// tested against (they must agree bit for bit).
#include "vision/resize_kernels.h"

namespace kiln::vision::detail {
namespace {

void hresize(const uint8_t* row, const HResizeArgs& t, int16_t* h0, int16_t* h1, int16_t* h2) {
  for (int x = 0; x < t.dst_width; ++x) {
    h0[x] = hresize_one(row, t.xofs0[x], t.xofs1[x], t.alpha[x], 0);
    h1[x] = hresize_one(row, t.xofs0[x], t.xofs1[x], t.alpha[x], 1);
    h2[x] = hresize_one(row, t.xofs0[x], t.xofs1[x], t.alpha[x], 2);
  }
}

void vresize(const int16_t* upper, const int16_t* lower, int16_t b0, int16_t b1, int n, float k, float m,
             float* out) {
  for (int x = 0; x < n; ++x) out[x] = static_cast<float>(vresize_one(upper[x], lower[x], b0, b1)) * k + m;
}

void fill(float* out, int n, float v) {
  for (int x = 0; x < n; ++x) out[x] = v;
}

}  // namespace

const ResizeKernels& scalar_kernels() {
  static const ResizeKernels k{"scalar", hresize, vresize, fill, nullptr, nullptr};
  return k;
}

}  // namespace kiln::vision::detail
