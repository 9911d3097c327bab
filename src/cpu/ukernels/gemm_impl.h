// The microkernel template behind ukernels/gemm.h, instantiated once per ISA by gemm_avx512.cc and
// gemm_avx2.cc (each compiled with its ISA's flags). Accumulators stay in registers for the K block
// the driver gives the tile (starting from C's partial sums after the first block).
#pragma once

#include "cpu/ukernels/gemm.h"
#include "cpu/ukernels/simd.h"
#include "ops/activation.h"

namespace kiln::cpu::detail {

using Act = ops::Activation;

template <class V>
inline typename V::T hard_swish(typename V::T x) {
  return V::mul(x, V::max(V::zero(), V::min(V::set1(1.0f), V::fmadd(x, V::set1(1.0f / 6), V::set1(0.5f)))));
}

template <class V>
inline typename V::T silu(typename V::T x) {
  return V::mul(x, simd::sigmoid<V>(x));
}

template <class V>
inline typename V::T activate_only(typename V::T x, const Epilogue& ep) {
  switch (static_cast<Act>(ep.activation)) {
    case Act::kNone:
      return x;
    case Act::kRelu:
      return V::max(x, V::zero());
    case Act::kClip:
      return V::min(V::max(x, V::set1(ep.alpha)), V::set1(ep.beta));
    case Act::kLeakyRelu:
      return V::select_lt(x, V::zero(), V::mul(x, V::set1(ep.alpha)), x);
    case Act::kSigmoid:
      return simd::sigmoid<V>(x);
    case Act::kHardSigmoid:
      return V::max(V::zero(), V::min(V::set1(1.0f), V::fmadd(x, V::set1(ep.alpha), V::set1(ep.beta))));
    case Act::kHardSwish:
      return hard_swish<V>(x);
    case Act::kSiLU:
      return silu<V>(x);
    case Act::kTanh:
      return simd::tanh<V>(x);
    case Act::kGelu:
      return V::mul(V::mul(V::set1(0.5f), x),
                    V::add(V::set1(1.0f), simd::erf<V>(V::mul(x, V::set1(0.7071067811865476f)))));
    case Act::kGeluTanh: {
      typename V::T inner =
          V::mul(V::set1(0.7978845608028654f), V::fmadd(V::mul(V::mul(x, x), x), V::set1(0.044715f), x));
      return V::mul(V::mul(V::set1(0.5f), x), V::add(V::set1(1.0f), simd::tanh<V>(inner)));
    }
  }
  return x;
}

/// The epilogue's activation and the scalar affine after it.
template <class V>
inline typename V::T activate(typename V::T x, const Epilogue& ep) {
  x = activate_only<V>(x, ep);
  return ep.affine ? V::fmadd(x, V::set1(ep.scale), V::set1(ep.shift)) : x;
}

/// activate() as a call: the rare activations' code stands once, not once per unrolled vector.
template <class V>
[[gnu::noinline]] typename V::T activate_call(typename V::T x, const Epilogue& ep) {
  return activate<V>(x, ep);
}

/// Calls f(act) with `act` the epilogue's activation as a function of one vector, chosen once:
/// the common ones inline (activate()'s switch per vector cost a 64-channel 1x1 tile about a fifth
/// of its FMAs), the rare ones (sigmoid, tanh, GELU ...) through a call.
template <class V, class F>
[[gnu::always_inline]] inline void with_activation(const Epilogue& ep, F&& f) {
  using T = typename V::T;
  if (ep.affine) {  // PP-OCRv4's HardSwish then x * scale + shift inline, others through a call
    const T scale = V::set1(ep.scale), shift = V::set1(ep.shift);
    if (static_cast<Act>(ep.activation) == Act::kHardSwish)
      return f([=](T x) { return V::fmadd(hard_swish<V>(x), scale, shift); });
    return f([&](T x) { return activate_call<V>(x, ep); });
  }
  switch (static_cast<Act>(ep.activation)) {
    case Act::kNone:
      return f([](T x) { return x; });
    case Act::kRelu:
      return f([](T x) { return V::max(x, V::zero()); });
    case Act::kClip: {
      const T lo = V::set1(ep.alpha), hi = V::set1(ep.beta);
      return f([=](T x) { return V::min(V::max(x, lo), hi); });
    }
    case Act::kHardSwish:
      return f([](T x) { return hard_swish<V>(x); });
    case Act::kLeakyRelu: {
      const T alpha = V::set1(ep.alpha);
      return f([=](T x) { return V::select_lt(x, V::zero(), V::mul(x, alpha), x); });
    }
    case Act::kSiLU:
      return f([](T x) { return silu<V>(x); });
    default:
      return f([&](T x) { return activate_call<V>(x, ep); });
  }
}

/// The epilogue on one output vector of a blocked layout's b channels (bias already added); `r`
/// is the residual at the same place, or null.
template <class V>
inline typename V::T blocked_finish(typename V::T y, const Epilogue& ep, const float* r) {
  if (r && ep.residual_before) y = V::add(y, V::load(r));
  y = activate<V>(y, ep);
  if (r && !ep.residual_before) y = V::add(y, V::load(r));
  return y;
}

/// The epilogue on one vector of row m, columns [n, n + count), with the activation `act`.
template <class V, class Act>
[[gnu::always_inline]] inline typename V::T finish_with(typename V::T y, const Epilogue& ep, int64_t m,
                                                        int64_t n, int count, Act act) {
  constexpr int W = V::kWidth;
  if (ep.bias_row) y = V::add(y, V::set1(ep.bias_row[m]));
  if (ep.bias_col) y = V::add(y, count == W ? V::load(ep.bias_col + n) : V::load_n(ep.bias_col + n, count));
  if (ep.residual && ep.residual_before) {
    const float* r = ep.residual + m * ep.ldr + n;
    y = V::add(y, count == W ? V::load(r) : V::load_n(r, count));
  }
  y = act(y);
  if (ep.residual && !ep.residual_before) {
    const float* r = ep.residual + m * ep.ldr + n;
    y = V::add(y, count == W ? V::load(r) : V::load_n(r, count));
  }
  return y;
}

/// The epilogue on one vector of row m, columns [n, n + count).
template <class V>
inline typename V::T finish(typename V::T y, const Epilogue& ep, int64_t m, int64_t n, int count) {
  return finish_with<V>(y, ep, m, n, count, [&](typename V::T x) { return activate<V>(x, ep); });
}

template <class V, int MR, int NV>
void tile(int64_t k, const float* a, const float* b, float* c, int64_t ldc, int m_count, int n_count,
          const Epilogue& ep, int64_t m0, int64_t n0, bool accumulate) {
  using T = typename V::T;
  constexpr int W = V::kWidth;
  constexpr int NR = W * NV;
  T acc[MR][NV];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 8
    for (int j = 0; j < NV; ++j) acc[i][j] = V::zero();
  // C's partial sums (a later block of K) join after this block's FMAs and are fetched now: loaded
  // first, every FMA chain waited on them (a large GEMM's C comes from L3): 2048^3 ran at 73-76%
  // of the FMA ceiling that way, 82-86% this way (interleaved).
  if (accumulate) {
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      if (i >= m_count) break;
#pragma GCC unroll 8
      for (int j = 0; j < NV; ++j)
        _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + j * W), _MM_HINT_T0);
    }
  }
  // Four k per loop iteration (immediate offsets, one loop counter per 4 x MR x NV FMAs): 2-8%
  // faster than one per iteration over 1024^3 GEMMs, interleaved.
