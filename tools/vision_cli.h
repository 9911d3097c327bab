// Shared pieces of the vision commands (detect, ocr): timing per stage, the engine's image input.
#pragma once

#include <chrono>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "kiln/engine.h"
#include "nlohmann/json.hpp"

namespace kiln::cli {

using Clock = std::chrono::steady_clock;
inline double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}
inline double ms_since(Clock::time_point t0) { return ms_between(t0, Clock::now()); }

/// Prints "WHO: message" and returns `code`.
inline int fail(const char* who, const Status& st, int code) {
  std::cerr << who << ": " << st.message() << "\n";
  return code;
}

/// Per-stage times of every processed image, reported as medians.
class StageTimes {
 public:
  explicit StageTimes(std::vector<std::string> stages) : stages_(std::move(stages)), ms_(stages_.size()) {}
  void add(size_t stage, double ms) { ms_[stage].push_back(ms); }
  double median(size_t stage) const;
  /// "time   median per image (N images x R runs): pre 1.2 ms, infer 30.1 ms, post 0.3 ms"
  std::string summary(int images, int repeat) const;
  nlohmann::json to_json() const;

 private:
  std::vector<std::string> stages_;
  std::vector<std::vector<double>> ms_;
};

/// The engine's single image input: float32 [1, 3, H, W] with H and W fixed.
Expected<TensorInfo> image_input(const Engine& engine);

}  // namespace kiln::cli
