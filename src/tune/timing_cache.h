// The timing cache: one line per layer key, "key<TAB>tactic=microseconds,...". Read before tuning
// and written back after (atomically: a temp file renamed over the old one).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "kiln/engine.h"
#include "kiln/status.h"

namespace kiln::tune {

/// Orders a layer's timings fastest first (ties keep their order).
void sort_fastest_first(std::vector<TacticTiming>& timings);

class TimingCache {
 public:
  /// A missing file is an empty cache; a malformed line is an error naming the line.
  static Expected<TimingCache> load(const std::string& path);
  Status save(const std::string& path) const;

  /// A layer's timings, fastest first (whatever order the file listed them in).
  const std::vector<TacticTiming>* find(const std::string& key) const;
  void put(const std::string& key, std::vector<TacticTiming> timings);
  size_t size() const { return entries_.size(); }

 private:
  std::map<std::string, std::vector<TacticTiming>> entries_;
};

}  // namespace kiln::tune
