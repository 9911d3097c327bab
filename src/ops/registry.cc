#include <map>
#include <mutex>

#include "ops/op.h"

namespace kiln::ops {

bool TensorType::shape_known() const {
  if (!rank_known) return false;
  for (int64_t d : shape)
    if (d < 0) return false;
  return true;
}

namespace {
std::map<std::pair<std::string, std::string>, OpDef>& registry() {
  static std::map<std::pair<std::string, std::string>, OpDef> r;
  return r;
}
std::string canonical_domain(const std::string& d) { return d == "ai.onnx" ? "" : d; }
}  // namespace

bool register_op(OpDef def) {
  auto key = std::make_pair(canonical_domain(def.domain), def.op_type);
  registry()[key] = std::move(def);
  return true;
}

const OpDef* find_op(const std::string& domain, const std::string& op_type) {
  auto it = registry().find({canonical_domain(domain), op_type});
  return it == registry().end() ? nullptr : &it->second;
}

std::vector<const OpDef*> all_ops() {
  std::vector<const OpDef*> out;
  for (auto& [k, v] : registry()) out.push_back(&v);
  return out;
}

int in_place_input(const OpDef& def, const ir::Node& node) {
  if (def.memory != Memory::kInPlace) return -1;
  return def.in_place_input ? def.in_place_input(node) : 0;
}

Cost op_cost(const ir::Node& node, std::span<const TensorType> inputs, std::span<const TensorType> outputs) {
  const OpDef* def = find_op(node.domain, node.op_type);
  if (def && def->cost) return def->cost(node, inputs, outputs);
  Cost c;
  for (const auto& t : inputs)
    if (t.shape_known()) c.bytes += static_cast<double>(shape_numel(t.shape) * dtype_size(t.dtype));
  for (const auto& t : outputs) {
    if (!t.shape_known()) continue;
    c.bytes += static_cast<double>(shape_numel(t.shape) * dtype_size(t.dtype));
    c.flops += static_cast<double>(shape_numel(t.shape));
  }
  return c;
}

}  // namespace kiln::ops
