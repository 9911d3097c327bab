#!/usr/bin/python3
"""Checks scripts/ort_run.js's .npy reader and writer against numpy: every supported element type, scalar,
1-D, empty and odd-sized shapes, and format 2.0 headers are read by JS, written back, and must come back
from numpy with the same dtype, shape and bytes.

    /usr/bin/python3 tests/models/npy_roundtrip.py
"""
import pathlib
import subprocess
import sys
import tempfile

import numpy as np

REPO = pathlib.Path(__file__).resolve().parents[2]

JS = r"""
const {readNpy, writeNpy} = require(process.argv[1]);
const [src, dst] = process.argv.slice(2);
const {type, shape, data} = readNpy(src);
writeNpy(dst, type.ort, shape, data);
"""


def cases(rng):
    yield "f4", rng.standard_normal((2, 3, 5)).astype(np.float32)
    yield "f4_scalar", np.array(1.5, dtype=np.float32)
    yield "f4_empty", np.zeros((0, 4), dtype=np.float32)
    yield "f8", rng.standard_normal(7)
    yield "i8", rng.integers(-2**62, 2**62, size=(3, 4), dtype=np.int64)
    yield "i4", rng.integers(-2**31, 2**31 - 1, size=(9,), dtype=np.int32)
    yield "i1", rng.integers(-128, 127, size=(3, 3), dtype=np.int8)
    yield "u1", rng.integers(0, 255, size=(1, 128, 128, 3), dtype=np.uint8)
    yield "b1", rng.random((4, 5)) > 0.5


def main():
    rng = np.random.default_rng(0)
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        for version in [(1, 0), (2, 0)]:
            for name, a in cases(rng):
                src = tmp / f"{name}_v{version[0]}.npy"
                dst = tmp / f"{name}_v{version[0]}_back.npy"
                with open(src, "wb") as f:
                    np.lib.format.write_array(f, a, version=version)
                subprocess.run(["node", "-e", JS, str(REPO / "scripts" / "ort_run.js"), str(src), str(dst)],
                               check=True)
                b = np.load(dst)
                ok = b.dtype == a.dtype and b.shape == a.shape and a.tobytes() == b.tobytes()
                print(f"{'ok  ' if ok else 'FAIL'} {src.name}: {a.dtype} {a.shape} -> {b.dtype} {b.shape}")
                failures += not ok
    print(f"npy_roundtrip: {failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
