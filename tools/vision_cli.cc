#include "vision_cli.h"

#include <algorithm>

#include "engine_options.h"

namespace kiln::cli {

double StageTimes::median(size_t stage) const {
  std::vector<double> v = ms_[stage];
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

std::string StageTimes::summary(int images, int repeat) const {
  std::string s = "time   median per image (" + std::to_string(images) + " image(s) x " +
                  std::to_string(repeat) + " run(s)):";
  for (size_t i = 0; i < stages_.size(); ++i)
    s += std::string(i ? "," : "") + " " + stages_[i] + " " + fixed(median(i), 2) + " ms";
  return s;
}

nlohmann::json StageTimes::to_json() const {
  nlohmann::json j;
  for (size_t i = 0; i < stages_.size(); ++i) j[stages_[i] + "_median"] = median(i);
  return j;
}

Expected<TensorInfo> image_input(const Engine& engine) {
  if (engine.inputs().size() != 1)
    return invalid_argument("the model has " + std::to_string(engine.inputs().size()) +
                            " inputs; an image model has one, [1, 3, H, W]");
  const TensorInfo& in = engine.inputs()[0];
  if (in.dtype != DataType::kFloat32 || in.shape.size() != 4 || in.shape[0] != 1 || in.shape[1] != 3 ||
      in.shape[2] <= 0 || in.shape[3] <= 0)
    return invalid_argument("the model's input '" + in.name + "' is " + dtype_name(in.dtype) + "[" +
                            shape_str(in.shape) +
                            "]; an image model takes float32 [1, 3, H, W] with H and W fixed "
                            "(build with --shapes " +
                            in.name + ":1x3xHxW)");
  return in;
}

}  // namespace kiln::cli
