#include "ops/elementwise.h"

namespace kiln::ops {

bool in_type_set(DataType t, TypeSet s) {
  return visit_dtype(t, [&]<typename T>() { return t != DataType::kUndefined && type_in_set<T>(s); });
}

namespace {
const char* type_set_name(TypeSet s) {
  switch (s) {
    case TypeSet::kFloat:
      return "a float type (float16, bfloat16, float32, float64)";
    case TypeSet::kSignedNumeric:
      return "a float or signed integer type";
    case TypeSet::kNumeric:
      return "a numeric type";
    case TypeSet::kInteger:
      return "an integer type";
    case TypeSet::kUnsigned:
      return "an unsigned integer type";
    case TypeSet::kBool:
      return "bool";
    case TypeSet::kAll:
      return "a numeric type or bool";
  }
  return "?";
}

double known_numel(const TensorType& t) {
  return t.shape_known() ? static_cast<double>(shape_numel(t.shape)) : 0.0;
}
double known_bytes(const TensorType& t) { return known_numel(t) * static_cast<double>(dtype_size(t.dtype)); }
}  // namespace

Status check_type(const ir::Node& node, size_t input, DataType t, TypeSet s) {
  if (in_type_set(t, s)) return Status::ok();
  return unsupported(node.describe() + ": input " + std::to_string(input) + " is " + dtype_name(t) +
                     "; this op takes " + type_set_name(s));
}

Status check_same_type(const ir::Node& node, size_t i, DataType t0, DataType ti) {
  if (t0 == ti) return Status::ok();
  return invalid_argument(node.describe() + ": input " + std::to_string(i) + " is " + dtype_name(ti) +
                          " but input 0 is " + dtype_name(t0) + "; the inputs must have one element type");
}

Status infer_broadcast(InferContext& ctx, const std::vector<size_t>& inputs, DataType out) {
  std::vector<Shape> shapes;
  for (size_t i : inputs) {
    if (!ctx.has_input(i)) continue;
    if (!ctx.input(i).rank_known) {
      ctx.set_output_unknown_rank(0, out);
      return Status::ok();
    }
    shapes.push_back(ctx.shape(i));
  }
  KILN_ASSIGN_OR_RETURN(Shape shape, broadcast_shapes(ctx.node, shapes));
  ctx.set_output(0, out, std::move(shape));
  return Status::ok();
}

Cost per_element_cost(double flops_per_element, std::span<const TensorType> inputs,
                      std::span<const TensorType> outputs) {
  Cost c;
  for (const TensorType& t : inputs) c.bytes += known_bytes(t);
  for (const TensorType& t : outputs) {
    c.bytes += known_bytes(t);
    c.flops += flops_per_element * known_numel(t);
  }
  return c;
}

Cost output_only_cost(const ir::Node&, std::span<const TensorType>, std::span<const TensorType> outputs) {
  Cost c;
  for (const TensorType& t : outputs) c.bytes += known_bytes(t);
  return c;
}

Cost zero_cost(const ir::Node&, std::span<const TensorType>, std::span<const TensorType>) { return {}; }

Cost copy_cost(const ir::Node&, std::span<const TensorType> inputs, std::span<const TensorType> outputs) {
  return per_element_cost(0, inputs, outputs);
}

}  // namespace kiln::ops
