#include "cpu/kernels/blocked_winograd.h"

#include <algorithm>
#include <vector>

#include "cpu/kernels/winograd_math.h"

namespace kiln::cpu {

const BlockedWinogradKernel* blocked_winograd_kernel(Isa isa) {
  return by_isa(isa, blocked_winograd_kernel_avx512, blocked_winograd_kernel_avx2);
}

bool blocked_winograd_supports(const Conv2dShape& s) {
  return s.group == 1 && s.kh == 3 && s.kw == 3 && s.sh == 1 && s.sw == 1 && s.dh == 1 && s.dw == 1;
}

namespace winograd_detail {

Conv2dShape product_shape(const Conv2dShape& s, int64_t tiles) {
  Conv2dShape p;
  p.batch = 1;
  p.in_c = s.in_c;
  p.out_c = s.out_c;
  p.in_h = p.out_h = 1;
  p.in_w = p.out_w = tiles;
  return p;
}

int64_t band_rows(const BlockedConvKernel& k, const Conv2dShape& s, int m) {
  const int64_t b = k.block, tw = (s.out_w + m - 1) / m, th = (s.out_h + m - 1) / m, p = (m + 2) * (m + 2);
  // V and M of a band in ~2 MB (L2), but at least ~96 tiles: every band streams all the transformed
  // filters once, so a deep layer's bands must not be too thin (then V and M live in L3).
  const int64_t per_tile = p * ((s.in_c + b - 1) / b + (s.out_c + b - 1) / b) * b * int64_t{sizeof(float)};
  const int64_t rows = std::max((int64_t{1} << 21) / (per_tile * tw), (96 + tw - 1) / tw);
  return std::clamp<int64_t>(rows, 1, th);
}

}  // namespace winograd_detail

int64_t blocked_winograd_packed_floats(const BlockedConvKernel& k, const Conv2dShape& s, int m) {
  const int64_t b = k.block;
  return (m + 2) * (m + 2) * blocked_direct_packed_floats(k, winograd_detail::product_shape(s, 1), false) +
         (s.out_c + b - 1) / b * b;
}

namespace {

// U = G g G^T for every filter, in double, as A*A [out][in] matrices.
template <int M>
std::vector<float> transformed_filters(const Conv2dShape& s, const float* w) {
  using Mx = winograd::Matrices<M>;
  constexpr int A = Mx::kAlpha;
  std::vector<float> u(static_cast<size_t>(A * A * s.out_c * s.in_c));
  for (int64_t co = 0; co < s.out_c; ++co)
    for (int64_t ci = 0; ci < s.in_c; ++ci) {
      const float* g = w + (co * s.in_c + ci) * 9;
      double t[A][3];
      for (int i = 0; i < A; ++i)
        for (int j = 0; j < 3; ++j) {
          t[i][j] = 0;
          for (int r = 0; r < 3; ++r) t[i][j] += double(Mx::G[i][r]) * g[r * 3 + j];
        }
      for (int i = 0; i < A; ++i)
        for (int j = 0; j < A; ++j) {
          double v = 0;
          for (int c = 0; c < 3; ++c) v += t[i][c] * double(Mx::G[j][c]);
          u[static_cast<size_t>(((i * A + j) * s.out_c + co) * s.in_c + ci)] = static_cast<float>(v);
        }
    }
  return u;
}

}  // namespace

void blocked_winograd_pack(const BlockedConvKernel& k, const Conv2dShape& s, int m, const float* w,
                           const float* bias, float* packed) {
  const Conv2dShape p = winograd_detail::product_shape(s, 1);
  const int64_t per_xi = blocked_direct_packed_floats(k, p, false), products = (m + 2) * (m + 2);
  const std::vector<float> u = m == 2 ? transformed_filters<2>(s, w) : transformed_filters<4>(s, w);
  for (int64_t xi = 0; xi < products; ++xi)
    blocked_direct_pack(k, p, false, u.data() + xi * s.out_c * s.in_c, nullptr, packed + xi * per_xi);
  const int64_t b = k.block;
  float* pb = packed + products * per_xi;
  for (int64_t oc = 0; oc < (s.out_c + b - 1) / b * b; ++oc) pb[oc] = bias && oc < s.out_c ? bias[oc] : 0.0f;
}

int64_t blocked_winograd_scratch_floats(const BlockedConvKernel& k, const Conv2dShape& s, int m) {
  const int64_t b = k.block, tw = (s.out_w + m - 1) / m;
  const int64_t tiles = winograd_detail::band_rows(k, s, m) * tw;
  return (m + 2) * (m + 2) * tiles * ((s.in_c + b - 1) / b + (s.out_c + b - 1) / b) * b;
}

}  // namespace kiln::cpu
