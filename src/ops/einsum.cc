// Einsum: Einstein summation over any number of operands: explicit ("ij,jk->ik") or implicit
// output (labels used once, alphabetically, after the broadcast "..." dims), repeated labels
// within an operand (diagonals), and "..." broadcasting. The reference walks every combination of
// output and summed indices once, with one precomputed stride per operand and index (repeated
// labels add their strides; broadcast dims have stride 0).
#include <algorithm>
#include <map>

#include "ops/required_inputs.h"
#include "ops/spatial.h"
#include "ops/util.h"

namespace kiln::ops {
namespace {

constexpr int kEllipsis = -1;

struct Term {
  std::vector<int> labels;  // a label per char, kEllipsis for "..."
  bool has_ellipsis() const { return std::find(labels.begin(), labels.end(), kEllipsis) != labels.end(); }
};

Expected<Term> parse_term(const ir::Node& node, const std::string& s) {
  Term t;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s.compare(i, 3, "...") == 0) {
      if (t.has_ellipsis())
        return invalid_argument(node.describe() + ": a term of the equation has two '...'");
      t.labels.push_back(kEllipsis);
      i += 2;
    } else if (std::isalpha(static_cast<unsigned char>(s[i]))) {
      t.labels.push_back(s[i]);
    } else {
      return invalid_argument(node.describe() + ": unexpected character '" + std::string(1, s[i]) +
                              "' in the equation (labels are letters, plus '...', ',' and '->')");
    }
  }
  return t;
}

// All indices of the summation: output axes first, then the summed ones.
struct EinsumPlan {
  std::vector<int64_t> sizes;
  size_t num_out = 0;
  std::vector<std::vector<int64_t>> strides;  // per operand, per axis
  Shape out_shape;
};

