#include "vision_options.h"

#include "vision/thread_pool.h"

namespace kiln::cli {

void DetectOptions::add_to(CLI::App& app) {
  app.add_option("--images", images, "An image file or a folder of images")->required();
  app.add_option("--out", out_dir, "Write annotated images and detections.json here");
  app.add_option("--names", names_file, "Class names, one a line (default: coco.names next to the images)");
  app.add_option("--score", score, "Keep boxes with objectness * class score >= S (0.25)");
  app.add_option("--iou", iou, "Suppress same-class boxes with IoU above I (0.45)");
  app.add_option("--max", max_detections, "Keep at most M boxes per image (100)");
  app.add_option("--repeat", repeat, "Run each image N times, for steadier timings");
  app.add_option("--save-raw", save_raw,
                 "Write the head's raw output per image as NAME.npy here (builds without the post-processing "
                 "step; for tests/vision/yolox_ref.py)");
}

Status DetectOptions::parse(vision::YoloxParams& params) const {
  if (!(score >= 0 && score <= 1))
    return invalid_argument("--score " + std::to_string(score) + ": expected 0 to 1");
  if (!(iou >= 0 && iou <= 1)) return invalid_argument("--iou " + std::to_string(iou) + ": expected 0 to 1");
  if (max_detections < 1 || max_detections > 10000)
    return invalid_argument("--max " + std::to_string(max_detections) + ": expected 1 to 10000");
  if (repeat < 1) return invalid_argument("--repeat " + std::to_string(repeat) + ": expected at least 1");
  params.score_threshold = score;
  params.iou_threshold = iou;
  params.max_detections = max_detections;
  return Status::ok();
}

void OcrOptions::add_to(CLI::App& app) {
  app.add_option("--images", images, "An image file or a folder of images")->required();
  app.add_option(
      "--models", models_dir,
      "Folder of the PP-OCR models and ppocr_keys_v1.txt (default: .cache/models/ocr-models/package/assets)");
  app.add_option("--out", out_dir, "Write annotated images and ocr.json here");
  app.add_option("--threads", threads, "Threads for the engines and pre-processing (1)");
  app.add_option("--repeat", repeat, "Run each image N times, for steadier timings");
  app.add_flag("--no-cls", no_cls, "Skip the text direction classifier");
  app.add_option("--det-limit", det_limit, "Longest side the detector sees (960)");
}

Status OcrOptions::parse() const {
  if (threads < 1 || threads > vision::ThreadPool::kMaxThreads)
    return invalid_argument("--threads " + std::to_string(threads) + ": expected 1 to " +
                            std::to_string(vision::ThreadPool::kMaxThreads));
  if (repeat < 1) return invalid_argument("--repeat " + std::to_string(repeat) + ": expected at least 1");
  if (det_limit < 32 || det_limit > 8192)
    return invalid_argument("--det-limit " + std::to_string(det_limit) + ": expected 32 to 8192");
  return Status::ok();
}

}  // namespace kiln::cli
