// Elementwise nodes as one vectorized pass (cpu/ukernels/elementwise.h):
//   - kiln.ElementwiseChain, unary activations, and Add/Sub/Mul/Div/Max/Min/Clip with scalar
//     constant operands compile into a program of EwInstr, stored in the step's parameters;
//   - Add/Sub/Mul/Div of two tensors of one shape run the binary kernel;
//   - Add/Sub/Mul/Div of an NCHW tensor and a per-channel one ([1, C, 1, 1] or [C, 1, 1]) run a
//     one-instruction program per channel plane;
//   - Add/Sub/Mul/Div of a blocked [N, C/b, H, W, b] tensor and a blocked per-channel one
//     [N, C/b, 1, 1, b] (a squeeze-excite gate the layout pass kept blocked): one vector of lanes
//     per block plane.
// Parameters: {kProgram, n, (op, bits(a), bits(b)) * n} | {kSameShape, op} | {kPerChannel, op,
// small_input, channels, plane} | {kPerBlock, op, small_input, plane, lanes}.
#include <bit>
#include <cfloat>
#include <cstring>

#include "cpu/tactic.h"
#include "cpu/ukernels/elementwise.h"
#include "ops/fused_elementwise_chain.h"

namespace kiln::cpu {
namespace {

enum Mode : int64_t { kProgram = 0, kSameShape = 1, kPerChannel = 2, kPerBlock = 3 };

std::optional<float> scalar_of(const ir::Value* v) {
  if (!is_const_f32(v) || v->constant->numel() != 1) return std::nullopt;
  return v->constant->data<float>()[0];
}

/// One ONNX op on the running value (input `running` of `in`) as an instruction, or nullopt.
std::optional<EwInstr> compile_op(const std::string& op, int opset,
                                  const std::map<std::string, ir::Attribute>& attrs,
                                  const std::vector<const ir::Value*>& in, size_t running) {
  auto attr_f = [&](const char* k, float fallback) {
    auto it = attrs.find(k);
    return it == attrs.end() ? fallback : it->second.f;
  };
  static const std::map<std::string, EwOp> unary = {
      {"Relu", EwOp::kRelu}, {"Sigmoid", EwOp::kSigmoid}, {"Tanh", EwOp::kTanh},
      {"Exp", EwOp::kExp},   {"Neg", EwOp::kNeg},         {"Abs", EwOp::kAbs},
      {"Sqrt", EwOp::kSqrt}, {"Erf", EwOp::kErf},         {"HardSwish", EwOp::kHardSwish}};
  if (auto it = unary.find(op); it != unary.end()) {
    if (in.size() != 1) return std::nullopt;
    return EwInstr{it->second};
  }
  if (op == "HardSigmoid") return EwInstr{EwOp::kHardSigmoid, attr_f("alpha", 0.2f), attr_f("beta", 0.5f)};
  if (op == "LeakyRelu") return EwInstr{EwOp::kLeakyRelu, attr_f("alpha", 0.01f)};
  if (op == "Clip") {
    float lo = -FLT_MAX, hi = FLT_MAX;
    if (opset < 11) {
      lo = attr_f("min", lo);
      hi = attr_f("max", hi);
    } else {
      for (size_t i = 1; i < in.size(); ++i) {
        if (!in[i]) continue;
        auto c = scalar_of(in[i]);
        if (!c) return std::nullopt;
        (i == 1 ? lo : hi) = *c;
      }
    }
    return EwInstr{EwOp::kClip, lo, hi};
  }
  if (in.size() != 2) return std::nullopt;
  auto c = scalar_of(in[1 - running]);
  if (!c) return std::nullopt;
  const bool first = running == 0;
  if (op == "Add") return EwInstr{EwOp::kAddC, *c};
  if (op == "Mul") return EwInstr{EwOp::kMulC, *c};
  if (op == "Sub") return EwInstr{first ? EwOp::kSubC : EwOp::kRSubC, *c};
  if (op == "Div") return EwInstr{first ? EwOp::kDivC : EwOp::kRDivC, *c};
  if (op == "Max") return EwInstr{EwOp::kMaxC, *c};
  if (op == "Min") return EwInstr{EwOp::kMinC, *c};
  return std::nullopt;
}

std::optional<std::vector<EwInstr>> compile_program(const ir::Node& node) {
  std::vector<EwInstr> prog;
  if (node.domain == "kiln" && node.op_type == "ElementwiseChain") {
    auto steps = ops::read_chain(node);
    if (!steps) return std::nullopt;
    for (const ops::ChainStep& s : *steps) {
      std::vector<const ir::Value*> in;
      size_t running = 0, runs = 0;
      for (size_t i = 0; i < s.inputs.size(); ++i) {
        const int64_t k = s.inputs[i];
        if (k == ops::kRunningValue) {
          running = i;
          ++runs;
          in.push_back(nullptr);
        } else {
          in.push_back(k == ops::kAbsentInput ? nullptr : node.input(static_cast<size_t>(k)));
        }
      }
      if (runs != 1) return std::nullopt;
      auto instr = compile_op(s.op_type, s.opset, s.attrs, in, running);
      if (!instr) return std::nullopt;
      prog.push_back(*instr);
    }
    return prog;
  }
  if (!node.domain.empty() || node.inputs.empty()) return std::nullopt;
  // A plain node: the one non-constant input is the running value.
  size_t running = 0, runs = 0;
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    if (node.inputs[i] && !node.inputs[i]->is_constant()) {
      running = i;
      ++runs;
    }
  }
  if (runs != 1) return std::nullopt;
  std::vector<const ir::Value*> in(node.inputs.begin(), node.inputs.end());
  auto instr = compile_op(node.op_type, node.opset, node.attrs, in, running);
  if (!instr) return std::nullopt;
  return std::vector<EwInstr>{*instr};
}

const ir::Value* running_input(const ir::Node& node) {
  for (const ir::Value* v : node.inputs)
    if (v && !v->is_constant()) return v;
  return node.domain == "kiln" ? node.input(0) : nullptr;
}

std::optional<EwBinary> binary_op(const std::string& op) {
  if (op == "Add") return EwBinary::kAdd;
  if (op == "Sub") return EwBinary::kSub;
  if (op == "Mul") return EwBinary::kMul;
  if (op == "Div") return EwBinary::kDiv;
  return std::nullopt;
}

/// The step's parameters, or nullopt when no mode fits.
std::optional<std::vector<int64_t>> plan_node(const ir::Node& node) {
  const ir::Value* y = node.outputs.empty() ? nullptr : node.outputs[0];
  if (!is_static_f32(y)) return std::nullopt;
  if (auto prog = compile_program(node)) {
    const ir::Value* x = running_input(node);
    if (!is_static_f32(x) || shape_numel(x->shape) != shape_numel(y->shape)) return std::nullopt;
    std::vector<int64_t> p = {kProgram, static_cast<int64_t>(prog->size())};
    for (const EwInstr& i : *prog) {
      p.push_back(static_cast<int64_t>(i.op));
      p.push_back(std::bit_cast<int32_t>(i.a));
      p.push_back(std::bit_cast<int32_t>(i.b));
    }
    return p;
  }
  auto op = node.domain.empty() && node.inputs.size() == 2 ? binary_op(node.op_type) : std::nullopt;
  if (!op) return std::nullopt;
  const ir::Value *a = node.inputs[0], *b = node.inputs[1];
  if (!is_static_f32(a) || !is_static_f32(b)) return std::nullopt;
  if (a->shape == y->shape && b->shape == y->shape)
    return std::vector<int64_t>{kSameShape, static_cast<int64_t>(*op)};
  if (y->shape.size() == 5) {  // blocked: [N, C/b, H, W, b] and [N, C/b, 1, 1, b]
    const Shape& ys = y->shape;
    for (int small = 0; small < 2; ++small) {
      const ir::Value* big = small ? a : b;
      const ir::Value* s = small ? b : a;
      if (big->shape == ys && s->shape == Shape{ys[0], ys[1], 1, 1, ys[4]})
        return std::vector<int64_t>{kPerBlock, static_cast<int64_t>(*op), small, ys[2] * ys[3], ys[4]};
    }
    return std::nullopt;
  }
  // One operand [N, C, H, W] (the output's shape), the other [1, C, 1, 1] or [C, 1, 1].
  if (y->shape.size() != 4) return std::nullopt;
  for (int small = 0; small < 2; ++small) {
    const ir::Value* big = small ? a : b;
    const ir::Value* s = small ? b : a;
    if (big->shape != y->shape) continue;
    const int64_t c = y->shape[1];
    const bool per_channel = (s->shape == Shape{1, c, 1, 1}) || (s->shape == Shape{c, 1, 1});
    if (per_channel) {
      return std::vector<int64_t>{kPerChannel, static_cast<int64_t>(*op), small, c,
                                  y->shape[2] * y->shape[3]};
    }
  }
  return std::nullopt;
}

bool supports(const ir::Node& node, Isa isa) { return ew_kernels(isa) && plan_node(node).has_value(); }

using Params = ParamsOnly<plan_node>;

/// Splits [0, count) into chunks of at least 16K elements over the pool.
template <typename F>
void chunked(ThreadPool& pool, int64_t count, F&& f) {
  const int64_t chunks = std::max<int64_t>(1, std::min<int64_t>(pool.threads() * 4, count / 16384));
  pool.parallel_for(chunks, [&](int64_t t, int) {
    int64_t lo = count * t / chunks, hi = count * (t + 1) / chunks;
    lo = lo / 16 * 16;
    hi = t + 1 == chunks ? count : hi / 16 * 16;
    if (hi > lo) f(lo, hi);
  });
}

// One block plane: y[p][l] = x[p][l] op s[l] (s op x[p][l] when the small operand comes first);
// the blocked layouts' 8 or 16 lanes with the gate in locals.
template <int L, typename F>
void plane_of_lanes(const float* x, const float* s, float* y, int64_t plane, F f) {
  float g[L];
  for (int l = 0; l < L; ++l) g[l] = s[l];
  for (int64_t p = 0; p < plane; ++p, x += L, y += L)
    for (int l = 0; l < L; ++l) y[l] = f(x[l], g[l]);
}
template <typename F>
void plane_of_lanes(const float* x, const float* s, float* y, int64_t plane, int64_t lanes, F f) {
  if (lanes == 8) return plane_of_lanes<8>(x, s, y, plane, f);
  if (lanes == 16) return plane_of_lanes<16>(x, s, y, plane, f);
  for (int64_t p = 0; p < plane; ++p, x += lanes, y += lanes)
    for (int64_t l = 0; l < lanes; ++l) y[l] = f(x[l], s[l]);
}

void per_block(EwBinary op, bool small_second, const float* x, const float* s, float* y, int64_t plane,
               int64_t lanes) {
  switch (op) {
    case EwBinary::kAdd:
      return plane_of_lanes(x, s, y, plane, lanes, [](float u, float v) { return u + v; });
    case EwBinary::kMul:
      return plane_of_lanes(x, s, y, plane, lanes, [](float u, float v) { return u * v; });
    case EwBinary::kSub:
      if (small_second) return plane_of_lanes(x, s, y, plane, lanes, [](float u, float v) { return u - v; });
      return plane_of_lanes(x, s, y, plane, lanes, [](float u, float v) { return v - u; });
    case EwBinary::kDiv:
      if (small_second) return plane_of_lanes(x, s, y, plane, lanes, [](float u, float v) { return u / v; });
      return plane_of_lanes(x, s, y, plane, lanes, [](float u, float v) { return v / u; });
  }
}

Status run(const TacticArgs& a) {
  const EwKernels& k = *ew_kernels(a.isa);
  const std::span<const int64_t> p = a.params;
  float* y = a.outputs[0]->data<float>();
  const int64_t count = a.outputs[0]->numel();
  switch (p[0]) {
    case kProgram: {
      EwInstr prog[32];
      const int n = static_cast<int>(p[1]);
      if (n > 32) return unsupported(a.node.describe() + ": elementwise program longer than 32 steps");
      for (int i = 0; i < n; ++i)
        prog[i] = {static_cast<EwOp>(p[2 + 3 * i]), std::bit_cast<float>(static_cast<int32_t>(p[3 + 3 * i])),
                   std::bit_cast<float>(static_cast<int32_t>(p[4 + 3 * i]))};
      const ir::Value* xv = running_input(a.node);
      const float* x = nullptr;
      for (size_t i = 0; i < a.node.inputs.size(); ++i)
        if (a.node.inputs[i] == xv) x = a.inputs[i]->data<float>();
      chunked(a.pool, count, [&](int64_t lo, int64_t hi) { k.program(prog, n, x + lo, y + lo, hi - lo); });
      return Status::ok();
    }
    case kSameShape: {
      const float *x = a.inputs[0]->data<float>(), *z = a.inputs[1]->data<float>();
      chunked(a.pool, count, [&](int64_t lo, int64_t hi) {
        k.binary(static_cast<EwBinary>(p[1]), x + lo, z + lo, y + lo, hi - lo);
      });
      return Status::ok();
    }
    case kPerChannel: {
      const auto op = static_cast<EwBinary>(p[1]);
      const bool small_second = p[2] != 0;
      const int64_t channels = p[3], plane = p[4];
      const float* big = a.inputs[small_second ? 0 : 1]->data<float>();
      const float* small = a.inputs[small_second ? 1 : 0]->data<float>();
      a.pool.parallel_for(count / plane, [&](int64_t t, int) {
        const float c = small[t % channels];
        EwInstr in;
        switch (op) {
          case EwBinary::kAdd:
            in = {EwOp::kAddC, c};
            break;
          case EwBinary::kMul:
            in = {EwOp::kMulC, c};
            break;
          case EwBinary::kSub:
            in = {small_second ? EwOp::kSubC : EwOp::kRSubC, c};
            break;
          case EwBinary::kDiv:
            in = {small_second ? EwOp::kDivC : EwOp::kRDivC, c};
            break;
        }
        k.program(&in, 1, big + t * plane, y + t * plane, plane);
      });
      return Status::ok();
    }
    case kPerBlock: {
      const auto op = static_cast<EwBinary>(p[1]);
      const bool small_second = p[2] != 0;
      const int64_t plane = p[3], lanes = p[4];
      const float* big = a.inputs[small_second ? 0 : 1]->data<float>();
      const float* small = a.inputs[small_second ? 1 : 0]->data<float>();
      a.pool.parallel_for(count / (plane * lanes), [&](int64_t t, int) {
        per_block(op, small_second, big + t * plane * lanes, small + t * lanes, y + t * plane * lanes, plane,
                  lanes);
      });
      return Status::ok();
    }
  }
  return internal_error(a.node.describe() + ": elementwise tactic mode " + std::to_string(p[0]));
}

}  // namespace

#define KILN_EW(op, domain)                                                                                 \
  KILN_REGISTER_TACTIC({"elementwise.avx512", op, domain, Isa::kAvx512, supports, Params::prepare, nullptr, \
                        run, Params::check});                                                               \
  KILN_REGISTER_TACTIC(                                                                                     \
      {"elementwise.avx2", op, domain, Isa::kAvx2, supports, Params::prepare, nullptr, run, Params::check})
KILN_EW("ElementwiseChain", "kiln");
KILN_EW("Add", "");
KILN_EW("Sub", "");
KILN_EW("Mul", "");
KILN_EW("Div", "");
KILN_EW("Max", "");
KILN_EW("Min", "");
KILN_EW("Clip", "");
KILN_EW("Relu", "");
KILN_EW("Sigmoid", "");
KILN_EW("Tanh", "");
KILN_EW("Exp", "");
KILN_EW("Neg", "");
KILN_EW("Abs", "");
KILN_EW("Sqrt", "");
KILN_EW("Erf", "");
KILN_EW("HardSwish", "");
KILN_EW("HardSigmoid", "");
KILN_EW("LeakyRelu", "");

}  // namespace kiln::cpu