// Dims may be -1 (then sizes may be -1 too; strides are only meaningful for known shapes).
Expected<EinsumPlan> plan_einsum(const ir::Node& node, const std::vector<Shape>& shapes) {
  std::string eq = node.attr_string("equation", "");
  eq.erase(std::remove(eq.begin(), eq.end(), ' '), eq.end());
  const size_t arrow = eq.find("->");
  const std::string lhs = eq.substr(0, arrow);
  std::vector<Term> terms;
  for (size_t start = 0;;) {
    const size_t comma = lhs.find(',', start);
    KILN_ASSIGN_OR_RETURN(Term t, parse_term(node, lhs.substr(start, comma - start)));
    terms.push_back(std::move(t));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (terms.size() != shapes.size()) {
    return invalid_argument(node.describe() + ": the equation '" + eq + "' names " +
                            std::to_string(terms.size()) + " operands but the node has " +
                            std::to_string(shapes.size()) + " inputs");
  }
  // Broadcast dims of "...": right-aligned across operands.
  size_t ellipsis_rank = 0;
  std::vector<size_t> op_ellipsis(terms.size(), 0);
  for (size_t o = 0; o < terms.size(); ++o) {
    const size_t named = terms[o].labels.size() - (terms[o].has_ellipsis() ? 1 : 0);
    if (shapes[o].size() < named || (!terms[o].has_ellipsis() && shapes[o].size() != named)) {
      return invalid_argument(node.describe() + ": operand " + std::to_string(o) + " has rank " +
                              std::to_string(shapes[o].size()) + " but its term has " +
                              std::to_string(named) + " labels");
    }
    op_ellipsis[o] = shapes[o].size() - named;
    ellipsis_rank = std::max(ellipsis_rank, op_ellipsis[o]);
  }
  // Axis ids: 0..ellipsis_rank-1 for the broadcast dims, then one per label.
  std::map<int, int64_t> label_size;
  std::map<int, int> label_count;
  std::vector<int64_t> ellipsis_size(ellipsis_rank, 1);
  auto merge = [&](int64_t& into, int64_t d, const std::string& what) -> Status {
    if (d == 1 || d == into) return Status::ok();
    if (into == 1 || into == -1) {
      into = d;
    } else if (d != -1) {
      return invalid_argument(node.describe() + ": " + what + " has sizes " + std::to_string(into) + " and " +
                              std::to_string(d));
    }
    return Status::ok();
  };
  for (size_t o = 0; o < terms.size(); ++o) {
    size_t dim = 0;
    for (int l : terms[o].labels) {
      if (l == kEllipsis) {
        for (size_t e = 0; e < op_ellipsis[o]; ++e, ++dim) {
          KILN_RETURN_IF_ERROR(
              merge(ellipsis_size[ellipsis_rank - op_ellipsis[o] + e], shapes[o][dim], "'...'"));
        }
        continue;
      }
      label_size.try_emplace(l, 1);
      ++label_count[l];
      KILN_RETURN_IF_ERROR(merge(label_size[l], shapes[o][dim++], std::string("label '") + char(l) + "'"));
    }
  }
  // The output term, explicit or implicit.
  Term out;
  if (arrow != std::string::npos) {
    KILN_ASSIGN_OR_RETURN(out, parse_term(node, eq.substr(arrow + 2)));
    for (int l : out.labels) {
      if (l != kEllipsis && !label_size.count(l)) {
        return invalid_argument(node.describe() + ": output label '" + std::string(1, char(l)) +
                                "' is not in any input");
      }
      if (l != kEllipsis && std::count(out.labels.begin(), out.labels.end(), l) > 1) {
        return invalid_argument(node.describe() + ": output label '" + std::string(1, char(l)) +
                                "' is repeated");
      }
    }
  } else {
    if (ellipsis_rank > 0) out.labels.push_back(kEllipsis);
    for (const auto& [l, n] : label_count) {  // std::map: ASCII order, as NumPy sorts
      if (n == 1) out.labels.push_back(l);
    }
  }
  // Order the axes: output axes in output order, then the summed ellipsis dims and labels.
  EinsumPlan p;
  std::vector<int> axis_label;  // label per axis, or kEllipsis - 1 - e for broadcast dim e
  for (int l : out.labels) {
    if (l == kEllipsis) {
      for (size_t e = 0; e < ellipsis_rank; ++e) axis_label.push_back(kEllipsis - 1 - static_cast<int>(e));
    } else {
      axis_label.push_back(l);
    }
  }
  p.num_out = axis_label.size();
  if (!out.has_ellipsis()) {
    for (size_t e = 0; e < ellipsis_rank; ++e) axis_label.push_back(kEllipsis - 1 - static_cast<int>(e));
  }
  for (const auto& [l, n] : label_size) {
    if (std::find(axis_label.begin(), axis_label.end(), l) == axis_label.end()) axis_label.push_back(l);
  }
  for (int l : axis_label)
    p.sizes.push_back(l < kEllipsis ? ellipsis_size[kEllipsis - 1 - l] : label_size[l]);
  p.out_shape.assign(p.sizes.begin(), p.sizes.begin() + static_cast<int64_t>(p.num_out));
  // Strides per operand and axis.
  for (size_t o = 0; o < terms.size(); ++o) {
    std::vector<int64_t> st(axis_label.size(), 0);
    const std::vector<int64_t> dims_stride = strides_of(shapes[o]);
    size_t dim = 0;
    for (int l : terms[o].labels) {
      if (l == kEllipsis) {
        for (size_t e = 0; e < op_ellipsis[o]; ++e, ++dim) {
          const int id = kEllipsis - 1 - static_cast<int>(ellipsis_rank - op_ellipsis[o] + e);
          const size_t a = std::find(axis_label.begin(), axis_label.end(), id) - axis_label.begin();
          if (shapes[o][dim] != 1) st[a] += dims_stride[dim];
        }
        continue;
      }
      const size_t a = std::find(axis_label.begin(), axis_label.end(), l) - axis_label.begin();
      if (shapes[o][dim] != 1) st[a] += dims_stride[dim];
      ++dim;
    }
    p.strides.push_back(std::move(st));
  }
  return p;
}

Status infer(InferContext& ctx) {
  if (ctx.num_inputs() == 0) return ctx.error("expects at least one input");
  const DataType t = ctx.dtype(0);
  if (t == DataType::kBool) return ctx.error("Einsum does not take bool inputs");
  std::vector<Shape> shapes;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    if (!ctx.input(i).rank_known) {
      ctx.set_output_unknown_rank(0, t);
      return Status::ok();
    }
    shapes.push_back(ctx.shape(i));
  }
  KILN_ASSIGN_OR_RETURN(EinsumPlan p, plan_einsum(ctx.node, shapes));
  ctx.set_output(0, t, p.out_shape);
  return Status::ok();
}

