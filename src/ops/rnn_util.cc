#include "ops/rnn_util.h"

#include <cctype>

namespace kiln::ops {
namespace {

struct ActInfo {
  const char* name;  // lower case
  ActKind kind;
  int params;  // how many of alpha, beta it reads
  float alpha, beta;
};

// Defaults are those of the standalone ONNX ops of the same name.
constexpr ActInfo kActivations[] = {
    {"relu", ActKind::kRelu, 0, 0, 0},
    {"tanh", ActKind::kTanh, 0, 0, 0},
    {"sigmoid", ActKind::kSigmoid, 0, 0, 0},
    {"affine", ActKind::kAffine, 2, 1.0f, 0.0f},
    {"leakyrelu", ActKind::kLeakyRelu, 1, 0.01f, 0},
    {"thresholdedrelu", ActKind::kThresholdedRelu, 1, 1.0f, 0},
    {"scaledtanh", ActKind::kScaledTanh, 2, 1.0f, 1.0f},
    {"hardsigmoid", ActKind::kHardSigmoid, 2, 0.2f, 0.5f},
    {"elu", ActKind::kElu, 1, 1.0f, 0},
    {"softsign", ActKind::kSoftsign, 0, 0, 0},
    {"softplus", ActKind::kSoftplus, 0, 0, 0},
};

}  // namespace

Expected<RnnAttrs> read_rnn_attrs(const ir::Node& node, const std::vector<std::string>& defaults) {
  RnnAttrs a;
  a.hidden = node.attr_int("hidden_size", 0);
  if (a.hidden <= 0) return invalid_argument(node.describe() + ": hidden_size must be given and positive");
  const std::string dir = node.attr_string("direction", "forward");
  if (dir == "bidirectional") {
    a.num_directions = 2;
  } else if (dir == "reverse") {
    a.reverse_only = true;
  } else if (dir != "forward") {
    return invalid_argument(node.describe() + ": direction '" + dir +
                            "' is not one of forward, reverse, bidirectional");
  }
  a.layout = node.opset >= 14 ? node.attr_int("layout", 0) : 0;
  if (a.layout != 0 && a.layout != 1) return invalid_argument(node.describe() + ": layout must be 0 or 1");
  a.clip = node.has_attr("clip") ? node.attr_float("clip", 0) : 0;
  if (a.clip < 0) return invalid_argument(node.describe() + ": clip must be positive");
  std::vector<std::string> names;
  if (node.has_attr("activations")) {
    const ir::Attribute* at = node.attr("activations");
    names = at->strings;
  }
  const size_t per_dir = defaults.size();
  if (names.empty()) {
    for (int64_t d = 0; d < a.num_directions; ++d)
      names.insert(names.end(), defaults.begin(), defaults.end());
  } else if (names.size() == per_dir && a.num_directions == 2) {
    std::vector<std::string> both = names;
    both.insert(both.end(), names.begin(), names.end());
    names = both;
  }
  if (names.size() != per_dir * static_cast<size_t>(a.num_directions)) {
    return invalid_argument(node.describe() + ": activations lists " + std::to_string(names.size()) +
                            " functions; expected " + std::to_string(per_dir) + " per direction");
  }
  const std::vector<float> alphas = node.attr_floats("activation_alpha");
  const std::vector<float> betas = node.attr_floats("activation_beta");
  size_t next_alpha = 0, next_beta = 0;
  for (const std::string& name : names) {
    std::string lower;
    for (char c : name) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    const ActInfo* info = nullptr;
    for (const ActInfo& ai : kActivations) {
      if (lower == ai.name) info = &ai;
    }
    if (info == nullptr)
      return invalid_argument(node.describe() + ": activation '" + name + "' is not supported");
    Activation act{info->kind, info->alpha, info->beta};
    // activation_alpha / activation_beta hold the parameters of the functions that take them, in order.
    if (info->params >= 1 && next_alpha < alphas.size()) act.alpha = alphas[next_alpha++];
    if (info->params >= 2 && next_beta < betas.size()) act.beta = betas[next_beta++];
    a.activations.push_back(act);
  }
  return a;
}

Status infer_rnn(InferContext& ctx, int64_t gates, const std::vector<std::string>& default_activations) {
  KILN_ASSIGN_OR_RETURN(RnnAttrs a, read_rnn_attrs(ctx.node, default_activations));
  const DataType dt = ctx.dtype(0);
  if (!dtype_is_float(dt))
    return ctx.error(std::string("input type ") + dtype_name(dt) + " is not supported (use a float type)");
  int64_t seq = -1, batch = -1;
  if (ctx.input(0).rank_known) {
    const Shape& x = ctx.shape(0);
    if (x.size() != 3) return ctx.error("X must be 3-D; got " + shape_str(x));
    seq = a.layout == 0 ? x[0] : x[1];
    batch = a.layout == 0 ? x[1] : x[0];
  }
  if (ctx.input(1).rank_known) {
    const Shape& w = ctx.shape(1);
    if (w.size() != 3) return ctx.error("W must be 3-D; got " + shape_str(w));
    if ((w[0] >= 0 && w[0] != a.num_directions) || (w[1] >= 0 && w[1] != gates * a.hidden)) {
      return ctx.error("W has shape " + shape_str(w) + "; expected [" + std::to_string(a.num_directions) +
                       ", " + std::to_string(gates * a.hidden) + ", input_size]");
    }
  }
  const int64_t dn = a.num_directions, h = a.hidden;
  ctx.set_output(0, dt, a.layout == 0 ? Shape{seq, dn, batch, h} : Shape{batch, seq, dn, h});
  for (size_t i = 1; i < ctx.num_outputs(); ++i) {
    ctx.set_output(i, dt, a.layout == 0 ? Shape{dn, batch, h} : Shape{batch, dn, h});
  }
  return Status::ok();
}

Status check_rnn_shapes(RunContext& ctx, const RnnAttrs& a, int64_t gates, int64_t& seq, int64_t& batch,
                        int64_t& input) {
  const Tensor& x = ctx.input(0);
  if (x.rank() != 3) return ctx.error("X must be 3-D; got " + shape_str(x.shape()));
  seq = a.layout == 0 ? x.dim(0) : x.dim(1);
  batch = a.layout == 0 ? x.dim(1) : x.dim(0);
  input = x.dim(2);
  const int64_t dn = a.num_directions, gh = gates * a.hidden;
  auto expect = [&](size_t i, const Shape& want, const char* name) -> Status {
    if (ctx.input(i).shape() != want) {
      return ctx.error(std::string(name) + " has shape " + shape_str(ctx.input(i).shape()) + "; expected " +
                       shape_str(want));
    }
    return Status::ok();
  };
  KILN_RETURN_IF_ERROR(expect(1, {dn, gh, input}, "W"));
  KILN_RETURN_IF_ERROR(expect(2, {dn, gh, a.hidden}, "R"));
  if (ctx.has_input(3)) KILN_RETURN_IF_ERROR(expect(3, {dn, 2 * gh}, "B"));
  if (ctx.has_input(4)) KILN_RETURN_IF_ERROR(expect(4, {batch}, "sequence_lens"));
  return Status::ok();
}

Cost rnn_cost(const ir::Node& node, std::span<const TensorType> in, std::span<const TensorType> out) {
  // 2 flops per weight per step and batch row: W and R together hold G*H*(input + H) per direction.
  const double steps_x_batch = in[0].rank_known && in[0].shape.size() == 3
                                   ? type_numel(in[0]) / std::max<int64_t>(in[0].shape[2], 1)
                                   : 0;
  const double weights = type_numel(in[1]) + type_numel(in[2]);
  return {.flops = 2 * steps_x_batch * weights, .bytes = io_bytes(in, out)};
}

}  // namespace kiln::ops
