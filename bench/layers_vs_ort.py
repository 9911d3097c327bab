#!/usr/bin/python3
"""kiln against onnxruntime-node layer by layer: each convolution's time in both, side by side.

    bench/layers_vs_ort.py MODEL.onnx [--kiln build/kiln] [--threads T] [--rounds R]
                           [--input NAME=FILE.npy] [--shapes NAME:DxD...] [--build-args "ARGS"]

kiln builds a plan (`kiln build`, tuned for T threads, with ARGS such as "--fp32-math bf16x3"),
then R rounds alternate `kiln profile PLAN` (20 runs) with onnxruntime's profiler over 20 runs
(`scripts/ort_run.js --profile`); each layer's time is its median per round, then the fastest
round (noise only adds). Convolutions are matched in graph order (both run them in topological
order; their output height and width must agree, or the table says where they part); everything
else is summed per side. The machine is shared and noisy: read ratios, rerun for confidence.
onnxruntime's profiler adds its own cost per node, so small layers flatter kiln.
"""
import argparse
import glob
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def kiln_layers(kiln, plan, threads, work):
    out = os.path.join(work, "kiln.json")
    subprocess.run([kiln, "profile", plan, "--threads", str(threads), "--json", out], check=True,
                   stdout=subprocess.DEVNULL)
    layers = []
    for layer in json.load(open(out))["layers"]:
        shape = (layer.get("output_shapes") or [[]])[0]
        # Planar [N, C, H, W] or blocked [N, C/b, H, W, b]: H and W are dims 2 and 3 either way.
        hw = tuple(shape[2:4]) if len(shape) >= 4 else ()
        layers.append((layer["name"], layer["op"], layer.get("tactic", ""), layer["median_us"], hw))
    return layers


def ort_layers(model, threads, inputs, work, round_index):
    prefix = os.path.join(work, "ort%d" % round_index)
    cmd = ["node", os.path.join(HERE, "scripts/ort_run.js"), model, "--threads", str(threads), "--bench", "20",
           "--profile", prefix]
    for i in inputs:
        cmd += ["--input", i]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    events = json.load(open(sorted(glob.glob(prefix + "*.json"))[-1]))
    times = {}
    for e in events:
        if e.get("cat") != "Node" or not e["name"].endswith("_kernel_time"):
            continue
        name = e["name"][: -len("_kernel_time")]
        args = e.get("args", {})
        shape = list((args.get("output_type_shape") or [{}])[0].values() or [[]])[0]
        entry = times.setdefault(name, [args.get("op_name", "?"), [], tuple(shape[2:4])])
        entry[1].append(e["dur"])
    return [(name, op, statistics.median(durs), hw) for name, (op, durs, hw) in times.items()]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model")
    ap.add_argument("--kiln", default=os.path.join(HERE, "build/kiln"))
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--input", action="append", default=[], help="NAME=FILE.npy (ORT needs every input)")
    ap.add_argument("--shapes", action="append", default=[])
    ap.add_argument("--build-args", default="")
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="kiln_layers_")
    plan = os.path.join(work, "model.kplan")
    build = [a.kiln, "build", a.model, "--threads", str(a.threads), "-o", plan] + a.build_args.split()
    for s in a.shapes:
        build += ["--shapes", s]
    if subprocess.run(build, stdout=subprocess.DEVNULL).returncode != 0:
        sys.exit("layers_vs_ort: kiln build failed: " + " ".join(build))
    kiln_rounds, ort_rounds = [], []
    for r in range(a.rounds):
        kiln_rounds.append(kiln_layers(a.kiln, plan, a.threads, work))
        ort_rounds.append(ort_layers(a.model, a.threads, a.input, work, r))
    kiln = [(n, op, tac, min(rd[i][3] for rd in kiln_rounds), hw) for i, (n, op, tac, _, hw) in
            enumerate(kiln_rounds[0])]
    ort = [(n, op, min(rd[i][2] for rd in ort_rounds), hw) for i, (n, op, _, hw) in enumerate(ort_rounds[0])]
    kconv = [l for l in kiln if "Conv" in l[1]]
    oconv = [l for l in ort if "Conv" in l[1]]
    print("%-48s %-28s %9s %9s %6s" % ("kiln layer", "tactic", "kiln us", "ORT us", "ratio"))
    tk = to = 0.0
    for k, o in zip(kconv, oconv):
        flag = "" if k[4] == o[3] else "  (output %s vs ORT %s: unmatched from here)" % (k[4], o[3])
        print("%-48s %-28s %9.0f %9.0f %6.2f%s" % (k[0][-48:], k[2][:28], k[3], o[2], k[3] / o[2], flag))
        tk += k[3]
        to += o[2]
    if len(kconv) != len(oconv):
        print("(kiln has %d convolutions, onnxruntime %d: the tail is not compared)" % (len(kconv), len(oconv)))
    ko = sum(l[3] for l in kiln if "Conv" not in l[1])
    oo = sum(l[2] for l in ort if "Conv" not in l[1])
    print("%-77s %9.0f %9.0f %6.2f" % ("convolutions", tk, to, tk / to if to else float("nan")))
    print("%-77s %9.0f %9.0f" % ("other layers", ko, oo))
    print("%-77s %9.0f %9.0f %6.2f" % ("all", tk + ko, to + oo, (tk + ko) / (to + oo)))
    print("(%d rounds, %d threads; each layer's fastest round of 20-run medians; work files in %s)" %
          (a.rounds, a.threads, work))


if __name__ == "__main__":
    main()
