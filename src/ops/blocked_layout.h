// The blocked activation layout of the CPU backend (NCHW16c on AVX-512, NCHW8c on AVX2): a planar
// [N, C, spatial...] float tensor is stored as [N, ceil(C / b), spatial..., b], channel c of a
// position at block c / b, lane c % b. Lanes past C are padding: writers keep them finite (zero
// when reordering in, the epilogue of zero weights and bias in a conv), readers ignore them.
//
// Three kiln ops carry it in the graph, so the arena, the plan and the executor need no notion of
// layout (cpu/layout.cc inserts them):
//   kiln.ToBlocked    (X planar)                   -> blocked;  attribute block (b)
//   kiln.ToPlanar     (X blocked)                  -> planar;   attribute channels (C)
//   kiln.BlockedConv  (X, W, B, R all as FusedConv) -> blocked; FusedConv's attributes and block
//                     R blocked, X blocked or (a first layer on an image) planar NCHW, W and B
//                     as in FusedConv: the reference is ToPlanar, FusedConv's reference, ToBlocked.
#pragma once

#include <cstdint>

#include "kiln/tensor.h"

namespace kiln::ops {

inline constexpr const char* kToBlocked = "ToBlocked";
inline constexpr const char* kToPlanar = "ToPlanar";
inline constexpr const char* kBlockedConv = "BlockedConv";

/// [N, C, s...] -> [N, ceil(C / b), s..., b]; the shape must have rank >= 2 and known dims.
Shape blocked_shape(const Shape& planar, int64_t block);
/// [N, Cb, s..., b] -> [N, channels, s...].
Shape planar_shape(const Shape& blocked, int64_t channels);

/// Reorders n images of c channels of `spatial` positions each (padding lanes set to zero).
void to_blocked(const float* planar, float* blocked, int64_t n, int64_t c, int64_t spatial, int64_t block);
void to_planar(const float* blocked, float* planar, int64_t n, int64_t c, int64_t spatial, int64_t block);

}  // namespace kiln::ops
