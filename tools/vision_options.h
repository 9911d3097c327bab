// Options of the vision commands (kiln detect, kiln ocr) as small classes: `add_to(app)` for
// CLI11 and `parse` that checks the values, with an error that says what to pass instead.
#pragma once

#include <string>

#include "CLI/CLI.hpp"
#include "kiln/status.h"
#include "vision/detect_post.h"

namespace kiln::cli {

/// kiln detect: --images, --out, --names, --score, --iou, --max, --repeat, --save-raw.
struct DetectOptions {
  std::string images, out_dir, names_file, save_raw;
  float score = 0.25f, iou = 0.45f;
  int max_detections = 100;
  int repeat = 1;

  void add_to(CLI::App& app);
  /// Checks the ranges and sets the thresholds of `params` (its sizes are left alone).
  Status parse(vision::YoloxParams& params) const;
};

/// kiln ocr: --images, --models, --out, --threads, --repeat, --no-cls, --det-limit.
struct OcrOptions {
  std::string images, models_dir = ".cache/models/ocr-models/package/assets", out_dir;
  std::string det_file = "ch_PP-OCRv4_det_infer.onnx", rec_file = "ch_PP-OCRv4_rec_infer.onnx",
              cls_file = "ch_ppocr_mobile_v2.0_cls_infer.onnx", dict_file = "ppocr_keys_v1.txt";
  int threads = 1;
  int repeat = 1;
  bool no_cls = false;
  int det_limit = 960;      // PaddleOCR's det_limit_side_len (limit type "max")
  int rec_bucket = 160;     // recognizer widths are rounded up to a multiple of this
  float drop_score = 0.5f;  // PaddleOCR drops recognized text scored below this

  void add_to(CLI::App& app);
  Status parse() const;
};

}  // namespace kiln::cli
