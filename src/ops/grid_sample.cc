// GridSample: samples X [N, C, H, W] at the normalised (x, y) locations of Grid [N, Ho, Wo, 2]
// into Y [N, C, Ho, Wo], as PyTorch's grid_sample does (the conformance outputs come from it).
// Modes bilinear/nearest/bicubic (opset 20's linear/cubic too), padding zeros/border/reflection.
#include <algorithm>
#include <cmath>

#include "ops/kernel_util.h"
#include "ops/util.h"

namespace kiln::ops {
namespace {

enum class Interp { kNearest, kLinear, kCubic };
enum class Padding { kZeros, kBorder, kReflection };

struct Params {
  Interp interp = Interp::kLinear;
  Padding padding = Padding::kZeros;
  bool align_corners = false;
};

Expected<Params> read_params(const ir::Node& node) {
  Params p;
  const std::string mode = node.attr_string("mode", node.opset >= 20 ? "linear" : "bilinear");
  if (mode == "bilinear" || mode == "linear") {
    p.interp = Interp::kLinear;
  } else if (mode == "nearest") {
    p.interp = Interp::kNearest;
  } else if (mode == "bicubic" || mode == "cubic") {
    p.interp = Interp::kCubic;
  } else {
    return invalid_argument(node.describe() + ": mode '" + mode +
                            "' is not one of bilinear, nearest, bicubic");
  }
  const std::string padding = node.attr_string("padding_mode", "zeros");
  if (padding == "zeros") {
    p.padding = Padding::kZeros;
  } else if (padding == "border") {
    p.padding = Padding::kBorder;
  } else if (padding == "reflection") {
    p.padding = Padding::kReflection;
  } else {
    return invalid_argument(node.describe() + ": padding_mode '" + padding +
                            "' is not one of zeros, border, reflection");
  }
  p.align_corners = node.attr_int("align_corners", 0) != 0;
  return p;
}

template <typename A>
A unnormalize(A coord, int64_t size, bool align_corners) {
  return align_corners ? (coord + 1) / 2 * static_cast<A>(size - 1)
                       : ((coord + 1) * static_cast<A>(size) - 1) / 2;
}

// Reflects `x` into [twice_low / 2, twice_high / 2] (bounds doubled so that half-integers stay exact).
template <typename A>
A reflect(A x, int64_t twice_low, int64_t twice_high) {
  if (twice_low == twice_high) return 0;
  const A lo = static_cast<A>(twice_low) / 2;
  const A span = static_cast<A>(twice_high - twice_low) / 2;
  x = std::abs(x - lo);
  const A extra = std::fmod(x, span);
  const A flips = std::floor(x / span);
  return std::fmod(flips, A(2)) == 0 ? extra + lo : span - extra + lo;
}

// Applies the padding mode to a source coordinate (zeros leaves it for the bounds check).
template <typename A>
A pad_coordinate(A x, int64_t size, const Params& p) {
  switch (p.padding) {
    case Padding::kZeros:
      return x;
    case Padding::kBorder:
      return std::clamp(x, A(0), static_cast<A>(size - 1));
    case Padding::kReflection:
      x = p.align_corners ? reflect(x, 0, 2 * (size - 1)) : reflect(x, -1, 2 * size - 1);
      return std::clamp(x, A(0), static_cast<A>(size - 1));
  }
  return x;
}

// A coordinate as an index; far-off (or NaN) coordinates become -1, which every bounds check rejects.
template <typename A>
int64_t to_index(A v) {
  return v > A(-1e9) && v < A(1e9) ? static_cast<int64_t>(v) : -1;
}

template <typename A>
void cubic_weights(A t, A w[4]) {
  constexpr A a = A(-0.75);
  auto near = [](A x) { return ((a + 2) * x - (a + 3)) * x * x + 1; };       // |x| <= 1
  auto far = [](A x) { return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a; };  // 1 < |x| < 2
  w[0] = far(t + 1);
  w[1] = near(t);
  w[2] = near(1 - t);
  w[3] = far(2 - t);
}

Status infer(InferContext& ctx) {
  KILN_RETURN_IF_ERROR(read_params(ctx.node).status());
  const DataType dt = ctx.dtype(0);
  if (!ctx.input(0).rank_known || !ctx.input(1).rank_known) {
    ctx.set_output_unknown_rank(0, dt);
    return Status::ok();
  }
  const Shape& x = ctx.shape(0);
  const Shape& g = ctx.shape(1);
  if (x.size() != 4 || g.size() != 4 || (g[3] >= 0 && g[3] != 2)) {
    return ctx.error("expects X [N, C, H, W] and Grid [N, H_out, W_out, 2]; got " + shape_str(x) + " and " +
                     shape_str(g));
  }
  ctx.set_output(0, dt, {x[0] >= 0 ? x[0] : g[0], x[1], g[1], g[2]});
  return Status::ok();
}

Status run(RunContext& ctx) {
  KILN_ASSIGN_OR_RETURN(Params p, read_params(ctx.node));
  const Tensor& x = ctx.input(0);
  const Tensor& grid = ctx.input(1);
  if (x.rank() != 4 || grid.rank() != 4 || grid.dim(3) != 2 || grid.dim(0) != x.dim(0)) {
    return ctx.error("expects X [N, C, H, W] and Grid [N, H_out, W_out, 2]; got " + shape_str(x.shape()) +
                     " and " + shape_str(grid.shape()));
  }
  if (grid.dtype() != x.dtype()) return ctx.error("Grid must have the type of X");
  const int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3);
  const int64_t ho = grid.dim(1), wo = grid.dim(2);
  Tensor& y = ctx.allocate_output(0, x.dtype(), {n, c, ho, wo});
  return visit_float_dtype(x.dtype(), "GridSample", [&]<typename T>() {
    using A = float_acc_t<T>;
    const T* src = x.data<T>();
    const T* gp = grid.data<T>();
    T* dst = y.data<T>();
    for (int64_t b = 0; b < n; ++b) {
      for (int64_t i = 0; i < ho * wo; ++i) {
        const A gx = static_cast<A>(gp[(b * ho * wo + i) * 2]);
        const A gy = static_cast<A>(gp[(b * ho * wo + i) * 2 + 1]);
        const A ux = unnormalize(gx, w, p.align_corners);
        const A uy = unnormalize(gy, h, p.align_corners);
        for (int64_t ch = 0; ch < c; ++ch) {
          const T* img = src + (b * c + ch) * h * w;
          auto at = [&](int64_t yy, int64_t xx) -> A {
            return yy >= 0 && yy < h && xx >= 0 && xx < w ? static_cast<A>(img[yy * w + xx]) : A(0);
          };
          A v = 0;
          switch (p.interp) {
            case Interp::kNearest: {
              const A sx = pad_coordinate(ux, w, p), sy = pad_coordinate(uy, h, p);
              v = at(to_index(std::nearbyint(sy)), to_index(std::nearbyint(sx)));
              break;
            }
            case Interp::kLinear: {
              const A sx = pad_coordinate(ux, w, p), sy = pad_coordinate(uy, h, p);
              const A fx = std::floor(sx), fy = std::floor(sy);
              const int64_t x0 = to_index(fx), y0 = to_index(fy);
              const A tx = sx - fx, ty = sy - fy;
              v = (1 - ty) * ((1 - tx) * at(y0, x0) + tx * at(y0, x0 + 1)) +
                  ty * ((1 - tx) * at(y0 + 1, x0) + tx * at(y0 + 1, x0 + 1));
              break;
            }
            case Interp::kCubic: {
              // Padding applies to each of the 16 taps, not to the source coordinate.
              const A fx = std::floor(ux), fy = std::floor(uy);
              A wx[4], wy[4];
              cubic_weights(ux - fx, wx);
              cubic_weights(uy - fy, wy);
              for (int64_t r = 0; r < 4; ++r) {
                const A ty = pad_coordinate(fy - 1 + static_cast<A>(r), h, p);
                A row = 0;
                for (int64_t q = 0; q < 4; ++q) {
                  const A tx = pad_coordinate(fx - 1 + static_cast<A>(q), w, p);
                  row += wx[q] * at(to_index(ty), to_index(tx));
                }
                v += wy[r] * row;
              }
              break;
            }
          }
          dst[((b * c + ch) * ho * wo) + i] = static_cast<T>(v);
        }
      }
    }
    return Status::ok();
  });
}

Cost cost(const ir::Node& node, std::span<const TensorType> in, std::span<const TensorType> out) {
  return {.flops = 8 * type_numel(out[0]), .bytes = io_bytes(in, out)};
}

}  // namespace

KILN_REGISTER_OP({.op_type = "GridSample", .infer = infer, .reference = run, .cost = cost});

}  // namespace kiln::ops
