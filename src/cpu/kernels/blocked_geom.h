// A blocked convolution's geometry in the units its kernels use (blocked_conv_impl.h,
// blocked_depthwise_rows.h).
#pragma once

#include <algorithm>
#include <cstdint>
#include <utility>

#include "cpu/kernels/conv2d.h"

namespace kiln::cpu::detail {

// The layer's geometry in the units the tiles use. A 1x1 stride-1 unpadded conv is one row of
// H*W pixels, so its tiles run over whole planes.
struct BlockedGeom {
  int64_t icb, ocb;        // input and output blocks
  int64_t gin, cg, x_pix;  // input channel groups, channels per group, floats per input pixel:
                           // blocked input icb, b, b; planar input in_c, 1, 1
  int64_t last_cg;         // real channels of the last group (its other lanes are padding)
  int64_t last_ob;         // real channels of the last output block
  int64_t ih, iw, oh, ow;  // image and output rows/columns
  int64_t kh, kw, sh, sw, dh, dw, pt, pl;
  int64_t x_plane, y_plane;  // floats per input group and per output block: ih*iw*x_pix, oh*ow*b
  int64_t ox_lo, ox_hi;      // output columns whose taps all lie inside the row
};

inline BlockedGeom blocked_geom(const Conv2dShape& s, int64_t b, bool planar_input = false) {
  BlockedGeom g{};
  g.icb = (s.in_c + b - 1) / b;
  g.gin = planar_input ? s.in_c : g.icb;
  g.cg = g.x_pix = planar_input ? 1 : b;
  g.last_cg = planar_input ? 1 : s.in_c - (g.icb - 1) * b;
  g.ocb = (s.out_c + b - 1) / b;
  g.last_ob = s.out_c - (g.ocb - 1) * b;
  g.ih = s.in_h, g.iw = s.in_w, g.oh = s.out_h, g.ow = s.out_w;
  g.kh = s.kh, g.kw = s.kw, g.sh = s.sh, g.sw = s.sw, g.dh = s.dh, g.dw = s.dw, g.pt = s.pad_top,
  g.pl = s.pad_left;
  if (s.pointwise() && s.in_h == s.out_h && s.in_w == s.out_w) {
    g.iw = g.ow = s.in_h * s.in_w;
    g.ih = g.oh = 1;
  }
  g.x_plane = g.ih * g.iw * g.x_pix;
  g.y_plane = g.oh * g.ow * b;
  // ox * sw - pl >= 0 and ox * sw - pl + (kw - 1) * dw < iw.
  g.ox_lo = std::min<int64_t>((g.pl + g.sw - 1) / g.sw, g.ow);
  const int64_t last = g.iw - 1 - (g.kw - 1) * g.dw + g.pl;  // ox * sw <= last
  g.ox_hi = last < 0 ? g.ox_lo : std::clamp<int64_t>(last / g.sw + 1, g.ox_lo, g.ow);
  return g;
}

// Taps [lo, hi) of a kernel axis that fall inside [0, size) for a window starting at `start`.
inline std::pair<int64_t, int64_t> taps_inside(int64_t start, int64_t k, int64_t d, int64_t size) {
  int64_t lo = 0, hi = k;
  while (lo < k && start + lo * d < 0) ++lo;
  while (hi > lo && start + (hi - 1) * d >= size) --hi;
  return {lo, hi};
}

}  // namespace kiln::cpu::detail
