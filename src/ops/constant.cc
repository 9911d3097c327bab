// Constant: outputs the tensor held by exactly one of its attributes: value (a tensor),
// value_float(s) or value_int(s). String and sparse constants are not supported.
#include <array>

#include "ops/elementwise.h"

namespace kiln::ops {
namespace {

Expected<Tensor> constant_value(const ir::Node& node) {
  static constexpr std::array<const char*, 8> kKeys = {"value",         "value_float", "value_floats",
                                                       "value_int",     "value_ints",  "value_string",
                                                       "value_strings", "sparse_value"};
  std::string set;
  int count = 0;
  for (const char* key : kKeys) {
    if (!node.has_attr(key)) continue;
    set += std::string(count++ ? ", " : "") + key;
  }
  if (count != 1) {
    return invalid_argument(node.describe() + ": exactly one value attribute must be set, found " +
                            (count ? set : std::string("none")));
  }
  if (node.has_attr("value")) {
    const Tensor* t = node.attr_tensor("value");
    if (!t) return invalid_argument(node.describe() + ": attribute 'value' is not a tensor");
    return *t;
  }
  if (node.has_attr("value_float")) return Tensor::from_floats({}, {node.attr_float("value_float", 0)});
  if (node.has_attr("value_floats")) {
    std::vector<float> v = node.attr_floats("value_floats");
    return Tensor::from_floats({static_cast<int64_t>(v.size())}, v);
  }
  if (node.has_attr("value_int")) return Tensor::from_int64s({}, {node.attr_int("value_int", 0)});
  if (node.has_attr("value_ints")) {
    std::vector<int64_t> v = node.attr_ints("value_ints");
    return Tensor::from_int64s({static_cast<int64_t>(v.size())}, v);
  }
  return unsupported(node.describe() + ": " + set + " constants are not supported; kiln has no " +
                     (set == "sparse_value" ? "sparse tensors" : "string tensors"));
}

Status infer(InferContext& ctx) {
  KILN_ASSIGN_OR_RETURN(Tensor t, constant_value(ctx.node));
  ctx.set_output(0, t.dtype(), t.shape());
  return Status::ok();
}

Status run(RunContext& ctx) {
  KILN_ASSIGN_OR_RETURN(Tensor t, constant_value(ctx.node));
  ctx.set_output(0, std::move(t));
  return Status::ok();
}

}  // namespace

KILN_REGISTER_OP({.op_type = "Constant", .infer = infer, .reference = run, .cost = output_only_cost});

}  // namespace kiln::ops
