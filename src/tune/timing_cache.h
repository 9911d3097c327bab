// The timing cache: one line per layer key, "key<TAB>tactic=microseconds,...". Read before tuning
// and written back after (atomically: a temp file renamed over the old one).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "kiln/engine.h"
#include "kiln/status.h"

namespace kiln::tune {

class TimingCache {
 public:
  /// A missing file is an empty cache; a malformed line is an error naming the line.
  static Expected<TimingCache> load(const std::string& path);
  Status save(const std::string& path) const;

  const std::vector<TacticTiming>* find(const std::string& key) const;
  void put(const std::string& key, std::vector<TacticTiming> timings) { entries_[key] = std::move(timings); }
  size_t size() const { return entries_.size(); }

 private:
  std::map<std::string, std::vector<TacticTiming>> entries_;
};

}  // namespace kiln::tune
