#!/usr/bin/python3
"""Independent numpy reference for kiln's YOLOX post-processing (decode + score filter +
class-aware greedy NMS + top-k), for exact agreement tests.

    yolox_ref.py check-json RAW.npy DETECTIONS.json IMAGE_NAME
        RAW.npy: the head's output [1, anchors, 5 + classes] that `kiln detect --save-raw` wrote;
        DETECTIONS.json: kiln detect's report, whose entry for IMAGE_NAME lists "input_box"
        (network input pixels), "score" and "class_id" per detection (the library path).
    yolox_ref.py make-op-model DIR
        Writes DIR/post.onnx (one kiln.YoloxPostprocess node) and DIR/raw.npy (seeded head
        outputs with spread scores and boxes) for `kiln run DIR/post.onnx --input raw=DIR/raw.npy`.
    yolox_ref.py check-outputs RAW.npy OUT_DIR
        Compares the op's outputs (OUT_DIR/detection_*.npy, num_detections.npy) with the reference.

Agreement means: the same boxes kept, in the same order, with the same classes; scores equal;
coordinates within float rounding (exp may differ by an ulp); boxes that overflow to +-inf must
overflow in both (JSON writes them as null).
"""
import json
import os
import sys

import numpy as np

SCORE, IOU, MAX_DET, SIZE = 0.25, 0.45, 100, (640, 640)


