// A roofline chart as a standalone SVG: log-log axes (FLOP/byte vs GFLOP/s), the measured memory
// and compute ceilings, and one circle per layer (area by its share of time, colour by op, details
// on hover through <title>).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "profile/roofline.h"

namespace kiln::profile {

/// The SVG document. Layers that are not plottable (no FLOPs, bytes or time) are counted in a note
/// instead of drawn.
std::string roofline_svg(const std::vector<LayerPoint>& points, const Ceilings& ceilings,
                         const std::string& title);

/// Escapes &, <, >, " and ' for XML text and attribute values.
std::string xml_escape(std::string_view text);

}  // namespace kiln::profile
