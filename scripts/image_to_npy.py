#!/usr/bin/python3
"""Turns an image into a normalized NCHW float32 .npy and prints its shape as 1x3xHxW.

Used by scripts/demo and the model tests until kiln's own fused pre-processing lands.
"""
import argparse
import sys

import numpy as np
from PIL import Image


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("image")
    ap.add_argument("out")
    ap.add_argument("--size", help="HxW to stretch to (default: keep the image's size)")
    ap.add_argument("--multiple", type=int, default=1, help="round each side to a multiple of this")
    ap.add_argument("--max-side", type=int, default=0, help="shrink so the longer side is at most this")
    ap.add_argument("--bgr", action="store_true", help="channel order BGR (PaddleOCR)")
    ap.add_argument("--mean", default="0,0,0")
    ap.add_argument("--std", default="1,1,1")
    a = ap.parse_args()
    try:
        img = Image.open(a.image).convert("RGB")
    except Exception as e:  # unreadable or not an image
        sys.exit(f"image_to_npy: cannot read '{a.image}': {e}")
    w, h = img.size
    if a.size:
        h, w = (int(v) for v in a.size.split("x"))
    elif a.max_side and max(w, h) > a.max_side:
        s = a.max_side / max(w, h)
        w, h = int(w * s), int(h * s)
    m = a.multiple
    w, h = max(m, round(w / m) * m), max(m, round(h / m) * m)
    x = np.asarray(img.resize((w, h), Image.BILINEAR), dtype=np.float32) / 255.0
    if a.bgr:
        x = x[:, :, ::-1]
    mean = np.array([float(v) for v in a.mean.split(",")], np.float32)
    std = np.array([float(v) for v in a.std.split(",")], np.float32)
    x = (x - mean) / std
    np.save(a.out, np.ascontiguousarray(x.transpose(2, 0, 1)[None]).astype(np.float32))
    print(f"1x3x{h}x{w}")


if __name__ == "__main__":
    main()
