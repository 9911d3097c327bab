// kiln.ElementwiseChain (see fused_elementwise_chain.h): each step runs the registered op's own
// infer and reference, so the chain means exactly what the ops it replaced meant.
#include "ops/fused_elementwise_chain.h"

#include <functional>

#include "ops/elementwise.h"

namespace kiln::ops {

namespace {

std::string step_prefix(size_t i) {
  std::string s = "s";  // (not "s" + to_string(i): GCC 12 reports a false -Wrestrict on it)
  return s.append(std::to_string(i)).append(".");
}

template <typename T>
ir::Attribute list_attr(ir::Attribute::Kind kind, std::vector<T> values) {
  ir::Attribute a;
  a.kind = kind;
  if constexpr (std::is_same_v<T, std::string>)
    a.strings = std::move(values);
  else
    a.ints = std::move(values);
  return a;
}

}  // namespace

void write_chain(ir::Node& chain, const std::vector<ChainStep>& steps) {
  for (auto it = chain.attrs.begin(); it != chain.attrs.end();) {
    it = it->first.size() > 1 && it->first[0] == 's' && it->first.find('.') != std::string::npos
             ? chain.attrs.erase(it)
             : std::next(it);
  }
  std::vector<std::string> ops;
  std::vector<int64_t> opsets, arity, inputs;
  for (size_t i = 0; i < steps.size(); ++i) {
    const ChainStep& s = steps[i];
    ops.push_back(s.op_type);
    opsets.push_back(s.opset);
    arity.push_back(static_cast<int64_t>(s.inputs.size()));
    inputs.insert(inputs.end(), s.inputs.begin(), s.inputs.end());
    for (const auto& [key, a] : s.attrs) chain.attrs[step_prefix(i) + key] = a;
  }
  chain.attrs["ops"] = list_attr(ir::Attribute::Kind::kStrings, ops);
  chain.attrs["opsets"] = list_attr(ir::Attribute::Kind::kInts, opsets);
  chain.attrs["arity"] = list_attr(ir::Attribute::Kind::kInts, arity);
  chain.attrs["step_inputs"] = list_attr(ir::Attribute::Kind::kInts, inputs);
}

Expected<std::vector<ChainStep>> read_chain(const ir::Node& chain) {
  const ir::Attribute* ops = chain.attr("ops");
  const std::vector<int64_t> opsets = chain.attr_ints("opsets"), arity = chain.attr_ints("arity");
  const std::vector<int64_t> inputs = chain.attr_ints("step_inputs");
  if (!ops || ops->strings.empty() || opsets.size() != ops->strings.size() ||
      arity.size() != ops->strings.size())
    return invalid_argument(chain.describe() + ": needs attributes ops, opsets and arity of one length");
  std::vector<ChainStep> steps(ops->strings.size());
  size_t next = 0;
  for (size_t i = 0; i < steps.size(); ++i) {
    ChainStep& s = steps[i];
    s.op_type = ops->strings[i];
    s.opset = static_cast<int>(opsets[i]);
    if (arity[i] < 0 || next + static_cast<size_t>(arity[i]) > inputs.size())
      return invalid_argument(chain.describe() + ": step_inputs is shorter than the arities add up to");
    s.inputs.assign(inputs.begin() + next, inputs.begin() + next + arity[i]);
    next += static_cast<size_t>(arity[i]);
    for (int64_t k : s.inputs) {
      if (k != kRunningValue && k != kAbsentInput &&
          (k < 1 || k >= static_cast<int64_t>(chain.inputs.size())))
        return invalid_argument(chain.describe() + ": step " + std::to_string(i) + " reads input " +
                                std::to_string(k) + ", which the node does not have");
    }
    const std::string prefix = step_prefix(i);
    for (auto it = chain.attrs.lower_bound(prefix);
         it != chain.attrs.end() && it->first.rfind(prefix, 0) == 0; ++it)
      s.attrs[it->first.substr(prefix.size())] = it->second;
    if (!find_op("", s.op_type))
      return unsupported(chain.describe() + ": step " + std::to_string(i) + " is " + s.op_type +
                         ", not an op kiln has");
  }
  return steps;
}

namespace {

// The ONNX node one step runs as. Its one output is a placeholder: kernels only ask whether it
// is requested.
ir::Node step_node(const ir::Node& chain, const ChainStep& s, size_t i) {
  static ir::Value placeholder;
  ir::Node n;
  n.name = chain.name + "/" + std::to_string(i);
  n.op_type = s.op_type;
  n.opset = s.opset;
  n.attrs = s.attrs;
  n.outputs = {&placeholder};
  return n;
}

// The step's inputs: the running value, absent inputs and the chain's operands.
template <typename T>
std::vector<T> bind(const ChainStep& s, T running, const std::function<T(int64_t)>& operand, T absent) {
  std::vector<T> in;
  for (int64_t k : s.inputs)
    in.push_back(k == kRunningValue ? running : k == kAbsentInput ? absent : operand(k));
  return in;
}

Status infer(InferContext& ctx) {
  KILN_ASSIGN_OR_RETURN(std::vector<ChainStep> steps, read_chain(ctx.node));
  TensorType running = ctx.input(0);
  for (size_t i = 0; i < steps.size(); ++i) {
    const ir::Node node = step_node(ctx.node, steps[i], i);
    InferContext step(node, bind<TensorType>(steps[i], running, [&](int64_t k) { return ctx.input(k); }, {}),
                      bind<const Tensor*>(
                          steps[i], nullptr, [&](int64_t k) { return ctx.value(k); }, nullptr));
    KILN_RETURN_IF_ERROR(find_op("", steps[i].op_type)->infer(step).with_context(ctx.node.describe()));
    running = step.outputs[0];
  }
  if (running.rank_known)
    ctx.set_output(0, running.dtype, running.shape);
  else
    ctx.set_output_unknown_rank(0, running.dtype);
  return Status::ok();
}

Status run(RunContext& ctx) {
  KILN_ASSIGN_OR_RETURN(std::vector<ChainStep> steps, read_chain(ctx.node));
  Tensor running = ctx.input(0);
  for (size_t i = 0; i < steps.size(); ++i) {
    const ir::Node node = step_node(ctx.node, steps[i], i);
    RunContext step(node,
                    bind<const Tensor*>(
                        steps[i], &running, [&](int64_t k) { return &ctx.input(k); }, nullptr),
                    ctx.subgraphs());
    KILN_RETURN_IF_ERROR(find_op("", steps[i].op_type)->reference(step).with_context(ctx.node.describe()));
    running = step.output(0);
  }
  ctx.set_output(0, std::move(running));
  return Status::ok();
}

// The steps' operations; bytes of the chain's own inputs and output only (the point of fusing).
Cost cost(const ir::Node& node, std::span<const TensorType> in, std::span<const TensorType> out) {
  Cost c = per_element_cost(0, in, out);
  auto steps = read_chain(node);
  if (!steps || in.empty()) return c;
  for (size_t i = 0; i < steps->size(); ++i) {
    const ChainStep& s = (*steps)[i];
    const ir::Node n = step_node(node, s, i);
    std::vector<TensorType> step_in = bind<TensorType>(s, in[0], [&](int64_t k) { return in[k]; }, {});
    const OpDef* def = find_op("", s.op_type);
    c.flops += (def && def->cost ? def->cost(n, step_in, out) : per_element_cost(1, step_in, out)).flops;
  }
  return c;
}

}  // namespace

KILN_REGISTER_OP({.op_type = "ElementwiseChain",
                  .domain = "kiln",
                  .infer = infer,
                  .reference = run,
                  .cost = cost,
                  .memory = Memory::kInPlace});

}  // namespace kiln::ops
