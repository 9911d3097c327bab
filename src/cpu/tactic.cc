#include "cpu/tactic.h"

#include <algorithm>
#include <deque>
#include <limits>

namespace kiln::cpu {
namespace {
std::deque<Tactic>& registry() {
  static std::deque<Tactic> r;  // stable addresses: find_tactic hands out pointers
  return r;
}
std::vector<Tactic>& snapshot() {
  static std::vector<Tactic> s;
  return s;
}
}  // namespace

bool register_tactic(Tactic tactic) {
  registry().push_back(std::move(tactic));
  snapshot().assign(registry().begin(), registry().end());
  return true;
}

const Tactic* find_tactic(const std::string& name) {
  for (const Tactic& t : registry())
    if (t.name == name) return &t;
  return nullptr;
}

std::vector<const Tactic*> tactics_for(const ir::Node& node, Isa isa) {
  std::vector<const Tactic*> out;
  for (const Tactic& t : registry()) {
    if (t.op_type != node.op_type || t.domain != node.domain) continue;
    if (t.isa > isa) continue;
    if (t.supports(node, t.isa)) out.push_back(&t);
  }
  // Widest ISA first, then the tactics' own preference: the heuristic choice is the first.
  std::stable_sort(out.begin(), out.end(), [](const Tactic* a, const Tactic* b) {
    return a->isa != b->isa ? a->isa > b->isa : a->priority > b->priority;
  });
  return out;
}

Expected<const Tactic*> resolve_tactic(const std::string& name, const ir::Node& node,
                                       std::span<const Tensor* const> prepared,
                                       std::span<const int64_t> params) {
  const Tactic* t = nullptr;
  for (const Tactic& c : registry())
    if (c.name == name && c.op_type == node.op_type && c.domain == node.domain) t = &c;
  if (!t) {
    return unsupported(node.describe() + ": tactic '" + name +
                       "' is not in this kiln (rebuild the plan with this version)");
  }
  if (t->isa > host_isa())
    return unsupported(node.describe() + ": tactic '" + name + "' needs " + isa_name(t->isa) +
                       ", this CPU has " + isa_name(host_isa()));
  if (!t->supports(node, t->isa))
    return corrupt(node.describe() + ": tactic '" + name + "' cannot run this node as the plan describes it");
  if (t->check && !t->check(node, t->isa, prepared, params))
    return corrupt(node.describe() + ": the prepared weights or parameters of tactic '" + name +
                   "' do not match the node");
  return t;
}

const std::vector<Tactic>& all_tactics() { return snapshot(); }

bool is_static_f32(const ir::Value* v) {
  if (!v || v->dtype != DataType::kFloat32 || !v->rank_known || v->is_sequence) return false;
  // The product of the nonzero dims, with room for bytes and an index: every element count, stride
  // or byte size a tactic forms from the shape then fits int64 (a corrupt plan may carry any dim;
  // a tactic that does not support the node makes the plan an error naming the step).
  constexpr int64_t kMost = std::numeric_limits<int64_t>::max() / 64;
  int64_t product = 1;
  for (int64_t d : v->shape) {
    if (d < 0 || (d > 1 && product > kMost / d)) return false;
    product *= std::max<int64_t>(d, 1);
  }
  return true;
}

bool is_const_f32(const ir::Value* v) {
  return v && v->is_constant() && v->constant->dtype() == DataType::kFloat32;
}

}  // namespace kiln::cpu