#pragma GCC unroll 4
  for (int64_t p = 0; p < k; ++p) {
    T bv[NV];
#pragma GCC unroll 8
    for (int j = 0; j < NV; ++j) bv[j] = V::load(b + p * NR + j * W);
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      T av = V::set1(a[p * MR + i]);
#pragma GCC unroll 8
      for (int j = 0; j < NV; ++j) acc[i][j] = V::fmadd(av, bv[j], acc[i][j]);
    }
  }
  const bool plain = !ep.bias_row && !ep.bias_col && !ep.residual && !ep.affine &&
                     ep.activation == static_cast<int>(Act::kNone);
  if (m_count == MR && n_count == NR) {
    // A whole tile (all but the edges of C), unrolled so the accumulators stay in registers: with
    // a runtime row count they went through the stack (a tile from L1: 74% -> 89% of the FMA
    // ceiling at K = 64, 86% -> 89-99% at K = 256).
    return with_activation<V>(ep, [&](auto act) {
#pragma GCC unroll 16
      for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 8
        for (int j = 0; j < NV; ++j) {
          float* dst = c + i * ldc + j * W;
          T y = acc[i][j];
          if (accumulate) y = V::add(y, V::load(dst));
          if (!plain) y = finish_with<V>(y, ep, m0 + i, n0 + j * W, W, act);
          V::store(dst, y);
        }
      }
    });
  }
  with_activation<V>(ep, [&](auto act) {
    for (int i = 0; i < m_count; ++i) {
#pragma GCC unroll 8
      for (int j = 0; j < NV; ++j) {
        int count = n_count - j * W;
        if (count <= 0) break;
        if (count > W) count = W;
        float* dst = c + i * ldc + j * W;
        T y = acc[i][j];
        if (accumulate) y = V::add(y, count == W ? V::load(dst) : V::load_n(dst, count));
        if (!plain) y = finish_with<V>(y, ep, m0 + i, n0 + j * W, count, act);
        if (count == W) {
          V::store(dst, y);
        } else {
          V::store_n(dst, y, count);
        }
      }
    }
  });
}