def decode(raw, width, height, strides=(8, 16, 32)):
    grids, scale = [], []
    for s in strides:
        ys, xs = np.meshgrid(np.arange(height // s), np.arange(width // s), indexing="ij")
        grids.append(np.stack([xs, ys], axis=-1).reshape(-1, 2))
        scale.append(np.full((grids[-1].shape[0], 1), s))
    grid = np.concatenate(grids).astype(np.float32)
    stride = np.concatenate(scale).astype(np.float32)
    with np.errstate(over="ignore", invalid="ignore"):
        xy = (raw[:, :2] + grid) * stride
        wh = np.exp(raw[:, 2:4]) * stride
        boxes = np.concatenate([xy - wh * np.float32(0.5), xy + wh * np.float32(0.5)], axis=1)
    cls = np.argmax(raw[:, 5:], axis=1)
    score = raw[:, 4] * raw[np.arange(raw.shape[0]), 5 + cls]
    return boxes.astype(np.float32), score.astype(np.float32), cls


def iou_one_to_many(box, boxes):
    with np.errstate(over="ignore", invalid="ignore"):
        iw = np.maximum(np.float32(0), np.minimum(box[2], boxes[:, 2]) - np.maximum(box[0], boxes[:, 0]))
        ih = np.maximum(np.float32(0), np.minimum(box[3], boxes[:, 3]) - np.maximum(box[1], boxes[:, 1]))
        inter = iw * ih
        area = (box[2] - box[0]) * (box[3] - box[1])
        areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
        union = area + areas - inter
        # No area (or an overflowed one, NaN) overlaps nothing.
        return np.where(union > 0, inter / np.where(union > 0, union, 1), 0)


def postprocess(raw, width=SIZE[0], height=SIZE[1], score_thr=SCORE, iou_thr=IOU, max_det=MAX_DET):
    boxes, score, cls = decode(raw, width, height)
    keep = np.nonzero(score >= np.float32(score_thr))[0]
    print(f"yolox_ref: {len(keep)} candidates at score >= {score_thr}")
    order = keep[np.argsort(-score[keep], kind="stable")]
    alive = np.ones(order.shape[0], dtype=bool)
    kept = []
    for i in range(order.shape[0]):
        if not alive[i]:
            continue
        a = order[i]
        kept.append(a)
        if len(kept) == max_det:
            break
        rest = order[i + 1:]
        same = cls[rest] == cls[a]
        over = iou_one_to_many(boxes[a], boxes[rest]) > np.float32(iou_thr)
        alive[i + 1:] &= ~(same & over)
    kept = np.array(kept, dtype=np.int64)
    return boxes[kept], score[kept], cls[kept]


def compare(k_box, k_score, k_cls, boxes, score, cls):
    print(f"yolox_ref: reference keeps {len(cls)} boxes, kiln {len(k_cls)}")
    if len(k_cls) != len(cls):
        sys.exit("yolox_ref: FAIL: different numbers of kept boxes")
    if len(cls) == 0:
        sys.exit("yolox_ref: FAIL: nothing kept; the test would compare nothing")
    if not np.array_equal(k_cls, cls):
        sys.exit(f"yolox_ref: FAIL: classes differ at {np.nonzero(k_cls != cls)[0][:5]}")
    if not np.allclose(k_score, score, rtol=1e-6, atol=0):
        sys.exit(f"yolox_ref: FAIL: scores differ by up to {np.abs(k_score - score).max()}")
    finite = np.isfinite(boxes)
    if not np.array_equal(finite, np.isfinite(k_box)):
        sys.exit("yolox_ref: FAIL: boxes overflow to infinity in one and not the other")
    err = np.abs(k_box[finite] - boxes[finite]) / np.maximum(1.0, np.abs(boxes[finite]))
    worst = float(err.max()) if err.size else 0.0
    if worst > 1e-5:
        sys.exit(f"yolox_ref: FAIL: boxes differ by up to {worst} (relative)")
    ties = len(score) - len(np.unique(score))
    print(f"yolox_ref: OK: same {len(cls)} boxes in the same order, classes and scores equal "
          f"({ties} tied scores), coordinates within {worst:.1e} (relative), "
          f"{int((~finite).sum())} overflowed coordinates in both")


def load_raw(path):
    raw = np.load(path)
    if raw.ndim != 3 or raw.shape[0] != 1:
        sys.exit(f"yolox_ref: {path}: expected [1, anchors, 5 + classes], got {raw.shape}")
    return raw[0].astype(np.float32)


def check_json(raw_path, json_path, image):
    boxes, score, cls = postprocess(load_raw(raw_path))
    report = json.load(open(json_path))
    entry = [im for im in report["images"] if im["file"].endswith(image)]
    if len(entry) != 1 or "detections" not in entry[0]:
        sys.exit(f"yolox_ref: {json_path} has no single processed entry for {image}")
    dets = entry[0]["detections"]
    k_box = np.array([[np.nan if v is None else v for v in d["input_box"]] for d in dets], dtype=np.float64)
    k_box = np.where(np.isnan(k_box), np.inf, k_box)  # null in JSON is an overflowed coordinate
    compare(k_box, np.array([d["score"] for d in dets]), np.array([d["class_id"] for d in dets]), boxes, score, cls)


def make_op_model(out_dir):
    import onnx
    from onnx import TensorProto, helper

    os.makedirs(out_dir, exist_ok=True)
    node = helper.make_node("YoloxPostprocess", ["raw"],
                            ["num_detections", "detection_boxes", "detection_scores", "detection_classes"],
                            domain="kiln", input_width=SIZE[0], input_height=SIZE[1], strides=[8, 16, 32],
                            score_threshold=SCORE, iou_threshold=IOU, max_detections=MAX_DET)
    graph = helper.make_graph(
        [node], "yolox_post", [helper.make_tensor_value_info("raw", TensorProto.FLOAT, [1, 8400, 85])],
        [helper.make_tensor_value_info("num_detections", TensorProto.INT32, [1, 1]),
         helper.make_tensor_value_info("detection_boxes", TensorProto.FLOAT, [1, MAX_DET, 4]),
         helper.make_tensor_value_info("detection_scores", TensorProto.FLOAT, [1, MAX_DET]),
         helper.make_tensor_value_info("detection_classes", TensorProto.INT32, [1, MAX_DET])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("kiln", 1)])
    onnx.save(model, os.path.join(out_dir, "post.onnx"))
    # Head outputs like a trained YOLOX's: small box offsets, mostly low scores, a few confident
    # cells in clusters (so NMS has overlaps to suppress), some exact ties.
    rng = np.random.default_rng(5)
    raw = np.zeros((1, 8400, 85), np.float32)
    raw[0, :, :2] = rng.normal(0, 0.5, (8400, 2))
    raw[0, :, 2:4] = rng.normal(0.5, 0.8, (8400, 2))
    raw[0, :, 4] = rng.beta(0.5, 3, 8400)
    raw[0, :, 5:] = rng.beta(0.3, 4, (8400, 80))
    hot = rng.choice(8400, 120, replace=False)
    raw[0, hot, 4] = rng.uniform(0.6, 1.0, 120)
    raw[0, hot, 5 + rng.integers(0, 5, 120)] = rng.uniform(0.4, 1.0, 120)
    raw[0, hot[:20], 4] = 0.75
    raw[0, hot[:20], 5:] = 0.0
    raw[0, hot[:20], 5] = 0.8
    np.save(os.path.join(out_dir, "raw.npy"), raw)
    print(f"yolox_ref: wrote {out_dir}/post.onnx and {out_dir}/raw.npy")


def check_outputs(raw_path, out_dir):
    boxes, score, cls = postprocess(load_raw(raw_path))
    n = int(np.load(os.path.join(out_dir, "num_detections.npy")).reshape(-1)[0])
    k_box = np.load(os.path.join(out_dir, "detection_boxes.npy"))[0, :n].astype(np.float64)
    k_score = np.load(os.path.join(out_dir, "detection_scores.npy"))[0, :n]
    k_cls = np.load(os.path.join(out_dir, "detection_classes.npy"))[0, :n]
    compare(k_box, k_score, k_cls, boxes, score, cls)


def main():
    args = sys.argv[1:]
    if len(args) == 4 and args[0] == "check-json":
        check_json(*args[1:])
    elif len(args) == 2 and args[0] == "make-op-model":
        make_op_model(args[1])
    elif len(args) == 3 and args[0] == "check-outputs":
        check_outputs(*args[1:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
