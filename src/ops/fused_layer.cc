// kiln.FusedConv / FusedConvTranspose / FusedGemm / FusedMatMul: the base op's reference, then the
// bias (FusedMatMul), residual and activation epilogue described in fused_layer.h.
#include "ops/fused_layer.h"

#include "ops/elementwise.h"
#include "ops/spatial.h"

namespace kiln::ops {

const char* activation_name(Activation a) {
  switch (a) {
    case Activation::kNone:
      return "";
    case Activation::kRelu:
      return "Relu";
    case Activation::kClip:
      return "Clip";
    case Activation::kLeakyRelu:
      return "LeakyRelu";
    case Activation::kSigmoid:
      return "Sigmoid";
    case Activation::kHardSigmoid:
      return "HardSigmoid";
    case Activation::kHardSwish:
      return "HardSwish";
    case Activation::kSiLU:
      return "SiLU";
    case Activation::kTanh:
      return "Tanh";
    case Activation::kGelu:
      return "Gelu";
    case Activation::kGeluTanh:
      return "GeluTanh";
  }
  return "";
}

std::optional<Activation> parse_activation(std::string_view name) {
  for (Activation a : {Activation::kNone, Activation::kRelu, Activation::kClip, Activation::kLeakyRelu,
                       Activation::kSigmoid, Activation::kHardSigmoid, Activation::kHardSwish,
                       Activation::kSiLU, Activation::kTanh, Activation::kGelu, Activation::kGeluTanh}) {
    if (name == activation_name(a)) return a;
  }
  return std::nullopt;
}

size_t activation_param_count(Activation a) {
  switch (a) {
    case Activation::kClip:
    case Activation::kHardSigmoid:
      return 2;
    case Activation::kLeakyRelu:
      return 1;
    case Activation::kNone:
    case Activation::kRelu:
    case Activation::kSigmoid:
    case Activation::kHardSwish:
    case Activation::kSiLU:
    case Activation::kTanh:
    case Activation::kGelu:
    case Activation::kGeluTanh:
      return 0;
  }
  return 0;
}

namespace {

struct Epilogue {
  std::string base;  // "Conv", "Gemm", ...
  Activation activation = Activation::kNone;
  std::vector<float> params;
  enum class Residual { kNone, kBefore, kAfter } residual = Residual::kNone;
  std::vector<float> affine;  // {scale, shift} after the activation, or empty
};

Expected<Epilogue> read_epilogue(const ir::Node& node) {
  Epilogue e;
  e.base = node.op_type.substr(std::string_view(kFusedPrefix).size());
  auto act = parse_activation(node.attr_string("activation", ""));
  if (!act) {
    return invalid_argument(node.describe() + ": unknown activation '" + node.attr_string("activation", "") +
                            "' (see src/ops/fused_layer.h for the list)");
  }
  e.activation = *act;
  e.params = node.attr_floats("activation_params");
  if (e.params.size() != activation_param_count(e.activation)) {
    return invalid_argument(node.describe() + ": activation " + activation_name(e.activation) + " takes " +
                            std::to_string(activation_param_count(e.activation)) +
                            " activation_params, got " + std::to_string(e.params.size()));
  }
  e.affine = node.attr_floats("output_affine");
  if (!e.affine.empty() && e.affine.size() != 2)
    return invalid_argument(node.describe() + ": output_affine takes 2 floats {scale, shift}, got " +
                            std::to_string(e.affine.size()));
  const std::string pos = node.attr_string("residual_position", "");
  if (pos == "before")
    e.residual = Epilogue::Residual::kBefore;
  else if (pos == "after")
    e.residual = Epilogue::Residual::kAfter;
  else if (!pos.empty())
    return invalid_argument(node.describe() + ": residual_position is '" + pos +
                            "'; use 'before' or 'after'");
  const bool has_residual = node.input(kResidualInput) != nullptr;
  if ((e.residual != Epilogue::Residual::kNone) != has_residual)
    return invalid_argument(node.describe() +
                            ": residual_position and input 3 (the residual) must come together");
  return e;
}

const OpDef& base_def(const Epilogue& e) { return *find_op("", e.base); }

// Inputs the base op's reference reads: X, W, B (Conv, ConvTranspose); A, B, C (Gemm); A, B (MatMul).
size_t base_inputs(const Epilogue& e) { return e.base == "MatMul" ? 2 : 3; }

Status infer(InferContext& ctx) {
  KILN_ASSIGN_OR_RETURN(Epilogue e, read_epilogue(ctx.node));
  KILN_RETURN_IF_ERROR(base_def(e).infer(ctx));
  if (!ctx.outputs.empty() && !dtype_is_float(ctx.outputs[0].dtype))
    return ctx.error("a fused layer computes float types only");
  return Status::ok();
}

// y op= t broadcast to y's shape (t must not grow it).
template <typename T>
Status add_broadcast(const RunContext& ctx, Tensor& y, const Tensor& t, bool last_axis, const char* what) {
  if (t.dtype() != y.dtype()) return ctx.error(std::string(what) + " must have the output's type");
  Shape shape = t.shape();
  if (last_axis && t.rank() == 1) {  // a bias vector runs along the last axis
    shape.assign(static_cast<size_t>(y.rank()), 1);
    if (y.rank() > 0) shape.back() = t.numel();
  }
  KILN_ASSIGN_OR_RETURN(Shape b, broadcast_shapes(ctx.node, {y.shape(), shape}));
  if (b != y.shape()) {
    return ctx.error(std::string(what) + " (" + shape_str(t.shape()) + ") would broadcast the output (" +
                     shape_str(y.shape()) + ")");
  }
  const BroadcastIndex at(shape, y.shape());
  T* dst = y.data<T>();
  const T* src = t.data<T>();
  for (int64_t i = 0; i < y.numel(); ++i)
    dst[i] = static_cast<T>(static_cast<compute_t<T>>(dst[i]) + static_cast<compute_t<T>>(src[at[i]]));
  return Status::ok();
}

template <typename T>
void activate_all(const Epilogue& e, Tensor& y) {
  if (e.activation == Activation::kNone && e.affine.empty()) return;
  T* p = y.data<T>();
  using C = compute_t<T>;
  for (int64_t i = 0; i < y.numel(); ++i) {
    C v = activate(e.activation, e.params, static_cast<C>(p[i]));
    if (!e.affine.empty()) v = v * C(e.affine[0]) + C(e.affine[1]);
    p[i] = static_cast<T>(v);
  }
}

Status run(RunContext& ctx) {
  KILN_ASSIGN_OR_RETURN(Epilogue e, read_epilogue(ctx.node));
  std::vector<const Tensor*> in;
  for (size_t i = 0; i < base_inputs(e); ++i) in.push_back(ctx.has_input(i) ? &ctx.input(i) : nullptr);
  RunContext base(ctx.node, in, ctx.subgraphs());
  KILN_RETURN_IF_ERROR(base_def(e).reference(base));
  Tensor y = base.output(0);
  for (const Tensor* t : in)  // the epilogue writes y in place: never into an input's bytes
    if (t && t->raw() == y.raw()) y = y.clone();
  KILN_RETURN_IF_ERROR(visit_float_dtype(y.dtype(), ctx.node.describe().c_str(), [&]<typename T>() -> Status {
    if (e.base == "MatMul" && ctx.has_input(2))
      KILN_RETURN_IF_ERROR(add_broadcast<T>(ctx, y, ctx.input(2), true, "bias"));
    const Tensor* r = ctx.has_input(kResidualInput) ? &ctx.input(kResidualInput) : nullptr;
    if (r && e.residual == Epilogue::Residual::kBefore)
      KILN_RETURN_IF_ERROR(add_broadcast<T>(ctx, y, *r, false, "residual"));
    activate_all<T>(e, y);
    if (r && e.residual == Epilogue::Residual::kAfter)
      KILN_RETURN_IF_ERROR(add_broadcast<T>(ctx, y, *r, false, "residual"));
    return Status::ok();
  }));
  ctx.set_output(0, std::move(y));
  return Status::ok();
}

// The base op's cost plus the epilogue's operations per output element.
Cost cost(const ir::Node& node, std::span<const TensorType> in, std::span<const TensorType> out) {
  auto e = read_epilogue(node);
  if (!e) return per_element_cost(1, in, out);
  const OpDef& def = base_def(*e);
  Cost c = def.cost ? def.cost(node, in, out) : per_element_cost(1, in, out);
  double per_element = 0;
  switch (e->activation) {
    case Activation::kNone:
      break;
    case Activation::kRelu:
    case Activation::kClip:
    case Activation::kLeakyRelu:
      per_element += 2;
      break;
    case Activation::kHardSigmoid:
    case Activation::kHardSwish:
      per_element += 5;
      break;
    case Activation::kSigmoid:
    case Activation::kSiLU:
    case Activation::kTanh:
    case Activation::kGelu:
    case Activation::kGeluTanh:
      per_element += 12;
      break;
  }
  if (e->base == "MatMul" && in.size() > 2 && in[2].dtype != DataType::kUndefined) per_element += 1;
  if (e->residual != Epilogue::Residual::kNone) per_element += 1;
  if (!e->affine.empty()) per_element += 2;
  if (!out.empty()) c.flops += per_element * known_numel(out[0]);
  return c;
}

}  // namespace

#define KILN_REGISTER_FUSED(Base)                                 \
  KILN_REGISTER_OP({.op_type = std::string(kFusedPrefix) + #Base, \
                    .domain = "kiln",                             \
                    .infer = infer,                               \
                    .reference = run,                             \
                    .cost = cost})
KILN_REGISTER_FUSED(Conv);
KILN_REGISTER_FUSED(ConvTranspose);
KILN_REGISTER_FUSED(Gemm);
KILN_REGISTER_FUSED(MatMul);
#undef KILN_REGISTER_FUSED

}  // namespace kiln::ops