template <class V, int NV>
void row_panel(int64_t k, const float* a, const float* b, float* c, int n_count, const Epilogue& ep,
               int64_t n0) {
  using T = typename V::T;
  constexpr int W = V::kWidth;
  constexpr int NR = W * NV;
  // Two sets of accumulators so consecutive k do not wait on each other's FMA.
  T acc[2][NV];
#pragma GCC unroll 8
  for (int j = 0; j < NV; ++j) acc[0][j] = acc[1][j] = V::zero();
  int64_t p = 0;
  // B streams through once (5 MB for MobileNetV2's classifier, from L3 or DRAM): every line of
  // it is fetched 2 KB ahead into L1 and 16 KB ahead into L2 (one line in eight before:
  // MobileNetV2's 1280x1000 layer 0.86x the time in the network, kiln profile alternated, Zen 4).
  constexpr int64_t kL1Ahead = 2048 / (NR * 4), kL2Ahead = 16384 / (NR * 4);
  for (; p + 2 <= k; p += 2) {
#pragma GCC unroll 16
    for (int l = 0; l < 2 * NR; l += 16) {
      _mm_prefetch(reinterpret_cast<const char*>(b + (p + kL1Ahead) * NR + l), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(b + (p + kL2Ahead) * NR + l), _MM_HINT_T1);
    }
#pragma GCC unroll 2
    for (int u = 0; u < 2; ++u) {
      const T av = V::set1(a[p + u]);
#pragma GCC unroll 8
      for (int j = 0; j < NV; ++j) acc[u][j] = V::fmadd(av, V::load(b + (p + u) * NR + j * W), acc[u][j]);
    }
  }
  for (; p < k; ++p) {
    const T av = V::set1(a[p]);
#pragma GCC unroll 8
    for (int j = 0; j < NV; ++j) acc[0][j] = V::fmadd(av, V::load(b + p * NR + j * W), acc[0][j]);
  }
  const bool plain = !ep.bias_row && !ep.bias_col && !ep.residual && !ep.affine &&
                     ep.activation == static_cast<int>(Act::kNone);
#pragma GCC unroll 8
  for (int j = 0; j < NV; ++j) {
    int count = n_count - j * W;
    if (count <= 0) break;
    if (count > W) count = W;
    T y = V::add(acc[0][j], acc[1][j]);
    if (!plain) y = finish<V>(y, ep, 0, n0 + j * W, count);
    if (count == W) {
      V::store(c + j * W, y);
    } else {
      V::store_n(c + j * W, y, count);
    }
  }
}

template <class V>
void apply_epilogue(float* y, int64_t ldy, int64_t m, int64_t n, const Epilogue& ep, int64_t m0, int64_t n0) {
  constexpr int W = V::kWidth;
  with_activation<V>(ep, [&](auto act) {
    for (int64_t i = 0; i < m; ++i) {
      float* row = y + i * ldy;
      for (int64_t j = 0; j < n; j += W) {
        int count = n - j < W ? static_cast<int>(n - j) : W;
        typename V::T v = count == W ? V::load(row + j) : V::load_n(row + j, count);
        v = finish_with<V>(v, ep, m0 + i, n0 + j, count, act);
        if (count == W) {
          V::store(row + j, v);
        } else {
          V::store_n(row + j, v, count);
        }
      }
    }
  });
}

}  // namespace kiln::cpu::detail
