// The blocked Winograd F(2x2, 3x3) and F(4x4, 3x3) kernels (see blocked_winograd.h), included once
// per ISA.
#pragma once

#include "cpu/kernels/blocked_conv_impl.h"
#include "cpu/kernels/blocked_winograd.h"

namespace kiln::cpu::detail {

// out = B^T in for one 6-vector (F(4,3)'s input transform, one axis).
template <class V>
inline void winograd_bt(const typename V::T (&d)[6], typename V::T (&o)[6]) {
  using T = typename V::T;
  const T four = V::set1(4.0f), five = V::set1(5.0f), two = V::set1(2.0f);
  const T d4_d2 = V::sub(d[4], d[2]);  // d4 - d2
  const T d3_d1 = V::sub(d[3], d[1]);  // d3 - d1
  o[0] = V::add(V::fmadd(four, d[0], d[4]), V::mul(V::set1(-5.0f), d[2]));
  o[1] = V::sub(V::add(d[3], d[4]), V::mul(four, V::add(d[1], d[2])));
  o[2] = V::add(V::sub(d[4], d[3]), V::mul(four, V::sub(d[1], d[2])));
  o[3] = V::fmadd(two, d3_d1, d4_d2);
  o[4] = V::sub(d4_d2, V::mul(two, d3_d1));
  o[5] = V::sub(V::fmadd(four, d[1], d[5]), V::mul(five, d[3]));
}

// out = B^T in for one 4-vector (F(2,3)'s input transform, one axis).
template <class V>
inline void winograd_bt(const typename V::T (&d)[4], typename V::T (&o)[4]) {
  o[0] = V::sub(d[0], d[2]);
  o[1] = V::add(d[1], d[2]);
  o[2] = V::sub(d[2], d[1]);
  o[3] = V::sub(d[1], d[3]);
}

// out = A^T m for one 4-vector (F(2,3)'s output transform, one axis): 2 results.
template <class V>
inline void winograd_at(const typename V::T (&m)[4], typename V::T (&o)[2]) {
  o[0] = V::add(V::add(m[0], m[1]), m[2]);
  o[1] = V::sub(V::sub(m[1], m[2]), m[3]);
}

// out = A^T m for one 6-vector (F(4,3)'s output transform, one axis): 4 results.
template <class V>
inline void winograd_at(const typename V::T (&m)[6], typename V::T (&o)[4]) {
  using T = typename V::T;
  const T s12 = V::add(m[1], m[2]), d12 = V::sub(m[1], m[2]);
  const T s34 = V::add(m[3], m[4]), d34 = V::sub(m[3], m[4]);
  o[0] = V::add(V::add(m[0], s12), s34);
  o[1] = V::fmadd(V::set1(2.0f), d34, d12);
  o[2] = V::fmadd(V::set1(4.0f), s34, s12);
  o[3] = V::add(V::fmadd(V::set1(8.0f), d34, d12), m[5]);
}

// F(M x M, 3x3): tiles of A x A inputs (A = M + 2) give M x M outputs.
template <class V, int M>
void blocked_winograd_m(ThreadPool& pool, const Conv2dShape& s, const float* x, const float* packed, float* y,
                        const Epilogue& ep, float* scratch) {
  using T = typename V::T;
  constexpr int A = M + 2, P = A * A;
  constexpr int B = V::kWidth;
  const BlockedConvKernel& k = *::kiln::cpu::blocked_conv_kernel(B == 16 ? Isa::kAvx512 : Isa::kAvx2);
  const int64_t icb = (s.in_c + B - 1) / B, ocb = (s.out_c + B - 1) / B;
  const int64_t th = (s.out_h + M - 1) / M, tw = (s.out_w + M - 1) / M;
  const int64_t rows = winograd_detail::band_rows(k, s, M);
  const int64_t per_xi = blocked_direct_packed_floats(k, winograd_detail::product_shape(s, 1), false);
  const float* bias = packed + P * per_xi;
  const int64_t x_plane = s.in_h * s.in_w * B, y_plane = s.out_h * s.out_w * B;
  for (int64_t n = 0; n < s.batch; ++n) {
    const float* xn = x + n * icb * x_plane;
    float* yn = y + n * ocb * y_plane;
    const float* rn = ep.residual ? ep.residual + n * ocb * y_plane : nullptr;
    for (int64_t ty0 = 0; ty0 < th; ty0 += rows) {
      const int64_t band = std::min(rows, th - ty0), tiles = band * tw;
      float* v = scratch;                  // [P][icb][tiles][B]
      float* m = v + P * icb * tiles * B;  // [P][ocb][tiles][B]
      // 1. V = B^T d B.
      pool.parallel_for(icb * band, [&](int64_t task, int) {
        const int64_t ib = task / band, ty = task % band;
        const float* xb = xn + ib * x_plane;
        for (int64_t tx = 0; tx < tw; ++tx) {
          T d[A][A];
          for (int i = 0; i < A; ++i) {
            const int64_t iy = (ty0 + ty) * M - s.pad_top + i;
            for (int j = 0; j < A; ++j) {
              const int64_t ix = tx * M - s.pad_left + j;
              d[i][j] = iy >= 0 && iy < s.in_h && ix >= 0 && ix < s.in_w
                            ? V::load(xb + (iy * s.in_w + ix) * B)
                            : V::zero();
            }
          }
          T t[A][A];
          for (int j = 0; j < A; ++j) {
            T col[A], out[A];
            for (int i = 0; i < A; ++i) col[i] = d[i][j];
            winograd_bt<V>(col, out);
            for (int i = 0; i < A; ++i) t[i][j] = out[i];
          }
          const int64_t at = (ib * tiles + ty * tw + tx) * B;
          for (int i = 0; i < A; ++i) {
            T out[A];
            winograd_bt<V>(t[i], out);
            for (int j = 0; j < A; ++j) V::store(v + (i * A + j) * icb * tiles * B + at, out[j]);
          }
        }
      });
      // 2. The P products, each a 1x1 convolution over the band's row of tiles: all their tasks
      //    in one parallel loop (P small loops would each wait for the slowest thread).
      const BlockedGeom pg = blocked_geom(winograd_detail::product_shape(s, tiles), B);
      const DirectPlan pp = direct_plan<V>(pg, P, pool.threads());
      pool.parallel_for(P * pp.tasks(), [&](int64_t task, int) {
        const int64_t xi = task / pp.tasks();
        direct_task<V>(pg, pp, task % pp.tasks(), v + xi * icb * tiles * B, packed + xi * per_xi,
                       m + xi * ocb * tiles * B, nullptr, Epilogue{});
      });
      // 3. Y = A^T M A, then bias, residual and activation.
      pool.parallel_for(ocb * band, [&](int64_t task, int) {
        const int64_t ob = task / band, ty = task % band;
        const T bv = V::load(bias + ob * B);
        for (int64_t tx = 0; tx < tw; ++tx) {
          const int64_t at = (ob * tiles + ty * tw + tx) * B;
          T t[M][A];
          for (int j = 0; j < A; ++j) {
            T col[A], out[M];
            for (int i = 0; i < A; ++i) col[i] = V::load(m + (i * A + j) * ocb * tiles * B + at);
            winograd_at<V>(col, out);
            for (int r = 0; r < M; ++r) t[r][j] = out[r];
          }
          for (int r = 0; r < M; ++r) {
            const int64_t oy = (ty0 + ty) * M + r;
            if (oy >= s.out_h) break;
            T out[M];
            winograd_at<V>(t[r], out);
            if (tx * M + M <= s.out_w) {  // a whole row of the tile: the activation chosen once
              T row[M][1];
              for (int c = 0; c < M; ++c) row[c][0] = V::add(out[c], bv);
              finish_tile<V>(row, yn + ob * y_plane, rn ? rn + ob * y_plane : nullptr, 0,
                             (oy * s.out_w + tx * M) * B, ep);
              continue;
            }
            for (int c = 0; c < M; ++c) {
              const int64_t ox = tx * M + c;
              if (ox >= s.out_w) break;
              const int64_t o = ob * y_plane + (oy * s.out_w + ox) * B;
              V::store(yn + o, blocked_finish<V>(V::add(out[c], bv), ep, rn ? rn + o : nullptr));
            }
          }
        }
      });
    }
  }
}

template <class V>
void blocked_winograd(ThreadPool& pool, int m, const Conv2dShape& s, const float* x, const float* packed,
                      float* y, const Epilogue& ep, float* scratch) {
  (m == 2 ? blocked_winograd_m<V, 2> : blocked_winograd_m<V, 4>)(pool, s, x, packed, y, ep, scratch);
}

template <class V>
const BlockedWinogradKernel* blocked_winograd_kernel(Isa isa) {
  static const BlockedWinogradKernel k{isa, blocked_winograd<V>};
  return &k;
}

}  // namespace kiln::cpu::detail
