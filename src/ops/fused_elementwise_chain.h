// kiln.ElementwiseChain: a run of elementwise ops applied in turn to one tensor, as one node.
// Input 0 is the tensor; inputs 1.. are the steps' constant operands (scalars). Each step is an
// ONNX op run with its own attributes and opset; its inputs are the running value, an absent
// optional input, or one of the chain node's inputs. Stored as attributes:
//   ops          strings  op type of each step
//   opsets       ints     opset of each step
//   arity        ints     how many inputs each step has
//   step_inputs  ints     every step's inputs, concatenated: kRunningValue, kAbsentInput or k >= 1
//   s<i>.<key>            step i's attribute <key> (e.g. "s0.alpha")
#pragma once

#include <map>
#include <string>
#include <vector>

#include "ops/op.h"

namespace kiln::ops {

inline constexpr int64_t kRunningValue = -1;
inline constexpr int64_t kAbsentInput = -2;

struct ChainStep {
  std::string op_type;
  int opset = 0;
  std::map<std::string, ir::Attribute> attrs;
  std::vector<int64_t> inputs;
};

/// Writes `steps` into `chain`'s attributes (replacing earlier steps).
void write_chain(ir::Node& chain, const std::vector<ChainStep>& steps);
/// Reads the steps back; fails naming the node when the attributes are inconsistent.
Expected<std::vector<ChainStep>> read_chain(const ir::Node& chain);

}  // namespace kiln::ops
