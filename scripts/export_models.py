#!/usr/bin/python3
"""Exports the architectures kiln benchmarks and tests without pretrained weights, as ONNX (opset 13).

  resnet50.onnx     torchvision ResNet-50, input [1,3,224,224] -> output [1,1000]
  mobilenetv2.onnx  torchvision MobileNetV2, input [1,3,224,224] -> output [1,1000]
  yolox_s.onnx      YOLOX-S written here from the paper and Megvii's published architecture,
                    images [1,3,640,640] -> output [1,8400,85]

Run with Debian's /usr/bin/python3 (torch 1.13, torchvision 0.14). Writes into
${KILN_CACHE:-<repo>/.cache}/models/ and skips models already there (--force re-exports).

The weights are random (seeded) but not raw: BatchNorm scales and shifts are drawn at random and the
running statistics are then measured on inputs uniform in [-2, 2] (about the range of ImageNet-normalised
images), as training would leave them, so that activations keep unit scale through the depth and YOLOX's
sigmoids do not saturate to exact 0/1 (which would make agreement tests pass trivially). Feed test inputs
from that same distribution (tests/models/run_models.sh does): a random network amplifies a change of
input statistics layer by layer; YOLOX-S calibrated on N(0, 1) and fed U(-2, 2) gives outputs 70x too large.
"""
import argparse
import os
import pathlib
import sys
import time
import warnings

import torch
import torch.nn as nn
import torchvision

SEED = 0
OPSET = 13


# ---------------------------------------------------------------------------------------------------
# YOLOX-S (Ge et al., "YOLOX: Exceeding YOLO Series in 2021", arXiv:2107.08430), following the layout
# of Megvii's reference implementation so that parameter and FLOP counts match the published ones.
# ---------------------------------------------------------------------------------------------------
class BaseConv(nn.Module):
    """Conv (no bias) -> BatchNorm -> SiLU."""

    def __init__(self, cin, cout, k, stride):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride, padding=(k - 1) // 2, bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=1e-3, momentum=0.03)
        self.act = nn.SiLU()

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))


class Focus(nn.Module):
    """Space-to-depth: the four pixel phases stacked on channels (3 -> 12), then a 3x3 conv."""

    def __init__(self, cin, cout, k):
        super().__init__()
        self.conv = BaseConv(cin * 4, cout, k, 1)

    def forward(self, x):
        top_left = x[..., ::2, ::2]
        top_right = x[..., ::2, 1::2]
        bot_left = x[..., 1::2, ::2]
        bot_right = x[..., 1::2, 1::2]
        return self.conv(torch.cat((top_left, bot_left, top_right, bot_right), dim=1))


class Bottleneck(nn.Module):
    def __init__(self, cin, cout, shortcut, expansion=1.0):
        super().__init__()
        hidden = int(cout * expansion)
        self.conv1 = BaseConv(cin, hidden, 1, 1)
        self.conv2 = BaseConv(hidden, cout, 3, 1)
        self.use_add = shortcut and cin == cout

    def forward(self, x):
        y = self.conv2(self.conv1(x))
        return y + x if self.use_add else y


class CSPLayer(nn.Module):
    """CSP block: two 1x1 branches, n bottlenecks on one, concatenated and fused by a 1x1."""

    def __init__(self, cin, cout, n, shortcut=True, expansion=0.5):
        super().__init__()
        hidden = int(cout * expansion)
        self.conv1 = BaseConv(cin, hidden, 1, 1)
        self.conv2 = BaseConv(cin, hidden, 1, 1)
        self.conv3 = BaseConv(2 * hidden, cout, 1, 1)
        self.m = nn.Sequential(*[Bottleneck(hidden, hidden, shortcut, 1.0) for _ in range(n)])

    def forward(self, x):
        return self.conv3(torch.cat((self.m(self.conv1(x)), self.conv2(x)), dim=1))


