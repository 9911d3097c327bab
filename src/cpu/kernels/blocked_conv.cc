#include "cpu/kernels/blocked_conv.h"

#include <algorithm>

namespace kiln::cpu {

const BlockedConvKernel* blocked_conv_kernel(Isa isa) {
  return by_isa(isa, blocked_conv_kernel_avx512, blocked_conv_kernel_avx2);
}

namespace {
int64_t blocks(int64_t c, int64_t b) { return (c + b - 1) / b; }
}  // namespace

int64_t blocked_direct_packed_floats(const BlockedConvKernel& k, const Conv2dShape& s, bool planar_input) {
  const int64_t b = k.block, in = planar_input ? s.in_c : blocks(s.in_c, b) * b;
  return in * s.kh * s.kw * blocks(s.out_c, b) * b + blocks(s.out_c, b) * b;
}

void blocked_direct_pack(const BlockedConvKernel& k, const Conv2dShape& s, bool planar_input, const float* w,
                         const float* bias, float* packed) {
  const int64_t b = k.block, ocb = blocks(s.out_c, b), taps = s.kh * s.kw;
  const int64_t cg = planar_input ? 1 : b, gin = planar_input ? s.in_c : blocks(s.in_c, b);
  float* p = packed;
  const BlockGroups groups = block_groups(ocb, k.max_group);
  for (int64_t grp = 0; grp < groups.count; ++grp) {
    const int64_t g0 = groups.start(grp), nb = groups.size(grp);
    for (int64_t ib = 0; ib < gin; ++ib)
      for (int64_t t = 0; t < taps; ++t)
        for (int64_t il = 0; il < cg; ++il)
          for (int64_t j = 0; j < nb; ++j)
            for (int64_t ol = 0; ol < b; ++ol) {
              const int64_t oc = (g0 + j) * b + ol, ic = ib * cg + il;
              *p++ = oc < s.out_c && ic < s.in_c ? w[(oc * s.in_c + ic) * taps + t] : 0.0f;
            }
  }
  for (int64_t oc = 0; oc < ocb * b; ++oc) *p++ = bias && oc < s.out_c ? bias[oc] : 0.0f;
}

void blocked_quad_pack(const BlockedConvKernel& k, const Conv2dShape& s, const float* w, const float* bias,
                       float* packed) {
  const int64_t b = k.block, ocb = blocks(s.out_c, b), icb = blocks(s.in_c, b);
  float* p = packed;
  for (int64_t ob = 0; ob < ocb; ++ob)
    for (int64_t ib = 0; ib < icb; ++ib)
      for (int64_t q = 0; q < b / 4; ++q)
        for (int64_t r = 0; r < 4; ++r)
          for (int64_t lane = 0; lane < b; ++lane) {
            const int64_t oc = ob * b + lane / 4 * 4 + r, ic = ib * b + q * 4 + lane % 4;
            *p++ = oc < s.out_c && ic < s.in_c ? w[oc * s.in_c + ic] : 0.0f;
          }
  for (int64_t oc = 0; oc < ocb * b; ++oc) *p++ = bias && oc < s.out_c ? bias[oc] : 0.0f;
}

int64_t blocked_depthwise_packed_floats(const BlockedConvKernel& k, const Conv2dShape& s) {
  const int64_t b = k.block;
  return blocks(s.out_c, b) * b * (s.kh * s.kw + 1);
}

void blocked_depthwise_pack(const BlockedConvKernel& k, const Conv2dShape& s, const float* w,
                            const float* bias, float* packed) {
  const int64_t b = k.block, cb = blocks(s.out_c, b), taps = s.kh * s.kw;
  float* p = packed;
  for (int64_t ib = 0; ib < cb; ++ib)
    for (int64_t t = 0; t < taps; ++t)
      for (int64_t l = 0; l < b; ++l) {
        const int64_t c = ib * b + l;
        *p++ = c < s.out_c ? w[c * taps + t] : 0.0f;
      }
  for (int64_t c = 0; c < cb * b; ++c) *p++ = bias && c < s.out_c ? bias[c] : 0.0f;
}

}  // namespace kiln::cpu
