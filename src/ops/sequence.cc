// The ONNX sequence ops: a sequence is an ordered list of tensors of one element type
// (Tensor::sequence). SequenceEmpty, SequenceConstruct, SequenceInsert, SequenceErase, SequenceAt,
// SequenceLength, SplitToSequence, ConcatFromSequence: one mechanism, one file.
#include <cstring>

#include "ops/control_flow_util.h"
#include "ops/dtype_attr.h"
#include "ops/util.h"

namespace kiln::ops {
namespace {

// A position input (scalar int32/int64), negative counts from the back; `size_inclusive` allows
// position == size (insert at the back).
Expected<int64_t> position(const RunContext& ctx, size_t input, int64_t size, bool size_inclusive) {
  if (!ctx.has_input(input)) return size_inclusive ? size : size - 1;
  int64_t p = ctx.input(input).as_int64(0);
  int64_t q = p < 0 ? p + size : p;
  if (q < 0 || q > size || (!size_inclusive && q == size)) {
    return ctx.error("position " + std::to_string(p) + " is out of range for a sequence of " +
                     std::to_string(size) + " tensors");
  }
  return q;
}

Status need_sequence(const RunContext& ctx, size_t i) {
  if (!ctx.input(i).is_sequence()) return ctx.error("input " + std::to_string(i) + " must be a sequence");
  return Status::ok();
}

Status infer_sequence_of_input0(InferContext& ctx) {
  ctx.set_output_sequence(0, ctx.dtype(0));
  return Status::ok();
}

Status infer_empty(InferContext& ctx) {
  KILN_ASSIGN_OR_RETURN(DataType dt, dtype_attr(ctx.node, "dtype", DataType::kFloat32));
  ctx.set_output_sequence(0, dt);
  return Status::ok();
}
Status run_empty(RunContext& ctx) {
  KILN_ASSIGN_OR_RETURN(DataType dt, dtype_attr(ctx.node, "dtype", DataType::kFloat32));
  ctx.set_output(0, Tensor::sequence(dt, {}));
  return Status::ok();
}

Status run_construct(RunContext& ctx) {
  std::vector<Tensor> items;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    if (ctx.input(i).dtype() != ctx.input(0).dtype())
      return ctx.error("all inputs must have one element type");
    items.push_back(ctx.input(i));
  }
  ctx.set_output(0, Tensor::sequence(ctx.input(0).dtype(), std::move(items)));
  return Status::ok();
}

Status run_insert(RunContext& ctx) {
  KILN_RETURN_IF_ERROR(need_sequence(ctx, 0));
  const Tensor& seq = ctx.input(0);
  if (ctx.input(1).dtype() != seq.dtype()) return ctx.error("the tensor's type differs from the sequence's");
  std::vector<Tensor> items = seq.items();
  KILN_ASSIGN_OR_RETURN(int64_t at, position(ctx, 2, static_cast<int64_t>(items.size()), true));
  items.insert(items.begin() + at, ctx.input(1));
  ctx.set_output(0, Tensor::sequence(seq.dtype(), std::move(items)));
  return Status::ok();
}

Status run_erase(RunContext& ctx) {
  KILN_RETURN_IF_ERROR(need_sequence(ctx, 0));
  std::vector<Tensor> items = ctx.input(0).items();
  if (items.empty()) return ctx.error("cannot erase from an empty sequence");
  KILN_ASSIGN_OR_RETURN(int64_t at, position(ctx, 1, static_cast<int64_t>(items.size()), false));
  items.erase(items.begin() + at);
  ctx.set_output(0, Tensor::sequence(ctx.input(0).dtype(), std::move(items)));
  return Status::ok();
}

Status infer_at(InferContext& ctx) {
  ctx.set_output_unknown_rank(0, ctx.dtype(0));
  return Status::ok();
}
Status run_at(RunContext& ctx) {
  KILN_RETURN_IF_ERROR(need_sequence(ctx, 0));
  const auto& items = ctx.input(0).items();
  if (!ctx.has_input(1)) return ctx.error("needs a position input");
  KILN_ASSIGN_OR_RETURN(int64_t at, position(ctx, 1, static_cast<int64_t>(items.size()), false));
  ctx.set_output(0, items[static_cast<size_t>(at)]);
  return Status::ok();
}

Status infer_length(InferContext& ctx) {
  ctx.set_output(0, DataType::kInt64, {});
  return Status::ok();
}
Status run_length(RunContext& ctx) {
  KILN_RETURN_IF_ERROR(need_sequence(ctx, 0));
  ctx.allocate_output(0, DataType::kInt64, {}).data<int64_t>()[0] =
      static_cast<int64_t>(ctx.input(0).items().size());
  return Status::ok();
}

// Copies rows [begin, end) of `x` along `axis` into a new tensor.
Tensor slab(const Tensor& x, int64_t axis, int64_t begin, int64_t end) {
  Shape s = x.shape();
  s[axis] = end - begin;
  Tensor out(x.dtype(), s);
  const size_t es = dtype_size(x.dtype());
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= x.dim(d);
  for (int64_t d = axis + 1; d < x.rank(); ++d) inner *= x.dim(d);
  const auto* src = static_cast<const std::byte*>(x.raw());
  auto* dst = static_cast<std::byte*>(out.raw());
  const int64_t rows = end - begin;
  for (int64_t o = 0; o < outer; ++o) {
    std::memcpy(dst + o * rows * inner * es, src + (o * x.dim(axis) + begin) * inner * es, rows * inner * es);
  }
  return out;
}

Status run_split(RunContext& ctx) {
  const Tensor& x = ctx.input(0);
  KILN_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(ctx.node, ctx.node.attr_int("axis", 0), x.rank()));
  const int64_t len = x.dim(axis);
  std::vector<int64_t> sizes;
  bool squeeze = false;
  if (!ctx.has_input(1)) {
    sizes.assign(static_cast<size_t>(len), 1);
    squeeze = ctx.node.attr_int("keepdims", 1) == 0;
  } else if (ctx.input(1).rank() == 0) {
    int64_t chunk = ctx.input(1).as_int64(0);
    if (chunk <= 0) return ctx.error("split must be positive");
    for (int64_t b = 0; b < len; b += chunk) sizes.push_back(std::min(chunk, len - b));
  } else {
    sizes = ctx.input(1).to_int64_vector();
    int64_t total = 0;
    for (int64_t s : sizes) {
      if (s < 0) return ctx.error("split sizes must be non-negative");
      total += s;
    }
    if (total != len) {
      return ctx.error("split sizes sum to " + std::to_string(total) + ", the axis has " +
                       std::to_string(len));
    }
  }
  std::vector<Tensor> items;
  int64_t begin = 0;
  for (int64_t s : sizes) {
    Tensor part = slab(x, axis, begin, begin + s);
    if (squeeze) {
      Shape sq = part.shape();
      sq.erase(sq.begin() + axis);
      part = part.reshaped(sq);
    }
    items.push_back(std::move(part));
    begin += s;
  }
  ctx.set_output(0, Tensor::sequence(x.dtype(), std::move(items)));
  return Status::ok();
}

