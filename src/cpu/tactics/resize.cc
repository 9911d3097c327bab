// Resize, mode "nearest", of an NCHW float tensor that keeps N and C, or of a blocked one
// ([N, C/b, H, W, b], ops/blocked_layout.h) that also keeps the lanes: every output pixel copies one
// input pixel (b lanes). Which one is decided at build time by the reference kernel itself (run on images
// whose values are their own row and column indices), so every coordinate transformation and
// rounding mode ONNX defines maps exactly as the reference does; at run time each output row is a
// gather by the column map, or a copy of the row above when both read the same input row.
#include <cstring>

#include "cpu/tactic.h"
#include "ops/op.h"

namespace kiln::cpu {
namespace {

bool supports(const ir::Node& node, Isa) {
  const ir::Value *x = node.input(0), *y = node.outputs.empty() ? nullptr : node.outputs[0];
  if (!is_static_f32(x) || !is_static_f32(y) || x->shape.size() != y->shape.size()) return false;
  if (x->shape.size() != 4 && !(x->shape.size() == 5 && x->shape[4] == y->shape[4])) return false;
  if (node.attr_string("mode", "nearest") != "nearest") return false;
  if (x->shape[0] != y->shape[0] || x->shape[1] != y->shape[1]) return false;
  for (size_t i = 1; i < node.inputs.size(); ++i)
    if (node.inputs[i] && !node.inputs[i]->is_constant()) return false;
  return x->shape[2] * x->shape[3] > 0 && y->shape[2] * y->shape[3] > 0;
}

/// Runs the reference Resize on an input whose every pixel holds its row (rows) or column index.
Expected<std::vector<int32_t>> index_map(const ir::Node& node, bool rows) {
  const ir::Value* x = node.input(0);
  Tensor probe(DataType::kFloat32, x->shape);
  const int64_t h = x->shape[2], w = x->shape[3], lanes = x->shape.size() == 5 ? x->shape[4] : 1;
  for (int64_t i = 0; i < probe.numel(); ++i)
    probe.data<float>()[i] = static_cast<float>(rows ? (i / lanes / w) % h : (i / lanes) % w);
  std::vector<const Tensor*> in = {&probe};
  for (size_t i = 1; i < node.inputs.size(); ++i)
    in.push_back(node.inputs[i] ? &*node.inputs[i]->constant : nullptr);
  ops::RunContext ctx(node, in, nullptr);
  KILN_RETURN_IF_ERROR(ops::find_op(node.domain, node.op_type)->reference(ctx));
  const Tensor& out = ctx.output(0);
  const int64_t oh = out.shape()[2], ow = out.shape()[3];
  std::vector<int32_t> map(static_cast<size_t>(rows ? oh : ow));
  for (size_t i = 0; i < map.size(); ++i)
    map[i] = static_cast<int32_t>(out.data<float>()[(rows ? i * ow : i) * lanes]);
  return map;
}

Status prepare(const ir::Node& node, Isa, std::vector<Tensor>& prepared, std::vector<int64_t>&) {
  for (bool rows : {true, false}) {
    KILN_ASSIGN_OR_RETURN(std::vector<int32_t> map, index_map(node, rows));
    Tensor t(DataType::kInt32, {static_cast<int64_t>(map.size())});
    std::memcpy(t.raw(), map.data(), map.size() * sizeof(int32_t));
    prepared.push_back(std::move(t));
  }
  return Status::ok();
}

bool check(const ir::Node& node, Isa, std::span<const Tensor* const> prepared, std::span<const int64_t>) {
  if (prepared.size() != 2) return false;
  const Shape &x = node.input(0)->shape, &y = node.outputs[0]->shape;
  for (int r = 0; r < 2; ++r) {
    const Tensor& m = *prepared[r];
    if (m.dtype() != DataType::kInt32 || m.numel() != y[2 + r]) return false;
    for (int64_t i = 0; i < m.numel(); ++i)
      if (m.data<int32_t>()[i] < 0 || m.data<int32_t>()[i] >= x[2 + r]) return false;
  }
  return true;
}

Status run(const TacticArgs& a) {
  const Shape &xs = a.inputs[0]->shape(), &ys = a.outputs[0]->shape();
  const int64_t lanes = xs.size() == 5 ? xs[4] : 1;
  const int64_t h = xs[2], w = xs[3] * lanes, oh = ys[2], ow = ys[3] * lanes;
  const int32_t* rows = a.prepared[0]->data<int32_t>();
  const int32_t* cols = a.prepared[1]->data<int32_t>();
  const float* x = a.inputs[0]->data<float>();
  float* y = a.outputs[0]->data<float>();
  a.pool.parallel_for(ys[0] * ys[1], [&](int64_t p, int) {
    const float* src = x + p * h * w;
    float* dst = y + p * oh * ow;
    for (int64_t r = 0; r < oh; ++r) {
      float* out = dst + r * ow;
      if (r > 0 && rows[r] == rows[r - 1]) {
        std::memcpy(out, out - ow, ow * sizeof(float));
        continue;
      }
      const float* in = src + static_cast<int64_t>(rows[r]) * w;
      if (lanes == 1) {
        for (int64_t c = 0; c < ow; ++c) out[c] = in[cols[c]];
      } else {
        for (int64_t c = 0; c < ys[3]; ++c)
          std::memcpy(out + c * lanes, in + cols[c] * lanes, lanes * sizeof(float));
      }
    }
  });
  return Status::ok();
}

}  // namespace

KILN_REGISTER_TACTIC({"resize.nearest", "Resize", "", Isa::kGeneric, supports, prepare, nullptr, run, check});

}  // namespace kiln::cpu
