// Detection post-processing: YOLOX head decoding and class-aware non-maximum suppression.
// Compiled into kiln_runtime (the kiln.YoloxPostprocess op calls it), so it knows nothing of
// images or files.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kiln/status.h"

namespace kiln::vision {

/// One detected box in the network input's pixel coordinates (corners, x right, y down).
struct Detection {
  float x1 = 0, y1 = 0, x2 = 0, y2 = 0;
  float score = 0;  // objectness * class score
  int class_id = 0;
};

struct YoloxParams {
  int input_width = 640, input_height = 640;  // the network input the head's grids cover
  std::vector<int> strides{8, 16, 32};        // one grid per stride, in the head's output order
  float score_threshold = 0.25f;              // keep boxes whose objectness * best class score is >= this
  float iou_threshold = 0.45f;                // suppress same-class boxes overlapping a kept one by more
  int max_detections = 100;                   // keep at most this many per image (best first)
};

/// Number of anchors (grid cells) the head has for `p`: sum over strides of (H/s) * (W/s).
int64_t yolox_anchor_count(const YoloxParams& p);

/// Checks sizes and strides (positive, dividing the input), naming what is wrong.
Status check_yolox_params(const YoloxParams& p);

/// Candidates of one image: the head's raw output `rows` x `width` (width = 5 + classes; per row
/// raw box offsets dx, dy, log w, log h, then sigmoid objectness and sigmoid class scores, as
/// YOLOX exports with decode_in_inference=False) decoded on the grids, filtered by score. In
/// anchor order.
std::vector<Detection> yolox_decode(const float* rows, int64_t anchors, int64_t width, const YoloxParams& p);

/// Class-aware greedy NMS: candidates by descending score (ties: earlier first); a candidate is
/// dropped when its IoU with a kept box of its class exceeds `iou_threshold`. Returns at most
/// `max_detections` boxes, best first.
std::vector<Detection> nms_class_aware(const std::vector<Detection>& candidates, float iou_threshold,
                                       int max_detections);

/// IoU of two boxes (0 when either has no area).
float iou(const Detection& a, const Detection& b);

/// Decode + filter + NMS for one image.
std::vector<Detection> yolox_postprocess(const float* rows, int64_t anchors, int64_t width,
                                         const YoloxParams& p);

/// Parses "yolox" or "yolox:score=0.25,iou=0.45,max=100" into `p`'s thresholds (sizes untouched).
Status parse_yolox_options(const std::string& text, YoloxParams& p);

}  // namespace kiln::vision
