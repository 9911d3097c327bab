#include "tune/timing_cache.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace kiln::tune {

void sort_fastest_first(std::vector<TacticTiming>& timings) {
  std::stable_sort(timings.begin(), timings.end(), [](const TacticTiming& a, const TacticTiming& b) {
    return a.microseconds < b.microseconds;
  });
}

void TimingCache::put(const std::string& key, std::vector<TacticTiming> timings) {
  sort_fastest_first(timings);
  entries_[key] = std::move(timings);
}

Expected<TimingCache> TimingCache::load(const std::string& path) {
  TimingCache cache;
  std::ifstream in(path);
  if (!in) return cache;
  std::string line;
  for (int line_no = 1; std::getline(in, line); ++line_no) {
    if (line.empty()) continue;
    auto bad = [&](const std::string& why) {
      return corrupt("timing cache '" + path + "' line " + std::to_string(line_no) + ": " + why +
                     " (delete the file to start a new cache)");
    };
    size_t tab = line.rfind('\t');
    if (tab == std::string::npos) return bad("no tab between the key and the timings");
    std::vector<TacticTiming> timings;
    std::stringstream items(line.substr(tab + 1));
    std::string item;
    while (std::getline(items, item, ',')) {
      size_t eq = item.rfind('=');
      if (eq == std::string::npos || eq == 0) return bad("'" + item + "' is not tactic=microseconds");
      char* end = nullptr;
      double us = std::strtod(item.c_str() + eq + 1, &end);
      if (end == item.c_str() + eq + 1 || *end != '\0' || !(us >= 0))
        return bad("'" + item + "' has no valid time");
      timings.push_back({item.substr(0, eq), us});
    }
    if (timings.empty()) return bad("no timings");
    cache.put(line.substr(0, tab), std::move(timings));
  }
  return cache;
}

Status TimingCache::save(const std::string& path) const {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    if (!out) return io_error("timing cache '" + path + "': cannot open " + tmp + " for writing");
    for (const auto& [key, timings] : entries_) {
      out << key << '\t';
      for (size_t i = 0; i < timings.size(); ++i) {
        char us[32];
        std::snprintf(us, sizeof us, "%.3f", timings[i].microseconds);
        out << (i ? "," : "") << timings[i].tactic << '=' << us;
      }
      out << '\n';
    }
    if (!out) return io_error("timing cache '" + path + "': write failed");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    return io_error("timing cache '" + path + "': cannot replace it");
  return Status::ok();
}

const std::vector<TacticTiming>* TimingCache::find(const std::string& key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : &it->second;
}

}  // namespace kiln::tune
