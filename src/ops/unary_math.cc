// The unary math functions and float classifications (IsNaN, IsInf): one small functor per op,
// run by the generic elementwise kernel.
// Float types compute in their own precision (f16/bf16 through float), like NumPy does.
#include "ops/elementwise.h"

namespace kiln::ops {
namespace {

// Nominal operations per element of a transcendental function (a polynomial and a reduction).
constexpr double kTranscendental = 8;

struct Abs {
  static constexpr TypeSet kTypes = TypeSet::kNumeric;
  template <typename C>
  C operator()(C x) const {
    if constexpr (is_float_v<C>)
      return std::abs(x);
    else if constexpr (std::is_unsigned_v<C>)
      return x;
    else
      return x < 0 ? neg(x) : x;
  }
};

struct Neg {
  static constexpr TypeSet kTypes = TypeSet::kSignedNumeric;
  template <typename C>
  C operator()(C x) const {
    return neg(x);
  }
};

struct Sign {
  static constexpr TypeSet kTypes = TypeSet::kNumeric;
  template <typename C>
  C operator()(C x) const {
    if constexpr (is_float_v<C>) {
      if (std::isnan(x)) return x;
    }
    return static_cast<C>((C(0) < x) - (x < C(0)));
  }
};

struct Reciprocal {
  static constexpr TypeSet kTypes = TypeSet::kFloat;
  template <typename C>
  C operator()(C x) const {
    return C(1) / x;
  }
};

// Functions the C++ library has under the op's name.
#define KILN_STD_UNARY(Name, fn, flops)                \
  struct Name {                                        \
    static constexpr TypeSet kTypes = TypeSet::kFloat; \
    static constexpr double kFlops = flops;            \
    template <typename C>                              \
    C operator()(C x) const {                          \
      return std::fn(x);                               \
    }                                                  \
  };
KILN_STD_UNARY(Exp, exp, kTranscendental)
KILN_STD_UNARY(Log, log, kTranscendental)
KILN_STD_UNARY(Sqrt, sqrt, 1)
KILN_STD_UNARY(Sin, sin, kTranscendental)
KILN_STD_UNARY(Cos, cos, kTranscendental)
KILN_STD_UNARY(Tan, tan, kTranscendental)
KILN_STD_UNARY(Asin, asin, kTranscendental)
KILN_STD_UNARY(Acos, acos, kTranscendental)
KILN_STD_UNARY(Atan, atan, kTranscendental)
KILN_STD_UNARY(Sinh, sinh, kTranscendental)
KILN_STD_UNARY(Cosh, cosh, kTranscendental)
KILN_STD_UNARY(Asinh, asinh, kTranscendental)
KILN_STD_UNARY(Acosh, acosh, kTranscendental)
KILN_STD_UNARY(Atanh, atanh, kTranscendental)
KILN_STD_UNARY(Tanh, tanh, kTranscendental)
KILN_STD_UNARY(Erf, erf, kTranscendental)
KILN_STD_UNARY(Ceil, ceil, 1)
KILN_STD_UNARY(Floor, floor, 1)
// nearbyint rounds in the default rounding mode, to nearest with ties to even, as ONNX asks.
KILN_STD_UNARY(Round, nearbyint, 1)
#undef KILN_STD_UNARY

struct Sigmoid {
  static constexpr TypeSet kTypes = TypeSet::kFloat;
  static constexpr double kFlops = kTranscendental + 2;
  template <typename C>
  C operator()(C x) const {
    // Both branches keep exp's argument non-positive, so neither overflows.
    if (x >= 0) return C(1) / (C(1) + std::exp(-x));
    C e = std::exp(x);
    return e / (C(1) + e);
  }
};

struct Softplus {
  static constexpr TypeSet kTypes = TypeSet::kFloat;
  static constexpr double kFlops = 2 * kTranscendental + 2;
  template <typename C>
  C operator()(C x) const {
    // log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)), which does not overflow for large x.
    return std::max(x, C(0)) + std::log1p(std::exp(-std::abs(x)));
  }
};

struct Softsign {
  static constexpr TypeSet kTypes = TypeSet::kFloat;
  static constexpr double kFlops = 3;
  template <typename C>
  C operator()(C x) const {
    return x / (C(1) + std::abs(x));
  }
};

struct IsNaN {
  static constexpr TypeSet kTypes = TypeSet::kFloat;
  static constexpr bool kBoolOutput = true;
  template <typename C>
  bool operator()(C x) const {
    return std::isnan(x);
  }
};

struct IsInf {
  static constexpr TypeSet kTypes = TypeSet::kFloat;
  static constexpr bool kBoolOutput = true;
  bool detect_positive, detect_negative;
  explicit IsInf(const ir::Node& n)
      : detect_positive(n.attr_int("detect_positive", 1) != 0),
        detect_negative(n.attr_int("detect_negative", 1) != 0) {}
  template <typename C>
  bool operator()(C x) const {
    return std::isinf(x) && (x > 0 ? detect_positive : detect_negative);
  }
};

}  // namespace

#define KILN_REGISTER_UNARY(Name)                 \
  KILN_REGISTER_OP({.op_type = #Name,             \
                    .infer = infer_unary<Name>,   \
                    .reference = run_unary<Name>, \
                    .cost = elementwise_cost<Name>, \
                    .memory = Memory::kInPlace})
KILN_REGISTER_UNARY(Abs);
KILN_REGISTER_UNARY(Neg);
KILN_REGISTER_UNARY(Sign);
KILN_REGISTER_UNARY(Reciprocal);
KILN_REGISTER_UNARY(Exp);
KILN_REGISTER_UNARY(Log);
KILN_REGISTER_UNARY(Sqrt);
KILN_REGISTER_UNARY(Sin);
KILN_REGISTER_UNARY(Cos);
KILN_REGISTER_UNARY(Tan);
KILN_REGISTER_UNARY(Asin);
KILN_REGISTER_UNARY(Acos);
KILN_REGISTER_UNARY(Atan);
KILN_REGISTER_UNARY(Sinh);
KILN_REGISTER_UNARY(Cosh);
KILN_REGISTER_UNARY(Asinh);
KILN_REGISTER_UNARY(Acosh);
KILN_REGISTER_UNARY(Atanh);
KILN_REGISTER_UNARY(Tanh);
KILN_REGISTER_UNARY(Erf);
KILN_REGISTER_UNARY(Ceil);
KILN_REGISTER_UNARY(Floor);
KILN_REGISTER_UNARY(Round);
KILN_REGISTER_UNARY(Sigmoid);
KILN_REGISTER_UNARY(Softplus);
KILN_REGISTER_UNARY(Softsign);
KILN_REGISTER_UNARY(IsNaN);
KILN_REGISTER_UNARY(IsInf);
#undef KILN_REGISTER_UNARY

}  // namespace kiln::ops
