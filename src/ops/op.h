// The op contract. Every op lives in one file under src/ops/ that defines, and registers:
//   infer      output types and shapes from input types, shapes and (when known) constant values;
//   reference  a plain, obviously correct kernel: the oracle every fast kernel is tested against;
//   cost       nominal FLOPs and bytes moved (optional: the default is elementwise).
// Registration is `KILN_REGISTER_OP(...)` in the op's own file; there is no central list.
#pragma once

#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "ir/graph.h"
#include "kiln/status.h"
#include "kiln/tensor.h"

namespace kiln::ops {

/// What is known of a tensor when shapes are inferred: dims of -1 are unknown until run time.
struct TensorType {
  DataType dtype = DataType::kUndefined;
  Shape shape;
  bool rank_known = false;
  bool is_sequence = false;  // an ONNX sequence of tensors of `dtype` (shape unused)
  bool shape_known() const;
};

class InferContext {
 public:
  InferContext(const ir::Node& node, std::vector<TensorType> inputs, std::vector<const Tensor*> values)
      : node(node), outputs(node.outputs.size()), inputs_(std::move(inputs)), values_(std::move(values)) {}

  const ir::Node& node;
  size_t num_inputs() const { return inputs_.size(); }
  /// False when the optional input `i` is absent (or beyond the node's inputs).
  bool has_input(size_t i) const { return i < inputs_.size() && inputs_[i].dtype != DataType::kUndefined; }
  const TensorType& input(size_t i) const { return inputs_[i]; }
  DataType dtype(size_t i) const { return inputs_[i].dtype; }
  const Shape& shape(size_t i) const { return inputs_[i].shape; }
  /// The input's value when it is known now (a constant at build time; always at run time).
  const Tensor* value(size_t i) const { return i < values_.size() ? values_[i] : nullptr; }

  size_t num_outputs() const { return outputs.size(); }
  void set_output(size_t i, DataType dtype, Shape shape) {
    if (i < outputs.size()) outputs[i] = TensorType{dtype, std::move(shape), true};
  }
  /// The output's rank is not known before run time (e.g. Reshape with a computed shape).
  void set_output_unknown_rank(size_t i, DataType dtype) {
    if (i < outputs.size()) outputs[i] = TensorType{dtype, {}, false};
  }
  /// The output is a sequence of tensors of `dtype`.
  void set_output_sequence(size_t i, DataType dtype) {
    if (i < outputs.size()) outputs[i] = TensorType{dtype, {}, false, true};
  }
  std::vector<TensorType> outputs;

  /// An error that names this node.
  Status error(const std::string& what) const { return invalid_argument(node.describe() + ": " + what); }

 private:
  std::vector<TensorType> inputs_;
  std::vector<const Tensor*> values_;
};

/// Runs a subgraph (If/Loop/Scan body) in the scope of the node that owns it.
class SubgraphRunner {
 public:
  virtual ~SubgraphRunner() = default;
  /// Binds `inputs` to `body.inputs` in order and returns `body.outputs` in order.
  virtual Expected<std::vector<Tensor>> run(const ir::Graph& body, const std::vector<Tensor>& inputs) = 0;
};

class RunContext {
 public:
  RunContext(const ir::Node& node, std::vector<const Tensor*> inputs, SubgraphRunner* subgraphs)
      : node(node), inputs_(std::move(inputs)), outputs_(node.outputs.size()), subgraphs_(subgraphs) {}

  const ir::Node& node;
  size_t num_inputs() const { return inputs_.size(); }
  bool has_input(size_t i) const { return i < inputs_.size() && inputs_[i] != nullptr; }
  const Tensor& input(size_t i) const { return *inputs_[i]; }

