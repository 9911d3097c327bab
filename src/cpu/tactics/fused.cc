#include "cpu/tactics/fused.h"

#include "cpu/tactic.h"
#include "ops/fused_layer.h"

namespace kiln::cpu {

std::optional<Epilogue> fused_epilogue(const ir::Node& node) {
  Epilogue e;
  if (node.domain != "kiln") return e;
  auto act = ops::parse_activation(node.attr_string("activation", ""));
  if (!act) return std::nullopt;
  std::vector<float> p = node.attr_floats("activation_params");
  if (p.size() != ops::activation_param_count(*act)) return std::nullopt;
  e.activation = static_cast<int>(*act);
  if (p.size() > 0) e.alpha = p[0];
  if (p.size() > 1) e.beta = p[1];
  if (node.has_attr("output_affine")) {
    const std::vector<float> a = node.attr_floats("output_affine");
    if (a.size() != 2) return std::nullopt;
    e.affine = true, e.scale = a[0], e.shift = a[1];
  }
  const std::string pos = node.attr_string("residual_position", "");
  if (pos != "" && pos != "before" && pos != "after") return std::nullopt;
  e.residual_before = pos != "after";
  if ((pos != "") != (residual_input(node) != nullptr)) return std::nullopt;
  return e;
}

bool epilogue_supported(const ir::Node& node, int64_t channels) {
  if (channels > 0) {
    const ir::Value* b = node.input(2);
    if (b && (!is_const_f32(b) || b->constant->numel() != channels)) return false;
  }
  if (!fused_epilogue(node)) return false;
  const ir::Value* r = residual_input(node);
  return !r ||
         (is_static_f32(r) && !node.outputs.empty() && node.outputs[0] && r->shape == node.outputs[0]->shape);
}

const ir::Value* residual_input(const ir::Node& node) {
  return node.domain == "kiln" ? node.input(ops::kResidualInput) : nullptr;
}

}  // namespace kiln::cpu