class SPPBottleneck(nn.Module):
    """Spatial pyramid pooling: stride-1 max-pools of 5, 9 and 13 concatenated with their input."""

    def __init__(self, cin, cout, kernels=(5, 9, 13)):
        super().__init__()
        hidden = cin // 2
        self.conv1 = BaseConv(cin, hidden, 1, 1)
        self.m = nn.ModuleList([nn.MaxPool2d(k, stride=1, padding=k // 2) for k in kernels])
        self.conv2 = BaseConv(hidden * (len(kernels) + 1), cout, 1, 1)

    def forward(self, x):
        x = self.conv1(x)
        return self.conv2(torch.cat([x] + [m(x) for m in self.m], dim=1))


class CSPDarknet(nn.Module):
    def __init__(self, depth, width):
        super().__init__()
        c = int(width * 64)  # 32 for S
        d = max(round(depth * 3), 1)  # 1 for S
        self.stem = Focus(3, c, 3)
        self.dark2 = nn.Sequential(BaseConv(c, c * 2, 3, 2), CSPLayer(c * 2, c * 2, d))
        self.dark3 = nn.Sequential(BaseConv(c * 2, c * 4, 3, 2), CSPLayer(c * 4, c * 4, d * 3))
        self.dark4 = nn.Sequential(BaseConv(c * 4, c * 8, 3, 2), CSPLayer(c * 8, c * 8, d * 3))
        self.dark5 = nn.Sequential(BaseConv(c * 8, c * 16, 3, 2), SPPBottleneck(c * 16, c * 16),
                                   CSPLayer(c * 16, c * 16, d, shortcut=False))

    def forward(self, x):
        x = self.dark2(self.stem(x))
        c3 = self.dark3(x)
        c4 = self.dark4(c3)
        c5 = self.dark5(c4)
        return c3, c4, c5


class PAFPN(nn.Module):
    """Top-down (FPN) then bottom-up (PAN) fusion of strides 8, 16, 32."""

    def __init__(self, depth, width):
        super().__init__()
        c3, c4, c5 = int(256 * width), int(512 * width), int(1024 * width)
        n = round(3 * depth)
        self.backbone = CSPDarknet(depth, width)
        self.upsample = nn.Upsample(scale_factor=2, mode="nearest")
        self.lateral_conv0 = BaseConv(c5, c4, 1, 1)
        self.C3_p4 = CSPLayer(2 * c4, c4, n, False)
        self.reduce_conv1 = BaseConv(c4, c3, 1, 1)
        self.C3_p3 = CSPLayer(2 * c3, c3, n, False)
        self.bu_conv2 = BaseConv(c3, c3, 3, 2)
        self.C3_n3 = CSPLayer(2 * c3, c4, n, False)
        self.bu_conv1 = BaseConv(c4, c4, 3, 2)
        self.C3_n4 = CSPLayer(2 * c4, c5, n, False)

    def forward(self, x):
        x2, x1, x0 = self.backbone(x)
        fpn_out0 = self.lateral_conv0(x0)
        f_out0 = self.C3_p4(torch.cat([self.upsample(fpn_out0), x1], 1))
        fpn_out1 = self.reduce_conv1(f_out0)
        pan_out2 = self.C3_p3(torch.cat([self.upsample(fpn_out1), x2], 1))
        pan_out1 = self.C3_n3(torch.cat([self.bu_conv2(pan_out2), fpn_out1], 1))
        pan_out0 = self.C3_n4(torch.cat([self.bu_conv1(pan_out1), fpn_out0], 1))
        return pan_out2, pan_out1, pan_out0


class DecoupledHead(nn.Module):
    """Per level: 1x1 stem, then a classification branch and a regression branch (box + objectness)."""

    def __init__(self, num_classes, width, in_channels=(256, 512, 1024)):
        super().__init__()
        hidden = int(256 * width)
        self.stems = nn.ModuleList([BaseConv(int(c * width), hidden, 1, 1) for c in in_channels])
        def two_conv3x3():
            return nn.Sequential(BaseConv(hidden, hidden, 3, 1), BaseConv(hidden, hidden, 3, 1))

        self.cls_convs = nn.ModuleList([two_conv3x3() for _ in in_channels])
        self.reg_convs = nn.ModuleList([two_conv3x3() for _ in in_channels])
        self.cls_preds = nn.ModuleList([nn.Conv2d(hidden, num_classes, 1) for _ in in_channels])
        self.reg_preds = nn.ModuleList([nn.Conv2d(hidden, 4, 1) for _ in in_channels])
        self.obj_preds = nn.ModuleList([nn.Conv2d(hidden, 1, 1) for _ in in_channels])

    def forward(self, features):
        outputs = []
        for i, x in enumerate(features):
            x = self.stems[i](x)
            cls_out = self.cls_preds[i](self.cls_convs[i](x))
            reg_feat = self.reg_convs[i](x)
            reg_out = self.reg_preds[i](reg_feat)
            obj_out = self.obj_preds[i](reg_feat)
            # As YOLOX's ONNX export (decode_in_inference=False): raw box offsets, sigmoid scores;
            # grid/stride decoding is left to post-processing.
            out = torch.cat([reg_out, obj_out.sigmoid(), cls_out.sigmoid()], 1)
            outputs.append(out.flatten(start_dim=2))
        return torch.cat(outputs, dim=2).permute(0, 2, 1)  # [N, 80*80 + 40*40 + 20*20 = 8400, 85]


class YOLOX(nn.Module):
    def __init__(self, depth=0.33, width=0.50, num_classes=80):
        super().__init__()
        self.backbone = PAFPN(depth, width)
        self.head = DecoupledHead(num_classes, width)

    def forward(self, x):
        return self.head(self.backbone(x))


# ---------------------------------------------------------------------------------------------------
def count_flops(model, shape):
    """Multiply-adds x 2 of Conv2d and Linear layers (the convention of the published GFLOP figures)."""
    total = [0]

    def conv_hook(m, inp, out):
        k = m.kernel_size[0] * m.kernel_size[1] * (m.in_channels // m.groups)
        total[0] += 2 * out.numel() * k

    def linear_hook(m, inp, out):
        total[0] += 2 * out.numel() * m.in_features

    hooks = []
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            hooks.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            hooks.append(m.register_forward_hook(linear_hook))
    with torch.no_grad():
        model(torch.zeros(shape))
    for h in hooks:
        h.remove()
    return total[0]


def calibrate_batchnorm(model, shape, batches=2):
    """Random BN affine parameters, then running statistics measured on random images (see module doc)."""
    gen = torch.Generator().manual_seed(SEED + 1)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            with torch.no_grad():
                m.weight.uniform_(0.5, 1.5, generator=gen)
                m.bias.normal_(0.0, 0.2, generator=gen)
            m.reset_running_stats()
            m.momentum = None  # cumulative average over the calibration batches
    model.train()
    with torch.no_grad():
        for _ in range(batches):
            model(torch.rand((2,) + tuple(shape[1:]), generator=gen) * 4 - 2)
    model.eval()


MODELS = {
    # name: (constructor, input shape, input name, output name)
    "resnet50": (lambda: torchvision.models.resnet50(weights=None), (1, 3, 224, 224), "input", "output"),
    "mobilenetv2": (lambda: torchvision.models.mobilenet_v2(weights=None), (1, 3, 224, 224), "input",
                    "output"),
    "yolox_s": (YOLOX, (1, 3, 640, 640), "images", "output"),
}


def export(name, out_dir, force):
    path = out_dir / f"{name}.onnx"
    if path.exists() and not force:
        print(f"export_models: have {path}")
        return
    make, shape, in_name, out_name = MODELS[name]
    torch.manual_seed(SEED)
    t0 = time.perf_counter()
    model = make().eval()
    params = sum(p.numel() for p in model.parameters())
    flops = count_flops(model, shape)
    calibrate_batchnorm(model, shape)
    t1 = time.perf_counter()
    tmp = path.with_suffix(".onnx.tmp")
    with torch.no_grad():
        torch.onnx.export(model, torch.randn(shape), str(tmp), opset_version=OPSET, input_names=[in_name],
                          output_names=[out_name], do_constant_folding=True)
    os.replace(tmp, path)
    t2 = time.perf_counter()
    with torch.no_grad():
        out_shape = tuple(model(torch.zeros(shape)).shape)
    print(f"export_models: {name}: {params / 1e6:.2f} M params, {flops / 1e9:.2f} GFLOPs, "
          f"{in_name} {list(shape)} -> {out_name} {list(out_shape)}; "
          f"build+calibrate {t1 - t0:.1f} s, export {t2 - t1:.1f} s -> {path}")


def main():
    # torch 1.13 warns that nn.Upsample's constant scales lack shape inference; the exported Resize is right.
    warnings.filterwarnings("ignore", message="The shape inference of prim::Constant")
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="*", default=list(MODELS), help=f"subset of {', '.join(MODELS)}")
    parser.add_argument("--force", action="store_true", help="re-export models already present")
    args = parser.parse_args()
    unknown = [m for m in args.models if m not in MODELS]
    if unknown:
        sys.exit(f"export_models: unknown model(s) {unknown}; choose from {list(MODELS)}")

    repo = pathlib.Path(__file__).resolve().parent.parent
    out_dir = pathlib.Path(os.environ.get("KILN_CACHE", repo / ".cache")) / "models"
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in args.models:
        export(name, out_dir, args.force)


if __name__ == "__main__":
    main()
