#include "vision/ctc_decode.h"

#include <algorithm>
#include <fstream>

namespace kiln::vision {

CtcDictionary::CtcDictionary(std::vector<std::string> chars) {
  symbols_.reserve(chars.size() + 2);
  symbols_.push_back("");  // blank
  for (auto& c : chars) symbols_.push_back(std::move(c));
  symbols_.push_back(" ");
}

Expected<CtcDictionary> CtcDictionary::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return not_found("dictionary '" + path + "': cannot be opened");
  std::vector<std::string> chars;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    chars.push_back(line);
  }
  if (chars.empty()) return corrupt("dictionary '" + path + "': no characters (one per line expected)");
  return CtcDictionary(std::move(chars));
}

CtcResult ctc_greedy_decode(const float* probs, int steps, int classes, const CtcDictionary& dict) {
  CtcResult r;
  double sum = 0;
  int kept = 0, previous = -1;
  for (int t = 0; t < steps; ++t) {
    const float* p = probs + static_cast<size_t>(t) * classes;
    const int best = static_cast<int>(std::max_element(p, p + classes) - p);
    if (best != 0 && best != previous && static_cast<size_t>(best) < dict.classes()) {
      r.text += dict.symbol(best);
      sum += p[best];
      ++kept;
    }
    previous = best;
  }
  r.score = kept ? static_cast<float>(sum / kept) : 0.0f;
  return r;
}

}  // namespace kiln::vision
