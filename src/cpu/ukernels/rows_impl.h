#pragma once

#include <algorithm>
#include <cmath>
#include <limits>

#include "cpu/ukernels/rows.h"
#include "cpu/ukernels/simd.h"

namespace kiln::cpu::detail {

template <class V>
float hsum(typename V::T v) {
  alignas(64) float lanes[V::kWidth];
  V::store(lanes, v);
  float s = 0;
  for (int i = 0; i < V::kWidth; ++i) s += lanes[i];
  return s;
}

template <class V>
float hmax(typename V::T v) {
  alignas(64) float lanes[V::kWidth];
  V::store(lanes, v);
  float m = lanes[0];
  for (int i = 1; i < V::kWidth; ++i) m = std::max(m, lanes[i]);
  return m;
}

template <class V>
void softmax_rows(const float* x, float* y, int64_t rows, int64_t n) {
  constexpr int W = V::kWidth;
  using T = typename V::T;
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * n;
    float* yr = y + r * n;
    T m = V::set1(-std::numeric_limits<float>::infinity());
    int64_t i = 0;
    for (; i + W <= n; i += W) m = V::max(m, V::load(xr + i));
    float mx = hmax<V>(m);
    for (; i < n; ++i) mx = std::max(mx, xr[i]);
    const T mv = V::set1(mx);
    T s = V::zero();
    for (i = 0; i + W <= n; i += W) {
      T e = simd::exp<V>(V::sub(V::load(xr + i), mv));
      V::store(yr + i, e);
      s = V::add(s, e);
    }
    if (i < n) {
      const int c = static_cast<int>(n - i);
      T e = simd::exp<V>(V::sub(V::load_n(xr + i, c), mv));
      V::store_n(yr + i, e, c);
      alignas(64) float lanes[W];
      V::store(lanes, e);
      float tail = 0;
      for (int l = 0; l < c; ++l) tail += lanes[l];
      const T inv = V::set1(1.0f / (hsum<V>(s) + tail));
      for (i = 0; i < n; i += W) {
        const int cc = n - i < W ? static_cast<int>(n - i) : W;
        if (cc == W) {
          V::store(yr + i, V::mul(V::load(yr + i), inv));
        } else {
          V::store_n(yr + i, V::mul(V::load_n(yr + i, cc), inv), cc);
        }
      }
      continue;
    }
    const T inv = V::set1(1.0f / hsum<V>(s));
    for (i = 0; i < n; i += W) V::store(yr + i, V::mul(V::load(yr + i), inv));
  }
}

template <class V>
void mean_rows(const float* x, float* y, int64_t rows, int64_t n) {
  constexpr int W = V::kWidth;
  using T = typename V::T;
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * n;
    T s = V::zero();
    int64_t i = 0;
    for (; i + W <= n; i += W) s = V::add(s, V::load(xr + i));
    float t = hsum<V>(s);
    for (; i < n; ++i) t += xr[i];
    y[r] = t / static_cast<float>(n);
  }
}

// Sum of the row's n floats: whole vectors, then the tail lanes.
template <class V>
float row_sum(const float* x, int64_t n) {
  constexpr int W = V::kWidth;
  typename V::T s = V::zero();
  int64_t i = 0;
  for (; i + W <= n; i += W) s = V::add(s, V::load(x + i));
  if (i < n) s = V::add(s, V::load_n(x + i, static_cast<int>(n - i)));
  return hsum<V>(s);
}

template <class V>
void layer_norm_rows(const float* x, float* y, int64_t rows, int64_t n, const float* scale, const float* bias,
                     float eps) {
  constexpr int W = V::kWidth;
  using T = typename V::T;
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * n;
    float* yr = y + r * n;
    const float mean = row_sum<V>(xr, n) / static_cast<float>(n);
    const T mv = V::set1(mean);
    alignas(64) float means[W];
    V::store(means, mv);
    T sq = V::zero();
    for (int64_t i = 0; i < n; i += W) {
      const int c = n - i < W ? static_cast<int>(n - i) : W;
      // A tail's missing lanes load as 0 - 0: they add nothing.
      const T d = c == W ? V::sub(V::load(xr + i), mv) : V::sub(V::load_n(xr + i, c), V::load_n(means, c));
      sq = V::fmadd(d, d, sq);
    }
    const T inv = V::set1(1.0f / std::sqrt(hsum<V>(sq) / static_cast<float>(n) + eps));
    for (int64_t i = 0; i < n; i += W) {
      const int c = n - i < W ? static_cast<int>(n - i) : W;
      if (c == W) {
        T v = V::mul(V::mul(V::sub(V::load(xr + i), mv), inv), V::load(scale + i));
        if (bias) v = V::add(v, V::load(bias + i));
        V::store(yr + i, v);
      } else {
        T v = V::mul(V::mul(V::sub(V::load_n(xr + i, c), mv), inv), V::load_n(scale + i, c));
        if (bias) v = V::add(v, V::load_n(bias + i, c));
        V::store_n(yr + i, v, c);
      }
    }
  }
}

}  // namespace kiln::cpu::detail
