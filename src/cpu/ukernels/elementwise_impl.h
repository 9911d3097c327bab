// The elementwise kernels behind ukernels/elementwise.h, instantiated per ISA.
#pragma once

#include "cpu/ukernels/elementwise.h"
#include "cpu/ukernels/simd.h"

namespace kiln::cpu::detail {

template <class V>
inline typename V::T ew_apply(const EwInstr& in, typename V::T x) {
  switch (in.op) {
    case EwOp::kAddC:
      return V::add(x, V::set1(in.a));
    case EwOp::kSubC:
      return V::sub(x, V::set1(in.a));
    case EwOp::kRSubC:
      return V::sub(V::set1(in.a), x);
    case EwOp::kMulC:
      return V::mul(x, V::set1(in.a));
    case EwOp::kDivC:
      return V::div(x, V::set1(in.a));
    case EwOp::kRDivC:
      return V::div(V::set1(in.a), x);
    case EwOp::kMaxC:
      return V::max(x, V::set1(in.a));
    case EwOp::kMinC:
      return V::min(x, V::set1(in.a));
    case EwOp::kRelu:
      return V::max(x, V::zero());
    case EwOp::kClip:
      return V::min(V::max(x, V::set1(in.a)), V::set1(in.b));
    case EwOp::kLeakyRelu:
      return V::select_lt(x, V::zero(), V::mul(x, V::set1(in.a)), x);
    case EwOp::kSigmoid:
      return simd::sigmoid<V>(x);
    case EwOp::kHardSigmoid:
      return V::max(V::zero(), V::min(V::set1(1.0f), V::fmadd(x, V::set1(in.a), V::set1(in.b))));
    case EwOp::kHardSwish:
      return V::mul(x,
                    V::max(V::zero(), V::min(V::set1(1.0f), V::fmadd(x, V::set1(1.0f / 6), V::set1(0.5f)))));
    case EwOp::kTanh:
      return simd::tanh<V>(x);
    case EwOp::kExp:
      return simd::exp<V>(x);
    case EwOp::kNeg:
      return V::sub(V::zero(), x);
    case EwOp::kAbs:
      return V::abs(x);
    case EwOp::kSqrt:
      return V::sqrt(x);
    case EwOp::kErf:
      return simd::erf<V>(x);
    case EwOp::kCount:
      break;
  }
  return x;
}

template <class V>
void ew_program(const EwInstr* prog, int n, const float* x, float* y, int64_t count) {
  constexpr int W = V::kWidth;
  using T = typename V::T;
  int64_t i = 0;
  for (; i + 4 * W <= count; i += 4 * W) {
    T v[4];
#pragma GCC unroll 4
    for (int j = 0; j < 4; ++j) v[j] = V::load(x + i + j * W);
    for (int s = 0; s < n; ++s) {
#pragma GCC unroll 4
      for (int j = 0; j < 4; ++j) v[j] = ew_apply<V>(prog[s], v[j]);
    }
#pragma GCC unroll 4
    for (int j = 0; j < 4; ++j) V::store(y + i + j * W, v[j]);
  }
  for (; i < count; i += W) {
    const int c = count - i < W ? static_cast<int>(count - i) : W;
    T v = V::load_n(x + i, c);
    for (int s = 0; s < n; ++s) v = ew_apply<V>(prog[s], v);
    V::store_n(y + i, v, c);
  }
}

template <class V>
void ew_binary(EwBinary op, const float* x, const float* z, float* y, int64_t count) {
  constexpr int W = V::kWidth;
  using T = typename V::T;
  auto f = [op](T a, T b) {
    switch (op) {
      case EwBinary::kAdd:
        return V::add(a, b);
      case EwBinary::kSub:
        return V::sub(a, b);
      case EwBinary::kMul:
        return V::mul(a, b);
      case EwBinary::kDiv:
        return V::div(a, b);
    }
    return a;
  };
  int64_t i = 0;
  for (; i + W <= count; i += W) V::store(y + i, f(V::load(x + i), V::load(z + i)));
  if (i < count) {
    const int c = static_cast<int>(count - i);
    V::store_n(y + i, f(V::load_n(x + i, c), V::load_n(z + i, c)), c);
  }
}

}  // namespace kiln::cpu::detail