Status run(RunContext& ctx) {
  if (ctx.num_inputs() == 0) return ctx.error("expects at least one input");
  KILN_RETURN_IF_ERROR(require_inputs(ctx, ctx.num_inputs()));
  const DataType t = ctx.input(0).dtype();
  if (t == DataType::kBool) return ctx.error("Einsum does not take bool inputs");
  std::vector<Shape> shapes;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    if (ctx.input(i).dtype() != t) return ctx.error("all inputs must have the same type");
    shapes.push_back(ctx.input(i).shape());
  }
  KILN_ASSIGN_OR_RETURN(EinsumPlan p, plan_einsum(ctx.node, shapes));
  Tensor& y = ctx.allocate_output(0, t, p.out_shape);
  const size_t ops = shapes.size(), axes = p.sizes.size();
  const int64_t out_count = shape_numel(p.out_shape);
  int64_t sum_count = 1;
  for (size_t a = p.num_out; a < axes; ++a) sum_count *= p.sizes[a];
  return visit_dtype(t, [&]<typename T>() -> Status {
    using Acc =
        std::conditional_t<std::is_same_v<T, double>, double,
                           std::conditional_t<std::is_floating_point_v<T> || !std::is_integral_v<T>, float,
                                              std::conditional_t<std::is_signed_v<T>, int64_t, uint64_t>>>;
    std::vector<const T*> src(ops);
    for (size_t o = 0; o < ops; ++o) src[o] = ctx.input(o).data<T>();
    std::vector<int64_t> idx(axes, 0), off(ops, 0);
    // Advances the odometer over axes [first, last), keeping each operand's offset in step.
    auto advance = [&](size_t first, size_t last) {
      for (size_t a = last; a-- > first;) {
        for (size_t o = 0; o < ops; ++o) off[o] += p.strides[o][a];
        if (++idx[a] < p.sizes[a]) return;
        for (size_t o = 0; o < ops; ++o) off[o] -= p.strides[o][a] * p.sizes[a];
        idx[a] = 0;
      }
    };
    T* dst = y.data<T>();
    for (int64_t e = 0; e < out_count; ++e) {
      Acc sum = 0;
      for (int64_t r = 0; r < sum_count; ++r) {
        Acc prod = static_cast<Acc>(src[0][off[0]]);
        for (size_t o = 1; o < ops; ++o) prod *= static_cast<Acc>(src[o][off[o]]);
        sum += prod;
        advance(p.num_out, axes);
      }
      dst[e] = static_cast<T>(sum);
      advance(0, p.num_out);
    }
    return Status::ok();
  });
}

// One multiply-add per operand for every combination of output and summed indices.
Cost cost(const ir::Node& node, std::span<const TensorType> in, std::span<const TensorType> out) {
  Cost c;
  std::vector<Shape> shapes;
  for (const auto& t : in) {
    c.bytes += tensor_bytes(t);
    if (!t.shape_known()) return c;
    shapes.push_back(t.shape);
  }
  for (const auto& t : out) c.bytes += tensor_bytes(t);
  auto p = plan_einsum(node, shapes);
  if (!p) return c;
  double combos = 1;
  for (int64_t s : p->sizes) combos *= static_cast<double>(s);
  c.flops = combos * static_cast<double>(in.size());
  return c;
}

}  // namespace

KILN_REGISTER_OP({.op_type = "Einsum", .domain = "", .infer = infer, .reference = run, .cost = cost});

}  // namespace kiln::ops
