#include "cpu/kernels/winograd.h"

#include "cpu/kernels/winograd_math.h"

namespace kiln::cpu {
namespace {

template <int M>
void pack_weights(const GemmUkernel& uk, const Conv2dShape& s, const float* w, float* packed) {
  using Mx = winograd::Matrices<M>;
  constexpr int A = Mx::kAlpha;
  const int64_t cout = s.out_c, cin = s.in_c;
  std::vector<float> u(static_cast<size_t>(A * A * cout * cin));
  for (int64_t co = 0; co < cout; ++co) {
    for (int64_t ci = 0; ci < cin; ++ci) {
      const float* g = w + (co * cin + ci) * 9;
      float t[A][3];  // G g
      for (int i = 0; i < A; ++i)
        for (int j = 0; j < 3; ++j)
          t[i][j] = Mx::G[i][0] * g[j] + Mx::G[i][1] * g[3 + j] + Mx::G[i][2] * g[6 + j];
      for (int i = 0; i < A; ++i)
        for (int j = 0; j < A; ++j) {
          const float v = t[i][0] * Mx::G[j][0] + t[i][1] * Mx::G[j][1] + t[i][2] * Mx::G[j][2];
          u[((i * A + j) * cout + co) * cin + ci] = v;
        }
    }
  }
  const int64_t per = round_up(cout, uk.mr) * cin;
  for (int xi = 0; xi < A * A; ++xi)
    pack_a(u.data() + xi * cout * cin, cin, cout, cin, uk.mr, packed + xi * per);
}

}  // namespace

bool winograd_applies(const Conv2dShape& s) {
  return s.kh == 3 && s.kw == 3 && s.sh == 1 && s.sw == 1 && s.dh == 1 && s.dw == 1 && s.group == 1;
}

int64_t winograd_packed_weights_floats(const GemmUkernel& uk, const Conv2dShape& s, int m) {
  const int64_t a = m + 2;
  return a * a * round_up(s.out_c, uk.mr) * s.in_c;
}

void winograd_pack_weights(const GemmUkernel& uk, const Conv2dShape& s, int m, const float* w,
                           float* packed) {
  if (m == 2) {
    pack_weights<2>(uk, s, w, packed);
  } else {
    pack_weights<4>(uk, s, w, packed);
  }
}

int64_t winograd_scratch_floats(const GemmUkernel& uk, const Conv2dShape& s, int m, int threads) {
  const int64_t a = m + 2;
  const int64_t th = ceil_div(s.out_h, m), tw = ceil_div(s.out_w, m), tiles = th * tw;
  const int64_t v = a * a * round_up(tiles, uk.nr) * s.in_c;  // V, in B panels
  const int64_t mm = a * a * s.out_c * tiles;                 // M
  return v + mm + winograd_band_floats(s, m) * threads + 64;
}

const WinogradKernel* winograd_kernel(Isa isa, int m) {
  return by_isa(isa, winograd_kernel_avx512, winograd_kernel_avx2, m);
}

}  // namespace kiln::cpu
