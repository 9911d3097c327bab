// Reads the GRAPH section: graphs (recursively through subgraph attributes), their values, nodes
// and attributes, with constants as views into the WEIGHTS section.
#pragma once

#include <cstddef>
#include <memory>

#include "ir/graph.h"
#include "plan/byte_io.h"

namespace kiln::plan {

/// The WEIGHTS section of a plan held in `blob`: bytes [begin, begin + size).
struct WeightsSpan {
  std::shared_ptr<std::byte[]> blob;
  size_t begin = 0;
  size_t size = 0;
};

/// Reads one top-level graph at `r`'s position. On failure returns null and `r` holds the error.
/// Every graph read is checked with ir::verify (structure) and has Value::producer relinked.
std::unique_ptr<ir::Graph> read_graph(ByteReader& r, const WeightsSpan& weights);

}  // namespace kiln::plan
