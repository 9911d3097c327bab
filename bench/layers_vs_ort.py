#!/usr/bin/python3
"""kiln against onnxruntime-node layer by layer: each convolution's time in both, side by side.

    bench/layers_vs_ort.py MODEL.onnx [--kiln build/kiln] [--threads T] [--rounds R]
                           [--input NAME=FILE.npy] [--shapes NAME:DxD...] [--build-args "ARGS"]

kiln builds a plan (`kiln build`, tuned for T threads, with ARGS such as "--fp32-math bf16x3"),
then R rounds alternate `kiln profile PLAN` (20 runs) with onnxruntime's profiler over 20 runs
(`scripts/ort_run.js --profile`); each layer's time is its median per round, then the fastest
round (noise only adds). Convolutions are matched through the ONNX graph: each side's conv node is
traced from the tensor it writes (kiln's outputs; onnxruntime's NCHWc nodes are named after theirs)
back through activations and adds to the ONNX Conv it started from, so a kiln layer that fuses N
sibling convs (X_siblings) meets the sum of onnxruntime's N, whatever order either ran them in.
onnxruntime's activations and adds traced to a conv join that conv's time (kiln's conv layers
carry theirs in the epilogue); convs either side ran unmatched, and everything else, are summed
per side. The machine is shared and noisy: read ratios, rerun for confidence.
onnxruntime's profiler adds its own cost per node, so small layers flatter kiln.
"""
import argparse
import collections
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
        outs = [o[: -len("_blocked")] if o.endswith("_blocked") else o for o in layer.get("outputs", [])]
        layers.append((layer["name"], layer["op"], layer.get("tactic", ""), layer["median_us"], outs))
    return layers


CONVS = {"Conv", "ConvTranspose"}
# Ops a conv's epilogue may have absorbed (either side), traced through back to the conv.
FUSABLE = {"Relu", "Clip", "Sigmoid", "Mul", "Add", "Sub", "Div", "HardSigmoid", "HardSwish", "LeakyRelu",
           "Tanh", "BatchNormalization", "Identity"}


class ConvRoots:
    """Maps a tensor or node name to the ONNX Conv node it comes from (None when it does not)."""

    def __init__(self, model_path):
        import onnx
        graph = onnx.load(model_path, load_external_data=False).graph
        self.producer = {o: n for n in graph.node for o in n.output}
        self.nodes = {n.name: n for n in graph.node}
        self.consumers = collections.Counter(i for n in graph.node for i in n.input)
        self.convs = {n.name for n in graph.node if n.op_type in CONVS}

    def of_tensor(self, tensor, depth=0):
        node = self.producer.get(tensor)
        if node is None or depth > 8:
            return None
        if node.op_type in CONVS:
            return node.name
        if node.op_type not in FUSABLE:
            return None
        # A residual Add's own conv is the input a Conv wrote for it alone (the skip input is
        # read by the next block too, or leads back to an earlier block's conv).
        direct = [i for i in node.input if i in self.producer and self.producer[i].op_type in CONVS]
        if direct:
            return self.producer[min(direct, key=lambda i: self.consumers[i])].name
        for i in node.input:
            root = self.of_tensor(i, depth + 1)
            if root:
                return root
        return None

    def of_name(self, name):
        """A node's name: onnxruntime keeps the ONNX name, names an NCHWc node after its output, or
        a fusion after the node it starts from ("<node>/QuickGeluFusion/")."""
        if name.endswith("_nchwc"):
            name = name[: -len("_nchwc")]
        parts = name.rstrip("/").split("/")
        for cut in range(len(parts), 0, -1):
            prefix = "/".join(parts[:cut])
            if prefix in self.convs:
                return prefix
            if prefix in self.nodes and self.nodes[prefix].output:
                return self.of_tensor(self.nodes[prefix].output[0])
            if prefix in self.producer:
                return self.of_tensor(prefix)
        return None


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
        entry = times.setdefault(name, [e.get("args", {}).get("op_name", "?"), []])
        entry[1].append(e["dur"])
    return [(name, op, statistics.median(durs)) for name, (op, durs) in times.items()]


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
    kiln = [(n, op, tac, min(rd[i][3] for rd in kiln_rounds), outs) for i, (n, op, tac, _, outs) in
            enumerate(kiln_rounds[0])]
    ort = [(n, op, min(rd[i][2] for rd in ort_rounds)) for i, (n, op, _) in enumerate(ort_rounds[0])]
    roots = ConvRoots(a.model)
    # A horizontal fusion's outputs are split by the layer after it ("X_siblings" -> "X_split"):
    # the split's outputs name the sibling convs.
    split_outs = {n: outs for (n, _, _, _, outs) in kiln if n.endswith("_split")}
    kconv, ort_by_root, oconv_rest = [], collections.defaultdict(float), 0.0
    for n, op, tac, us, outs in kiln:
        if "Conv" not in op:
            continue
        if n.endswith("_siblings"):
            outs = split_outs.get(n[: -len("_siblings")] + "_split", outs)
        found = {r for r in (roots.of_tensor(o) for o in outs) if r} or ({roots.of_name(n)} - {None})
        kconv.append((n, tac, us, found))
    # onnxruntime's nodes traced to a conv: the conv and the activations and adds it did not fuse
    # (kiln's conv layers carry theirs in the epilogue).
    ort_traced = set()
    for n, op, us in ort:
        root = roots.of_name(n)
        if root:
            ort_by_root[root] += us
            ort_traced.add(n)
        elif "Conv" in op:
            oconv_rest += us
            ort_traced.add(n)
    print("%-48s %-28s %9s %9s %6s" % ("kiln layer", "tactic", "kiln us", "ORT us", "ratio"))
    tk = to = 0.0
    kiln_rest, used = 0.0, set()
    for n, tac, us, found in kconv:
        matched = [r for r in found if r in ort_by_root and r not in used]
        if not matched:
            kiln_rest += us
            print("%-48s %-28s %9.0f %9s %6s  (no onnxruntime conv traced to it)" %
                  (n[-48:], tac[:28], us, "-", "-"))
            continue
        used.update(matched)
        o_us = sum(ort_by_root[r] for r in matched)
        note = "  (%d convs fused; onnxruntime's summed)" % len(matched) if len(matched) > 1 else ""
        print("%-48s %-28s %9.0f %9.0f %6.2f%s" % (n[-48:], tac[:28], us, o_us, us / o_us, note))
        tk += us
        to += o_us
    oconv_rest += sum(v for r, v in ort_by_root.items() if r not in used)
    if kiln_rest or oconv_rest:
        print("%-77s %9.0f %9.0f" % ("convolutions not matched", kiln_rest, oconv_rest))
    ko = sum(l[3] for l in kiln if "Conv" not in l[1])
    oo = sum(l[2] for l in ort if l[0] not in ort_traced)
    print("%-77s %9.0f %9.0f %6.2f" % ("matched convolutions", tk, to, tk / to if to else float("nan")))
    print("%-77s %9.0f %9.0f" % ("other layers", ko, oo))
    ak, ao = tk + kiln_rest + ko, to + oconv_rest + oo
    print("%-77s %9.0f %9.0f %6.2f" % ("all", ak, ao, ak / ao))
    print("(%d rounds, %d threads; each layer's fastest round of 20-run medians; work files in %s)" %
          (a.rounds, a.threads, work))


if __name__ == "__main__":
    main()
