// Summary statistics of repeated timings (bench latencies, per-layer profile times).
#pragma once

#include <cstddef>
#include <vector>

namespace kiln::profile {

struct Summary {
  size_t count = 0;
  double min = 0, mean = 0, median = 0, p90 = 0, p99 = 0, max = 0;
  double stddev = 0;  // population standard deviation
  double cv = 0;      // coefficient of variation: stddev / mean (0 when the mean is 0)
};

/// The p-th percentile (p in [0, 100]) of sorted values, interpolating linearly between the
/// closest ranks (numpy's default). Empty input gives 0.
double percentile(const std::vector<double>& sorted, double p);

/// Summarizes `values` (any order).
Summary summarize(std::vector<double> values);

/// CPU seconds the calling thread has run. Against wall time it tells how much of a core a
/// measurement got on a machine shared with other processes.
double thread_cpu_seconds();

}  // namespace kiln::profile
