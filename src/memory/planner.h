// The arena planner: given each activation's size and lifetime over the schedule, plus aliasing
// rules (views into another value, in-place candidates), assigns byte offsets in one arena so that
// values alive at the same time never overlap. It knows nothing of ops.
#pragma once

#include <cstdint>
#include <vector>

namespace kiln::memory {

struct Buffer {
  int64_t bytes = 0;
  int def = 0;       // step that writes it
  int last_use = 0;  // last step that reads it (>= def)
};

/// `value` lives inside `target`'s bytes at `offset` (e.g. a Concat input inside the Concat's
/// output, or a Reshape's output in its input). Honoured when it fits.
struct View {
  int value = 0;
  int target = 0;
  int64_t offset = 0;
  /// Views with the same group >= 0 are honoured all together or not at all (the inputs of one
  /// eliminated Concat); -1: on its own.
  int group = -1;
};

/// `value` may take `input`'s bytes when `input` is last read by the step that writes `value`.
struct InPlace {
  int value = 0;
  int input = 0;
};

struct Problem {
  std::vector<Buffer> buffers;
  std::vector<View> views;
  std::vector<InPlace> in_place;
  int64_t alignment = 64;
};

struct Solution {
  std::vector<int64_t> offsets;  // per buffer
  std::vector<bool> in_place;    // per buffer: took its input's bytes
  std::vector<bool> view;        // per buffer: placed inside another buffer by a View
  int64_t arena_bytes = 0;       // peak
  int64_t naive_bytes = 0;       // sum of aligned sizes, no reuse
};

/// Greedy by size with best fit: roots (buffers not placed inside another) are placed largest first
/// at the offset that wastes least among the gaps left by overlapping-lifetime roots.
Solution plan(const Problem& problem);

}  // namespace kiln::memory