  size_t num_outputs() const { return outputs_.size(); }
  /// True when the graph reads output `i` (optional outputs may be left unrequested).
  bool output_requested(size_t i) const { return i < node.outputs.size() && node.outputs[i] != nullptr; }
  /// Allocates output `i` (zero-filled) and returns it for the kernel to fill. When the executor
  /// placed that output in its arena (provide_output) and the type matches, the arena bytes are used.
  Tensor& allocate_output(size_t i, DataType dtype, Shape shape) {
    if (i < provided_.size() && !provided_[i].empty() && provided_[i].dtype() == dtype &&
        provided_[i].shape() == shape) {
      outputs_[i] = provided_[i];
      if (!provided_in_place_[i]) std::memset(outputs_[i].raw(), 0, outputs_[i].nbytes());
    } else {
      outputs_[i] = Tensor(dtype, std::move(shape));
    }
    return outputs_[i];
  }
  /// Executor side: where output `i` should live (a view into the arena). `in_place`: it holds
  /// input 0's bytes (Memory::kInPlace), which must not be cleared before the kernel reads them.
  void provide_output(size_t i, Tensor place, bool in_place = false) {
    if (provided_.size() < outputs_.size()) {
      provided_.resize(outputs_.size());
      provided_in_place_.resize(outputs_.size(), false);
    }
    provided_[i] = std::move(place);
    provided_in_place_[i] = in_place;
  }
  /// Sets output `i` to an existing tensor (e.g. Identity shares its input's bytes).
  void set_output(size_t i, Tensor t) { outputs_[i] = std::move(t); }
  Tensor& output(size_t i) { return outputs_[i]; }
  std::vector<Tensor>& outputs() { return outputs_; }

  SubgraphRunner* subgraphs() const { return subgraphs_; }
  Status error(const std::string& what) const { return invalid_argument(node.describe() + ": " + what); }

 private:
  std::vector<const Tensor*> inputs_;
  std::vector<Tensor> outputs_;
  std::vector<Tensor> provided_;
  std::vector<bool> provided_in_place_;
  SubgraphRunner* subgraphs_;
};

struct Cost {
  double flops = 0;  // nominal floating-point (or integer) operations
  double bytes = 0;  // bytes read and written, each tensor once
};

using InferFn = Status (*)(InferContext&);
using ReferenceFn = Status (*)(RunContext&);
using CostFn = Cost (*)(const ir::Node&, std::span<const TensorType> inputs,
                        std::span<const TensorType> outputs);

/// How an op's output 0 may share bytes with an input; the memory planner uses it.
enum class Memory : uint8_t {
  kNone,     // output 0 needs its own bytes
  kInPlace,  // output 0 may overwrite an input (input 0 unless OpDef::in_place_input says
             // otherwise) when they have the same size: the kernel reads element i of it before
             // writing element i, and writes every element (elementwise ops, a fused residual)
  kView,     // output 0 is input 0's bytes reinterpreted (Reshape, Squeeze, Identity ...)
};

/// For Memory::kInPlace: the input output 0 may overwrite, or -1 for none, for this node.
using InPlaceInputFn = int (*)(const ir::Node&);

struct OpDef {
  std::string op_type;
  std::string domain;  // "" for ONNX's default domain
  InferFn infer = nullptr;
  ReferenceFn reference = nullptr;
  CostFn cost = nullptr;  // null: one op per output element, each tensor read or written once
  Memory memory = Memory::kNone;
  InPlaceInputFn in_place_input = nullptr;  // null: input 0
};

/// Registers an op; returns true so it can initialise a static in the op's own file.
bool register_op(OpDef def);
/// The op for (domain, op_type), or null. "ai.onnx" and "" are the same domain.
const OpDef* find_op(const std::string& domain, const std::string& op_type);
std::vector<const OpDef*> all_ops();

/// The index of the input `node`'s output 0 may overwrite (Memory::kInPlace: input 0 unless the
/// op's in_place_input says otherwise), or -1.
int in_place_input(const OpDef& def, const ir::Node& node);

/// Cost of `node` given its input and output types (uses the op's cost function or the default).
Cost op_cost(const ir::Node& node, std::span<const TensorType> inputs, std::span<const TensorType> outputs);

}  // namespace kiln::ops

#define KILN_OP_CONCAT_INNER_(a, b) a##b
#define KILN_OP_CONCAT_(a, b) KILN_OP_CONCAT_INNER_(a, b)
/// In an op's .cc file: `KILN_REGISTER_OP({.op_type = "Relu", .infer = infer, .reference = run});`
/// (The fields left out keep their defaults: GCC 12's -Wmissing-field-initializers would name each
/// one for every op, so it is off for the registration.)
#define KILN_REGISTER_OP(...)                                                         \
  _Pragma("GCC diagnostic push");                                                     \
  _Pragma("GCC diagnostic ignored \"-Wmissing-field-initializers\"");                 \
  [[maybe_unused]] static const bool KILN_OP_CONCAT_(kiln_op_registered_, __LINE__) = \
      ::kiln::ops::register_op(::kiln::ops::OpDef __VA_ARGS__);                       \
  _Pragma("GCC diagnostic pop")
