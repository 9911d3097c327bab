// The machine's ceilings, measured rather than taken from a data sheet: FP32 FMA throughput (a loop of
// independent FMAs in the widest vectors the CPU has) and streaming memory bandwidth (a scale,
// b[i] = s * a[i], over buffers far bigger than the last-level cache). Each runs on T threads in
// parallel and reports the sum. Used by `kiln peak` and as the roofline's ceilings in `kiln profile`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "kiln/status.h"

namespace kiln::profile {

/// The FMA kernel this CPU runs: "avx512f", "avx2+fma" or "scalar" (chosen by cpuid).
std::string fma_isa();

/// A rate measured on T threads running together.
struct Rate {
  /// Each thread's work over its own CPU time, summed (over the wall time when T exceeds the
  /// cores): what the cores can do even when other processes share them.
  double per_cpu = 0;
  double wall = 0;       // all threads' work over the wall time
  double cpu_share = 0;  // CPU time the threads got / (T x wall time); below ~0.9 the machine is busy
};

/// FP32 GFLOP/s of T threads running the FMA loop together (an FMA counts as 2 FLOPs), the best of
/// a few repeats within about `seconds`.
Rate measure_fma_gflops(int threads, double seconds);

/// Bytes of each of the two stream buffers by default: 4x the last-level cache, clamped to
/// [64 MiB, 1 GiB].
size_t default_stream_bytes();

/// GB/s (1e9 bytes/s, counting one read and one write per element, like STREAM) of T threads each
/// scaling its slice of two `bytes`-sized buffers, the best pass within about `seconds`. Fails when
/// the buffers cannot be allocated.
Expected<Rate> measure_stream_gbps(int threads, size_t bytes, double seconds);

struct PeakResult {
  int threads = 1;
  double gflops = 0;  // fma.per_cpu
  double gbps = 0;    // stream.per_cpu
  Rate fma, stream;
  std::string isa;
  size_t stream_bytes = 0;
};

/// Both ceilings for `threads` threads; `seconds` is the budget of each measurement.
Expected<PeakResult> measure_peaks(int threads, double seconds, size_t stream_bytes = 0);

}  // namespace kiln::profile
