#!/usr/bin/python3
"""Exports four torchvision CNNs to ONNX and records their outputs for a fixed input.

Third-party reference models for the zcnas ONNX reader (tests/spaces/test_onnx.cpp):
squeezenet1_1, mobilenet_v3_small, resnet18 and shufflenet_v2_x0_5 (its channel_shuffle
exports as shape-computing Shape/Gather/Div chains + Reshape/Transpose/Reshape, its
x.chunk(2, dim=1) as Split) from Debian's python3-torchvision 0.14,
with random weights from a fixed seed (no downloads, weights=None), in eval mode, exported
by torch.onnx (opset 17, the newest ONNX 1.12 knows; the batch axis is symbolic). For each
model it writes <name>.onnx, <name>.input.bin and <name>.output.bin (raw little-endian
float32, batch 2, 3x224x224) and one models.json with shapes and parameter counts.

Usage: /usr/bin/python3 tools/reference/export_torchvision.py --out DIR
When torch or torchvision cannot be imported it writes DIR/SKIPPED with the reason and
exits 0, so the test reports the skip instead of failing.
"""
import argparse
import json
import os
import sys

MODELS = ["squeezenet1_1", "mobilenet_v3_small", "resnet18", "shufflenet_v2_x0_5"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="output folder (created)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    skipped = os.path.join(args.out, "SKIPPED")
    try:
        import torch
        import torchvision
    except ImportError as e:  # the test turns this into a visible skip
        with open(skipped, "w") as f:
            f.write("python3-torch / python3-torchvision not importable (%s); install them "
                    "(scripts/install-deps.sh) to run the torchvision ONNX tests\n" % e)
        print("export_torchvision: skipped:", e)
        return 0
    if os.path.exists(skipped):
        os.remove(skipped)
    meta_path = os.path.join(args.out, "models.json")
    stamp = {"torch": torch.__version__, "torchvision": torchvision.__version__, "seed": args.seed, "opset": 17,
             "models": MODELS}
    if os.path.exists(meta_path):  # idempotent: same versions and seed, files present -> nothing to do
        with open(meta_path) as f:
            old = json.load(f)
        if old.get("stamp") == stamp and all(
                os.path.exists(os.path.join(args.out, m["name"] + ext))
                for m in old["models"] for ext in (".onnx", ".input.bin", ".output.bin")):
            print("export_torchvision: up to date in", args.out)
            return 0

    torch.set_num_threads(1)
    models = []
    for name in MODELS:
        torch.manual_seed(args.seed)
        net = getattr(torchvision.models, name)(weights=None).eval()
        # BatchNorm running statistics are 0/1 after construction; give them values so the
        # exported (folded) batch norms are exercised.
        g = torch.Generator().manual_seed(args.seed + 1)
        with torch.no_grad():
            for m in net.modules():
                if isinstance(m, torch.nn.BatchNorm2d):
                    m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=g) * 0.1)
                    m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) + 0.5)
        x = torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(args.seed + 2))
        with torch.no_grad():
            y = net(x)
        path = os.path.join(args.out, name + ".onnx")
        torch.onnx.export(net, x, path, opset_version=17, input_names=["input"], output_names=["output"],
                          dynamic_axes={"input": {0: "N"}, "output": {0: "N"}})
        x.numpy().astype("<f4").tofile(os.path.join(args.out, name + ".input.bin"))
        y.numpy().astype("<f4").tofile(os.path.join(args.out, name + ".output.bin"))
        models.append({"name": name, "input_shape": list(x.shape), "output_shape": list(y.shape),
                       "params": sum(p.numel() for p in net.parameters()),
                       "onnx_bytes": os.path.getsize(path)})
        print("export_torchvision: %s -> %s (%d bytes)" % (name, path, os.path.getsize(path)))
    with open(meta_path, "w") as f:
        json.dump({"stamp": stamp, "models": models}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
