#!/usr/bin/python3
"""Compares two folders of .npy outputs (ACTUAL against EXPECTED, file by file, matched by name).

Per output it prints the max abs error and the relative L2 error ||a - b|| / ||b|| (b = expected),
computed in float64, and fails when:
  - an expected output is missing from ACTUAL, or shapes differ, or NaN/Inf positions differ;
  - a float output exceeds --rel-l2 or --max-abs (each checked only when given);
  - an integer or bool output differs at all (element types must then match exactly).
Exit status: 0 when every output passes, 1 otherwise, 2 on bad usage.

    /usr/bin/python3 tests/models/compare.py ACTUAL_DIR EXPECTED_DIR --rel-l2 1e-4 [--max-abs 1e-3]

One line per output, fixed keys, so scripts can read it (run_models.sh does):
    compare: NAME shape=[1, 1000] max_abs=1.2e-06 rel_l2=3.4e-07 ok
"""
import argparse
import pathlib
import sys

import numpy as np


def compare_one(name, a, b, rel_tol, abs_tol):
    """Returns (line, passed)."""
    if a.shape != b.shape:
        return f"compare: {name} shape {list(a.shape)} != expected {list(b.shape)} FAIL", False
    shape = f"shape={list(b.shape)}"
    float_kinds = "fc"
    if b.dtype.kind not in float_kinds or a.dtype.kind not in float_kinds:
        if a.dtype != b.dtype:
            return f"compare: {name} {shape} dtype {a.dtype} != expected {b.dtype} FAIL", False
        mismatches = int(np.count_nonzero(a != b))
        status = "ok" if mismatches == 0 else f"FAIL ({mismatches} of {b.size} elements differ)"
        return f"compare: {name} {shape} {b.dtype} mismatches={mismatches} {status}", mismatches == 0

    a64 = a.astype(np.float64)
    b64 = b.astype(np.float64)
    # Non-finite values must sit at the same places with the same values; the norms use the finite rest.
    fa, fb = np.isfinite(a64), np.isfinite(b64)
    nonfinite_ok = np.array_equal(fa, fb) and np.array_equal(a64[~fa], b64[~fb], equal_nan=True)
    diff = np.where(fb, a64 - b64, 0.0) if nonfinite_ok else a64 - b64
    max_abs = float(np.max(np.abs(diff))) if diff.size else 0.0
    err_norm = float(np.linalg.norm(diff.ravel()))
    ref_norm = float(np.linalg.norm(np.where(fb, b64, 0.0).ravel()))
    # An all-zero expected output has no scale: then the relative error is the absolute one.
    rel_l2 = err_norm / ref_norm if ref_norm > 0 else err_norm

    problems = []
    if not nonfinite_ok:
        problems.append("NaN/Inf positions differ")
    if rel_tol is not None and not rel_l2 <= rel_tol:
        problems.append(f"rel_l2 > {rel_tol:g}")
    if abs_tol is not None and not max_abs <= abs_tol:
        problems.append(f"max_abs > {abs_tol:g}")
    status = "ok" if not problems else "FAIL (" + "; ".join(problems) + ")"
    return f"compare: {name} {shape} max_abs={max_abs:.3e} rel_l2={rel_l2:.3e} {status}", not problems


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("actual", type=pathlib.Path, help="folder of .npy outputs under test")
    parser.add_argument("expected", type=pathlib.Path, help="folder of reference .npy outputs")
    parser.add_argument("--rel-l2", type=float, default=None, help="fail when ||a-b||/||b|| exceeds this")
    parser.add_argument("--max-abs", type=float, default=None, help="fail when max |a-b| exceeds this")
    args = parser.parse_args()

    for d in (args.actual, args.expected):
        if not d.is_dir():
            print(f"compare: {d} is not a folder", file=sys.stderr)
            return 2
    expected = sorted(args.expected.glob("*.npy"))
    if not expected:
        print(f"compare: no .npy files in {args.expected}", file=sys.stderr)
        return 2

    passed_all = True
    for path in expected:
        name = path.stem
        other = args.actual / path.name
        if not other.exists():
            print(f"compare: {name} missing from {args.actual} FAIL")
            passed_all = False
            continue
        line, passed = compare_one(name, np.load(other), np.load(path), args.rel_l2, args.max_abs)
        print(line)
        passed_all &= passed
    extra = sorted({p.name for p in args.actual.glob("*.npy")} - {p.name for p in expected})
    if extra:
        print(f"compare: note: {args.actual} has outputs not in {args.expected}: {', '.join(extra)}")
    return 0 if passed_all else 1


if __name__ == "__main__":
    sys.exit(main())
