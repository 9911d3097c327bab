// The parametric activations: one small functor per op holding its attributes, run by the
// generic elementwise kernel. Attribute defaults are the ONNX spec's.
#include <string>

#include "ops/elementwise.h"

namespace kiln::ops {
namespace {

constexpr double kTranscendental = 8;

struct LeakyRelu {
  static constexpr TypeSet kTypes = TypeSet::kFloat;
  static constexpr double kFlops = 2;
  float alpha;
  explicit LeakyRelu(const ir::Node& n) : alpha(n.attr_float("alpha", 0.01f)) {}
  template <typename C>
  C operator()(C x) const {
    return x < 0 ? C(alpha) * x : x;
  }
};

struct Elu {
  static constexpr TypeSet kTypes = TypeSet::kFloat;
  static constexpr double kFlops = kTranscendental + 2;
  float alpha;
  explicit Elu(const ir::Node& n) : alpha(n.attr_float("alpha", 1.0f)) {}
  template <typename C>
  C operator()(C x) const {
    return x < 0 ? C(alpha) * (std::exp(x) - C(1)) : x;
  }
};

struct Selu {
  static constexpr TypeSet kTypes = TypeSet::kFloat;
  static constexpr double kFlops = kTranscendental + 3;
  float alpha, gamma;
  explicit Selu(const ir::Node& n)
      : alpha(n.attr_float("alpha", 1.67326319217681884765625f)),
        gamma(n.attr_float("gamma", 1.05070102214813232421875f)) {}
  template <typename C>
  C operator()(C x) const {
    return x > 0 ? C(gamma) * x : C(gamma) * (C(alpha) * std::exp(x) - C(alpha));
  }
};

struct Celu {
  static constexpr TypeSet kTypes = TypeSet::kFloat;
  static constexpr double kFlops = kTranscendental + 4;
  float alpha;
  explicit Celu(const ir::Node& n) : alpha(n.attr_float("alpha", 1.0f)) {}
  Status check(const ir::Node& n) const {
    if (alpha == 0) return invalid_argument(n.describe() + ": Celu's alpha must not be 0");
    return Status::ok();
  }
  template <typename C>
  C operator()(C x) const {
    const C a(alpha);
    return std::max(C(0), x) + std::min(C(0), a * (std::exp(x / a) - C(1)));
  }
};

struct HardSigmoid {
  static constexpr TypeSet kTypes = TypeSet::kFloat;
  static constexpr double kFlops = 4;
  float alpha, beta;
  explicit HardSigmoid(const ir::Node& n)
      : alpha(n.attr_float("alpha", 0.2f)), beta(n.attr_float("beta", 0.5f)) {}
  template <typename C>
  C operator()(C x) const {
    return std::max(C(0), std::min(C(1), C(alpha) * x + C(beta)));
  }
};

struct HardSwish {
  static constexpr TypeSet kTypes = TypeSet::kFloat;
  static constexpr double kFlops = 5;
  template <typename C>
  C operator()(C x) const {
    return x * std::max(C(0), std::min(C(1), x / C(6) + C(0.5)));
  }
};

struct ThresholdedRelu {
  static constexpr TypeSet kTypes = TypeSet::kFloat;
  float alpha;
  explicit ThresholdedRelu(const ir::Node& n) : alpha(n.attr_float("alpha", 1.0f)) {}
  template <typename C>
  C operator()(C x) const {
    return x > C(alpha) ? x : C(0);
  }
};

// Shrink takes every numeric type; integers compute in double and round toward zero on store.
struct Shrink {
  static constexpr TypeSet kTypes = TypeSet::kNumeric;
  static constexpr double kFlops = 2;
  float lambd, bias;
  explicit Shrink(const ir::Node& n) : lambd(n.attr_float("lambd", 0.5f)), bias(n.attr_float("bias", 0.0f)) {}
  template <typename C>
  C operator()(C x) const {
    using D = std::conditional_t<is_float_v<C>, C, double>;
    const D v = static_cast<D>(x);
    const D y = v < -D(lambd) ? v + D(bias) : v > D(lambd) ? v - D(bias) : D(0);
    if constexpr (is_float_v<C>)
      return y;
    else
      return from_double<C>(y);
  }
};

struct Gelu {
  static constexpr TypeSet kTypes = TypeSet::kFloat;
  static constexpr double kFlops = kTranscendental + 6;
  std::string approximate;
  bool tanh_approximation = approximate == "tanh";
  explicit Gelu(const ir::Node& n) : approximate(n.attr_string("approximate", "none")) {}
  Status check(const ir::Node& n) const {
    if (approximate == "none" || approximate == "tanh") return Status::ok();
    return invalid_argument(n.describe() + ": approximate is '" + approximate + "'; use 'none' or 'tanh'");
  }
  template <typename C>
  C operator()(C x) const {
    if (tanh_approximation) {
      const C k = static_cast<C>(0.7978845608028654);  // sqrt(2 / pi)
      return C(0.5) * x * (C(1) + std::tanh(k * (x + C(0.044715) * x * x * x)));
    }
    return C(0.5) * x * (C(1) + std::erf(x * static_cast<C>(0.7071067811865476)));  // x / sqrt(2)
  }
};

struct Mish {
  static constexpr TypeSet kTypes = TypeSet::kFloat;
  static constexpr double kFlops = 3 * kTranscendental + 3;
  template <typename C>
  C operator()(C x) const {
    const C softplus = std::max(x, C(0)) + std::log1p(std::exp(-std::abs(x)));
    return x * std::tanh(softplus);
  }
};

}  // namespace

#define KILN_REGISTER_ACTIVATION(Name)            \
  KILN_REGISTER_OP({.op_type = #Name,             \
                    .infer = infer_unary<Name>,   \
                    .reference = run_unary<Name>, \
                    .cost = elementwise_cost<Name>, \
                    .memory = Memory::kInPlace})
KILN_REGISTER_ACTIVATION(LeakyRelu);
KILN_REGISTER_ACTIVATION(Elu);
KILN_REGISTER_ACTIVATION(Selu);
KILN_REGISTER_ACTIVATION(Celu);
KILN_REGISTER_ACTIVATION(HardSigmoid);
KILN_REGISTER_ACTIVATION(HardSwish);
KILN_REGISTER_ACTIVATION(ThresholdedRelu);
KILN_REGISTER_ACTIVATION(Shrink);
KILN_REGISTER_ACTIVATION(Gelu);
KILN_REGISTER_ACTIVATION(Mish);
#undef KILN_REGISTER_ACTIVATION

}  // namespace kiln::ops
