// Greedy CTC decoding of a text recognizer's output with its character dictionary
// (PaddleOCR's CTCLabelDecode): best class per time step, repeats merged, blanks dropped.
#pragma once

#include <string>
#include <vector>

#include "kiln/status.h"

namespace kiln::vision {

/// Class i of the recognizer: 0 is the CTC blank, 1..N the dictionary's lines in order, and N+1
/// a space (PaddleOCR's use_space_char).
class CtcDictionary {
 public:
  /// Reads one character (UTF-8) per line. Fails naming the file when it is missing or empty.
  static Expected<CtcDictionary> load(const std::string& path);
  explicit CtcDictionary(std::vector<std::string> chars);
  /// Classes the recognizer must output: blank + characters + space.
  size_t classes() const { return symbols_.size(); }
  const std::string& symbol(size_t i) const { return symbols_[i]; }

 private:
  std::vector<std::string> symbols_;
};

struct CtcResult {
  std::string text;
  float score = 0;  // mean probability of the kept steps (0 when nothing is kept)
};

/// `probs` is [steps, classes] row-major (softmax outputs).
CtcResult ctc_greedy_decode(const float* probs, int steps, int classes, const CtcDictionary& dict);

}  // namespace kiln::vision
