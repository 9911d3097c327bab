// Thin vector types for the kernels compiled once per ISA (a file compiled with -mavx512f sees
// Vec512, one compiled with -mavx2 -mfma sees Vec256): the same kernel template reads the same for
// both. Also the vectorized math the epilogues need (exp, erf), accurate to a few ulp, which is
// well inside what the reference comparisons allow.
#pragma once

#include <immintrin.h>

#include <cstdint>

namespace kiln::cpu::simd {

#if defined(__AVX512F__)
struct Vec512 {
  using T = __m512;
  static constexpr int kWidth = 16;
  static T zero() { return _mm512_setzero_ps(); }
  static T set1(float x) { return _mm512_set1_ps(x); }
  static T load(const float* p) { return _mm512_loadu_ps(p); }
  static T load_n(const float* p, int n) {
    return _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << n) - 1), p);
  }
  static void store(float* p, T v) { _mm512_storeu_ps(p, v); }
  static void store_n(float* p, T v, int n) {
    _mm512_mask_storeu_ps(p, static_cast<__mmask16>((1u << n) - 1), v);
  }
  static T add(T a, T b) { return _mm512_add_ps(a, b); }
  static T sub(T a, T b) { return _mm512_sub_ps(a, b); }
  static T mul(T a, T b) { return _mm512_mul_ps(a, b); }
  static T div(T a, T b) { return _mm512_div_ps(a, b); }
  static T fmadd(T a, T b, T c) { return _mm512_fmadd_ps(a, b, c); }
  static T max(T a, T b) { return _mm512_max_ps(a, b); }
  static T min(T a, T b) { return _mm512_min_ps(a, b); }
  static T abs(T a) { return _mm512_abs_ps(a); }
  static T sqrt(T a) { return _mm512_sqrt_ps(a); }
  /// a < b ? x : y, lane by lane.
  static T select_lt(T a, T b, T x, T y) {
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, b, _CMP_LT_OQ), y, x);
  }
  static T copysign(T magnitude, T sign) {
    const __m512i m = _mm512_set1_epi32(0x7fffffff);
    return _mm512_castsi512_ps(_mm512_ternarylogic_epi32(
        m, _mm512_castps_si512(magnitude), _mm512_castps_si512(sign), 0xca));  // m ? magnitude : sign
  }
  static T round(T a) { return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  /// p[0], p[2], ..., p[2 * kWidth - 2] (reads 2 * kWidth floats).
  static T load_even(const float* p) {
    const __m512i idx = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    return _mm512_permutex2var_ps(_mm512_loadu_ps(p), idx, _mm512_loadu_ps(p + 16));
  }
  /// a * 2^n for integral n.
  static T scale2(T a, T n) { return _mm512_scalef_ps(a, n); }
};
#endif

#if defined(__AVX2__) && defined(__FMA__)
struct Vec256 {
  using T = __m256;
  static constexpr int kWidth = 8;
  static __m256i mask(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static T zero() { return _mm256_setzero_ps(); }
  static T set1(float x) { return _mm256_set1_ps(x); }
  static T load(const float* p) { return _mm256_loadu_ps(p); }
  static T load_n(const float* p, int n) { return _mm256_maskload_ps(p, mask(n)); }
  static void store(float* p, T v) { _mm256_storeu_ps(p, v); }
  static void store_n(float* p, T v, int n) { _mm256_maskstore_ps(p, mask(n), v); }
  static T add(T a, T b) { return _mm256_add_ps(a, b); }
  static T sub(T a, T b) { return _mm256_sub_ps(a, b); }
  static T mul(T a, T b) { return _mm256_mul_ps(a, b); }
  static T div(T a, T b) { return _mm256_div_ps(a, b); }
  static T fmadd(T a, T b, T c) { return _mm256_fmadd_ps(a, b, c); }
  static T max(T a, T b) { return _mm256_max_ps(a, b); }
  static T min(T a, T b) { return _mm256_min_ps(a, b); }
  static T abs(T a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); }
  static T sqrt(T a) { return _mm256_sqrt_ps(a); }
  static T select_lt(T a, T b, T x, T y) { return _mm256_blendv_ps(y, x, _mm256_cmp_ps(a, b, _CMP_LT_OQ)); }
  static T copysign(T magnitude, T sign) {
    const T s = _mm256_set1_ps(-0.0f);
    return _mm256_or_ps(_mm256_andnot_ps(s, magnitude), _mm256_and_ps(s, sign));
  }
  static T round(T a) { return _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static T load_even(const float* p) {
    __m256 a = _mm256_loadu_ps(p), b = _mm256_loadu_ps(p + 8);
    __m256 s = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));  // a0 a2 b0 b2 | a4 a6 b4 b6
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(s), _MM_SHUFFLE(3, 1, 2, 0)));
  }
  static T scale2(T a, T n) {
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(a, _mm256_castsi256_ps(e));
  }
};
#endif

