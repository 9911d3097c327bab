// kiln's graph IR: Values (tensors flowing between nodes), Nodes (one op each) and Graphs
// (a topologically ordered list of nodes, with inputs, outputs and constant initializers).
// Subgraphs (If/Loop/Scan bodies) are Graphs held by a node attribute; a subgraph may read values
// of enclosing graphs by name ("outer" values).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kiln/status.h"
#include "kiln/tensor.h"

namespace kiln::ir {

class Graph;
class Node;

/// A tensor in the graph. `shape` uses -1 for a dimension not known until run time; an empty
/// `shape` with `rank_known == false` means even the rank is unknown.
struct Value {
  std::string name;
  DataType dtype = DataType::kUndefined;
  Shape shape;
  bool rank_known = false;
  bool is_sequence = false;            // an ONNX sequence of tensors of `dtype`
  Node* producer = nullptr;            // null for graph inputs, initializers and outer values
  std::optional<Tensor> constant;      // initializers and folded constants
  std::vector<std::string> dim_names;  // symbolic names of dims (from ONNX dim_param), may be empty

  bool is_constant() const { return constant.has_value(); }
  bool shape_known() const;
};

struct Attribute {
  enum class Kind { kFloat, kInt, kString, kTensor, kGraph, kFloats, kInts, kStrings, kTensors, kGraphs };
  Kind kind = Kind::kInt;
  float f = 0;
  int64_t i = 0;
  std::string s;
  Tensor t;
  std::shared_ptr<Graph> g;
  std::vector<float> floats;
  std::vector<int64_t> ints;
  std::vector<std::string> strings;
  std::vector<Tensor> tensors;
  std::vector<std::shared_ptr<Graph>> graphs;
};

const char* attribute_kind_name(Attribute::Kind k);

class Node {
 public:
  std::string name;             // unique within its graph (the importer invents one when ONNX has none)
  std::string op_type;          // ONNX op type, e.g. "Conv"
  std::string domain;           // "" for the default ONNX domain
  int opset = 0;                // opset version of `domain` the model was written for
  std::vector<Value*> inputs;   // nullptr where an optional input is absent
  std::vector<Value*> outputs;  // nullptr where an optional output is not requested
  std::map<std::string, Attribute> attrs;

  const Value* input(size_t i) const { return i < inputs.size() ? inputs[i] : nullptr; }
  bool has_input(size_t i) const { return input(i) != nullptr; }
  bool has_attr(const std::string& key) const { return attrs.count(key) != 0; }
  const Attribute* attr(const std::string& key) const;

  int64_t attr_int(const std::string& key, int64_t fallback) const;
  float attr_float(const std::string& key, float fallback) const;
  std::string attr_string(const std::string& key, const std::string& fallback) const;
  std::vector<int64_t> attr_ints(const std::string& key, std::vector<int64_t> fallback = {}) const;
  std::vector<float> attr_floats(const std::string& key, std::vector<float> fallback = {}) const;
  const Tensor* attr_tensor(const std::string& key) const;
  const Graph* attr_graph(const std::string& key) const;

  /// "Conv 'conv1'" — for error messages.
  std::string describe() const;
};

class Graph {
 public:
  Graph() = default;
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;

  std::string name;
  std::vector<Value*> inputs;         // graph inputs (initializers are not listed here)
  std::vector<Value*> outputs;        // graph outputs
  std::map<std::string, int> opsets;  // domain -> version ("" is the ONNX domain)
  const Graph* parent = nullptr;      // enclosing graph of a subgraph

  const std::vector<std::unique_ptr<Node>>& nodes() const { return nodes_; }
  std::vector<std::unique_ptr<Node>>& mutable_nodes() { return nodes_; }
  const std::vector<std::unique_ptr<Value>>& values() const { return values_; }

  /// Finds a value of this graph by name (not of enclosing graphs); null when absent.
  Value* find_value(const std::string& name) const;
  /// Returns the value named `name`, creating it when absent.
  Value* get_or_create_value(const std::string& name);
  /// Creates a fresh value with a name not yet used in this graph, derived from `hint`.
  Value* create_value(const std::string& hint);
  Node* add_node(std::unique_ptr<Node> node);

  /// Values read by this graph's nodes that are neither produced here nor inputs nor constants:
  /// they come from an enclosing graph.
  std::vector<const Value*> outer_values() const;

  /// Reorders nodes so that each comes after the producers of its inputs. Fails naming a node on
  /// a cycle.
  Status topological_sort();
  /// Recomputes Value::producer from the node list.
  void relink();

  /// All consumers of `v` among this graph's nodes.
  std::vector<Node*> consumers(const Value* v) const;
  /// True when `v` is a graph output or is read inside a subgraph of one of this graph's nodes.
  bool is_output(const Value* v) const;

  /// Makes every reader of `from` (nodes and graph outputs) read `to` instead. Subgraphs that
  /// read `from` by name are not changed: callers must not rewrite values subgraphs read
  /// (see `read_by_subgraph`).
  void replace_all_uses(Value* from, Value* to);
  /// True when a subgraph of some node reads a value named like `v`.
  bool read_by_subgraph(const Value* v) const;
  /// Removes the nodes for which `pred` is true (their outputs lose their producer).
  template <typename Pred>
  int remove_nodes_if(Pred pred) {
    int removed = 0;
    std::vector<std::unique_ptr<Node>> kept;
    for (auto& n : nodes_) {
      if (pred(*n)) {
        for (Value* o : n->outputs)
          if (o && o->producer == n.get()) o->producer = nullptr;
        ++removed;
      } else {
        kept.push_back(std::move(n));
      }
    }
    nodes_ = std::move(kept);
    return removed;
  }
  /// Inserts `node` right before `before` in the schedule (at the end when null).
  Node* insert_node(std::unique_ptr<Node> node, const Node* before);

 private:
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<std::unique_ptr<Value>> values_;
  std::map<std::string, Value*> by_name_;
};

/// Checks structural invariants: every node input is produced earlier, is a graph input, a
/// constant or an outer value; names are unique; outputs have one producer. Names the offender.
Status verify(const Graph& g);

/// A readable listing: one line per node with inputs, outputs, shapes and attributes.
std::string to_text(const Graph& g);

}  // namespace kiln::ir
