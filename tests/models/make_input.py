#!/usr/bin/python3
"""Writes one model input as a float32 .npy, for tests/models/run_models.sh.

    make_input.py OUT.npy --shape 1x3x224x224 --uniform LO HI --seed S
    make_input.py OUT.npy --shape 1x3x640x640 --text-image page.png

--uniform: i.i.d. uniform in [LO, HI] from numpy's seeded default_rng.
--text-image: a printed-text image for PP-OCR's detector, as PaddleOCR prepares it: scaled to the input
width keeping its aspect, on a white canvas, BGR, (x/255 - ImageNet mean) / std, NCHW. Random noise
holds no text, so the detector's map would be ~0 almost everywhere (141 of 409,600 pixels above 1e-4)
and a comparison would weigh a handful of pixels; on page.png about 31,000 pixels are text.
"""
import argparse
import sys

import numpy as np


def text_image(path, shape):
    from PIL import Image  # python3-pil comes with python3-torchvision

    n, c, h, w = shape
    if n != 1 or c != 3:
        sys.exit(f"make_input: --text-image wants a [1,3,H,W] shape, got {shape}")
    im = Image.open(path).convert("RGB")
    scale = min(w / im.width, h / im.height)
    im = im.resize((max(1, round(im.width * scale)), max(1, round(im.height * scale))), Image.BILINEAR)
    canvas = Image.new("RGB", (w, h), (255, 255, 255))
    canvas.paste(im, (0, 0))
    bgr = np.asarray(canvas, dtype=np.float32)[:, :, ::-1] / 255.0
    x = (bgr - np.array([0.485, 0.456, 0.406], np.float32)) / np.array([0.229, 0.224, 0.225], np.float32)
    return x.transpose(2, 0, 1)[None]


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out")
    parser.add_argument("--shape", required=True, help="dims joined by x, e.g. 1x3x224x224")
    kind = parser.add_mutually_exclusive_group(required=True)
    kind.add_argument("--uniform", nargs=2, type=float, metavar=("LO", "HI"))
    kind.add_argument("--text-image", metavar="FILE")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    shape = [int(d) for d in args.shape.split("x")]
    if args.uniform:
        x = np.random.default_rng(args.seed).uniform(args.uniform[0], args.uniform[1], shape)
    else:
        x = text_image(args.text_image, shape)
    np.save(args.out, np.ascontiguousarray(x, dtype=np.float32))


if __name__ == "__main__":
    main()