/// e^x: x = n ln2 + r, |r| <= ln2/2, e^r by a degree-6 polynomial; inputs clamped to where the
/// result is finite and normal (so e^-inf -> ~0 and e^+large -> FLT_MAX-ish, as the sigmoid needs).
template <class V>
inline typename V::T exp(typename V::T x) {
  using T = typename V::T;
  x = V::min(V::max(x, V::set1(-87.3f)), V::set1(88.3f));
  T n = V::round(V::mul(x, V::set1(1.44269504088896341f)));
  T r = V::fmadd(n, V::set1(-0.693145751953125f), x);
  r = V::fmadd(n, V::set1(-1.428606765330187e-06f), r);
  T p = V::set1(1.0f / 720);
  p = V::fmadd(p, r, V::set1(1.0f / 120));
  p = V::fmadd(p, r, V::set1(1.0f / 24));
  p = V::fmadd(p, r, V::set1(1.0f / 6));
  p = V::fmadd(p, r, V::set1(0.5f));
  p = V::fmadd(p, r, V::set1(1.0f));
  p = V::fmadd(p, r, V::set1(1.0f));
  return V::scale2(p, n);
}

/// 1 / (1 + e^-x).
template <class V>
inline typename V::T sigmoid(typename V::T x) {
  return V::div(V::set1(1.0f), V::add(V::set1(1.0f), exp<V>(V::sub(V::zero(), x))));
}

/// tanh(x) = 1 - 2 / (e^2x + 1), and x itself where |x| is tiny (keeps its relative accuracy).
template <class V>
inline typename V::T tanh(typename V::T x) {
  using T = typename V::T;
  T e = exp<V>(V::add(x, x));
  T t = V::sub(V::set1(1.0f), V::div(V::set1(2.0f), V::add(e, V::set1(1.0f))));
  // |x| < 2^-4: x - x^3/3 + 2x^5/15 is exact to float precision there.
  T x2 = V::mul(x, x);
  T small = V::mul(x, V::fmadd(x2, V::fmadd(x2, V::set1(2.0f / 15), V::set1(-1.0f / 3)), V::set1(1.0f)));
  return V::select_lt(V::abs(x), V::set1(0.0625f), small, t);
}

/// erf(x), Abramowitz & Stegun 7.1.26 (|error| <= 1.5e-7).
template <class V>
inline typename V::T erf(typename V::T x) {
  using T = typename V::T;
  T ax = V::abs(x);
  T t = V::div(V::set1(1.0f), V::fmadd(ax, V::set1(0.3275911f), V::set1(1.0f)));
  T p = V::set1(1.061405429f);
  p = V::fmadd(p, t, V::set1(-1.453152027f));
  p = V::fmadd(p, t, V::set1(1.421413741f));
  p = V::fmadd(p, t, V::set1(-0.284496736f));
  p = V::fmadd(p, t, V::set1(0.254829592f));
  p = V::mul(p, t);
  T e = exp<V>(V::sub(V::zero(), V::mul(ax, ax)));
  T y = V::sub(V::set1(1.0f), V::mul(p, e));
  return V::copysign(y, x);
}

}  // namespace kiln::cpu::simd