Status infer_concat(InferContext& ctx) {
  ctx.set_output_unknown_rank(0, ctx.dtype(0));
  return Status::ok();
}
Status run_concat(RunContext& ctx) {
  KILN_RETURN_IF_ERROR(need_sequence(ctx, 0));
  const auto& items = ctx.input(0).items();
  if (items.empty()) return ctx.error("cannot concatenate an empty sequence");
  const bool new_axis = ctx.node.attr_int("new_axis", 0) != 0;
  const int64_t rank = items[0].rank() + (new_axis ? 1 : 0);
  KILN_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(ctx.node, ctx.node.attr_int("axis", 0), rank));
  if (new_axis) {
    for (const Tensor& t : items)
      if (t.shape() != items[0].shape()) return ctx.error("stacking needs tensors of one shape");
    ctx.set_output(0, stack_along(items, axis, false, items[0].dtype(), items[0].shape()));
    return Status::ok();
  }
  Shape out_shape = items[0].shape();
  out_shape[axis] = 0;
  for (const Tensor& t : items) {
    if (t.rank() != items[0].rank()) return ctx.error("tensors of different ranks cannot be concatenated");
    for (int64_t d = 0; d < t.rank(); ++d)
      if (d != axis && t.dim(d) != items[0].dim(d))
        return ctx.error("tensors differ outside the concat axis");
    out_shape[axis] += t.dim(axis);
  }
  Tensor& out = ctx.allocate_output(0, items[0].dtype(), out_shape);
  const size_t es = dtype_size(out.dtype());
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= out_shape[d];
  for (int64_t d = axis + 1; d < static_cast<int64_t>(out_shape.size()); ++d) inner *= out_shape[d];
  auto* dst = static_cast<std::byte*>(out.raw());
  for (int64_t o = 0; o < outer; ++o) {
    for (const Tensor& t : items) {
      size_t n = static_cast<size_t>(t.dim(axis) * inner) * es;
      std::memcpy(dst, static_cast<const std::byte*>(t.raw()) + o * n, n);
      dst += n;
    }
  }
  return Status::ok();
}

}  // namespace

KILN_REGISTER_OP({.op_type = "SequenceEmpty", .infer = infer_empty, .reference = run_empty});
KILN_REGISTER_OP({.op_type = "SequenceConstruct",
                  .infer = infer_sequence_of_input0,
                  .reference = run_construct});
KILN_REGISTER_OP({.op_type = "SequenceInsert", .infer = infer_sequence_of_input0, .reference = run_insert});
KILN_REGISTER_OP({.op_type = "SequenceErase", .infer = infer_sequence_of_input0, .reference = run_erase});
KILN_REGISTER_OP({.op_type = "SequenceAt", .infer = infer_at, .reference = run_at});
KILN_REGISTER_OP({.op_type = "SequenceLength", .infer = infer_length, .reference = run_length});
KILN_REGISTER_OP({.op_type = "SplitToSequence", .infer = infer_sequence_of_input0, .reference = run_split});
KILN_REGISTER_OP({.op_type = "ConcatFromSequence", .infer = infer_concat, .reference = run_concat});

}  // namespace kiln::ops
