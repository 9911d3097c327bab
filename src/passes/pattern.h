// What the passes share: matching helpers (op types, constants, single readers) and a Rewriter
// that edits a graph safely. Every pass follows the same shape: sweep the nodes, match a pattern,
// rewrite through the Rewriter, count; the Rewriter refuses edits that would rename a graph output
// or change a value a subgraph reads by name.
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "ir/graph.h"
#include "passes/pass.h"

namespace kiln::passes {

/// True for a node of the default ONNX domain with this op type.
bool is_op(const ir::Node* n, std::string_view op_type);
/// The constant tensor held by `v`, or null.
const Tensor* constant_of(const ir::Value* v);
/// When `v` is a constant whose elements all equal one number (a scalar or a splat), that number.
std::optional<double> splat_value(const ir::Value* v);
/// True when `v`'s value is `want` in every element (see splat_value).
bool is_splat(const ir::Value* v, double want);
/// True when both values have fully known, equal shapes.
bool same_shape(const ir::Value* a, const ir::Value* b);
/// The other input of a two-input node (`one` is one of its inputs), or null.
ir::Value* other_input(const ir::Node* n, const ir::Value* one);
/// Appends `op_types` to `n`'s `kiln_fused` strings (what `kiln inspect` shows as folded in).
void add_fused(ir::Node* n, const std::vector<std::string>& op_types);
/// Same, with the op types of `absorbed` (a matched pattern that `n` replaces).
void add_fused(ir::Node* n, const std::vector<ir::Node*>& absorbed);
/// Sets a string / float / floats / int / ints attribute.
void set_attr(ir::Node* n, const std::string& key, const std::string& s);
void set_attr(ir::Node* n, const std::string& key, float f);
void set_attr(ir::Node* n, const std::string& key, std::vector<float> floats);
void set_attr(ir::Node* n, const std::string& key, int64_t i);
void set_attr(ir::Node* n, const std::string& key, std::vector<int64_t> ints);

/// Edits one graph during one sweep of a pass. Erased nodes stay in the node list (so pointers
/// stay valid) until commit(); every query ignores them.
class Rewriter {
 public:
  explicit Rewriter(ir::Graph& g) : g_(g) {}

  ir::Graph& graph() { return g_; }
  /// A snapshot of the live nodes in schedule order (safe to iterate while rewriting).
  std::vector<ir::Node*> nodes() const;
  bool erased(const ir::Node* n) const { return erased_.count(n) != 0; }

  /// Live nodes that read `v` (each once, in schedule order).
  std::vector<ir::Node*> readers(const ir::Value* v) const;
  /// True when only nodes of this graph read `v`: not a graph output and not read by a subgraph.
  /// Such a value may be bypassed, re-produced or dropped.
  bool internal(const ir::Value* v) const;
  /// The one live node reading `v` when `v` is internal and read by exactly one node; else null.
  ir::Node* sole_reader(const ir::Value* v) const;

  /// Removes `n` at commit(); its outputs lose their producer now.
  void erase(ir::Node* n);
  /// Makes every reader of `from` read `to`, which holds the same tensor. When `from` is a graph
  /// output, `to`'s producer takes over `from` instead (so the output keeps its name); false when
  /// that is impossible (`to` is an input, a constant, an output or read by a subgraph) or a
  /// subgraph reads `from`.
  bool forward(ir::Value* from, ir::Value* to);
  /// `keep` takes over output 0 of `gone`, which is erased: `keep` now computes what `gone` did.
  void absorb(ir::Node* keep, ir::Node* gone);
  /// A new constant value named after `hint`.
  ir::Value* add_constant(const std::string& hint, Tensor t);
  /// A new node scheduled before `before` (at the end when null).
  ir::Node* add_node(std::unique_ptr<ir::Node> n, const ir::Node* before);

  /// Drops the erased nodes; returns how many there were.
  int commit();

 private:
  ir::Graph& g_;
  std::set<const ir::Node*> erased_;
};

/// Runs `sweep` (one pass over the graph, returning its rewrites) until it finds nothing more,
/// at most `max_sweeps` times; after each sweep that rewrote, commits, re-sorts and re-infers
/// shapes so the next sweep sees a consistent graph. Returns the rewrites summed.
Expected<PassResult> sweep_until_done(ir::Graph& g, const std::function<int(Rewriter&)>& sweep,
                                      int max_sweeps = 8);

}  // namespace kiln::passes
