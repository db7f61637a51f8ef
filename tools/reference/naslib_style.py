#!/usr/bin/python3
"""NASLib-style Python reference for the speed comparison (issue 5).

Computes NB201 zero-cost proxies the way NASLib does (automl/NASLib,
naslib/predictors/utils/pruners/{predictive.py,measures/*.py}): every measure
runs on its own deep copy of the network (`get_prunable_copy`), with its own
forward/backward passes, on one batch of CIFAR-10 images. Run it with Debian's
/usr/bin/python3 (python3-torch 1.13, the same libtorch zcnas links).

    /usr/bin/python3 tools/reference/naslib_style.py --archs 20 --seed 1 --threads 1 [--json out.json]

Prints seconds per arch per proxy (mean over the sampled archs) and the total.
The network is NAS-Bench-201's TinyNetwork (C=16, N=5, CIFAR-10 head) as in
D-X-Y/AutoDL-Projects; measures follow NASLib's code (synflow, snip, grasp,
fisher, grad_norm, jacov, nwot, plain, l2_norm, epe_nas, zen) and the authors'
code for meco (HamsterMimi/MeCo: hooks on every module, one sample) and dextr
(rohanasthana/Dextr, with zcnas's documented curvature: M points on the circle,
every output coordinate, reverse-mode per coordinate as the reference does).
"""
import argparse
import copy
import csv
import json
import math
import os
import random
import time
import types

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import autograd

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "benchdata"))
OPS = ["skip_connect", "none", "nor_conv_3x3", "nor_conv_1x1", "avg_pool_3x3"]


# ---- NAS-Bench-201 TinyNetwork ------------------------------------------------
class ReLUConvBN(nn.Module):
    def __init__(self, cin, cout, k, stride):
        super().__init__()
        self.op = nn.Sequential(nn.ReLU(inplace=False), nn.Conv2d(cin, cout, k, stride, k // 2, bias=False),
                                nn.BatchNorm2d(cout, affine=True, track_running_stats=True))

    def forward(self, x):
        return self.op(x)


class Zero(nn.Module):
    def forward(self, x):
        return x.mul(0.0)


class Pool(nn.Module):
    def __init__(self):
        super().__init__()
        self.op = nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)

    def forward(self, x):
        return self.op(x)


def make_op(name, c):
    return {"skip_connect": lambda: nn.Identity(), "none": lambda: Zero(),
            "nor_conv_3x3": lambda: ReLUConvBN(c, c, 3, 1), "nor_conv_1x1": lambda: ReLUConvBN(c, c, 1, 1),
            "avg_pool_3x3": lambda: Pool()}[name]()


class InferCell(nn.Module):
    def __init__(self, edges, c):  # edges: {(i, j): op name}
        super().__init__()
        self.keys = sorted(edges, key=lambda e: (e[1], e[0]))
        self.layers = nn.ModuleList([make_op(edges[k], c) for k in self.keys])

    def forward(self, x):
        nodes = [x]
        for j in range(1, 4):
            nodes.append(sum(self.layers[n](nodes[i]) for n, (i, jj) in enumerate(self.keys) if jj == j))
        return nodes[3]


class BasicBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv_a = ReLUConvBN(cin, cout, 3, 2)
        self.conv_b = ReLUConvBN(cout, cout, 3, 1)
        self.downsample = nn.Sequential(nn.AvgPool2d(2, 2, 0), nn.Conv2d(cin, cout, 1, bias=False))

    def forward(self, x):
        return self.downsample(x) + self.conv_b(self.conv_a(x))


class TinyNetwork(nn.Module):
    def __init__(self, arch_str, classes=10, C=16, N=5):
        super().__init__()
        edges = {}
        for j, node in enumerate(arch_str.strip("|").split("|+|"), start=1):
            for tok in node.strip("|").split("|"):
                op, i = tok.split("~")
                edges[(int(i), j)] = op
        self.stem = nn.Sequential(nn.Conv2d(3, C, 3, padding=1, bias=False), nn.BatchNorm2d(C))
        cells, c = [], C
        for stage in range(3):
            if stage:
                cells.append(BasicBlock(c, 2 * c))
                c *= 2
            cells += [InferCell(edges, c) for _ in range(N)]
        self.cells = nn.ModuleList(cells)
        self.lastact = nn.Sequential(nn.BatchNorm2d(c), nn.ReLU(inplace=False))
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c, classes)

    def forward_before_global_avg_pool(self, x):
        x = self.stem(x)
        for cell in self.cells:
            x = cell(x)
        return self.lastact(x)

    def forward(self, x):
        return self.classifier(self.global_pooling(self.forward_before_global_avg_pool(x)).flatten(1))


# ---- NASLib plumbing ------------------------------------------------------------
def prunable_copy(net, bn):
    net = copy.deepcopy(net)
    if not bn:
        for m in net.modules():
            if isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d)):
                m.forward = types.MethodType(lambda self, x: x, m)
    return net.train()


def layers(net):
    return [m for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


def total(arrs):
    return float(sum(torch.sum(a).item() for a in arrs))


def m_synflow(net, x, y):
    net = net.double()

    @torch.no_grad()
    def linearize(n):
        signs = {}
        for name, p in n.state_dict().items():
            signs[name] = torch.sign(p)
            p.abs_()
        return signs
    linearize(net)
    net.zero_grad()
    out = net(torch.ones([1] + list(x[0].shape), dtype=torch.float64, device=x.device))
    torch.sum(out).backward()
    return total([torch.abs(l.weight * l.weight.grad) if l.weight.grad is not None else torch.zeros_like(l.weight)
                  for l in layers(net)])


def m_snip(net, x, y):
    for l in layers(net):
        l.weight_mask = nn.Parameter(torch.ones_like(l.weight))
        l.weight.requires_grad = False
        if isinstance(l, nn.Conv2d):
            l.forward = types.MethodType(lambda s, i: F.conv2d(i, s.weight * s.weight_mask, s.bias, s.stride,
                                                                s.padding, s.dilation, s.groups), l)
        else:
            l.forward = types.MethodType(lambda s, i: F.linear(i, s.weight * s.weight_mask, s.bias), l)
    net.zero_grad()
    F.cross_entropy(net(x), y).backward()
    return total([torch.abs(l.weight_mask.grad) for l in layers(net)])


def m_grasp(net, x, y):
    ws = [l.weight for l in layers(net)]
    net.zero_grad()
    grad_w = autograd.grad(F.cross_entropy(net(x), y), ws, allow_unused=True)
    grad_f = autograd.grad(F.cross_entropy(net(x), y), ws, create_graph=True, allow_unused=True)
    z = sum((gw.data * gf).sum() for gw, gf in zip(grad_w, grad_f) if gw is not None)
    z.backward()
    return total([-l.weight.data * l.weight.grad if l.weight.grad is not None else torch.zeros_like(l.weight)
                  for l in layers(net)])


def m_fisher(net, x, y):
    for l in layers(net):
        l.fisher, l.dummy = None, nn.Identity()
        if isinstance(l, nn.Conv2d):
            l.forward = types.MethodType(lambda s, i: s._fa(F.conv2d(i, s.weight, s.bias, s.stride, s.padding,
                                                                     s.dilation, s.groups)), l)
        else:
            l.forward = types.MethodType(lambda s, i: s._fa(F.linear(i, s.weight, s.bias)), l)

        def fa(s, t):
            s.act = s.dummy(t)
            return s.act
        l._fa = types.MethodType(fa, l)

        def hook_factory(layer):
            def hook(module, grad_input, grad_output):
                act, grad = layer.act.detach(), grad_output[0].detach()
                g = torch.sum(act * grad, list(range(2, len(act.shape)))) if len(act.shape) > 2 else act * grad
                d = g.pow(2).mean(0).mul(0.5)
                layer.fisher = d if layer.fisher is None else layer.fisher + d
            return hook
        l.dummy.register_backward_hook(hook_factory(l))
    net.zero_grad()
    F.cross_entropy(net(x), y).backward()
    return total([torch.abs(l.fisher) if l.fisher is not None else torch.zeros(l.weight.shape[0], device=l.weight.device) for l in layers(net)])


def m_grad_norm(net, x, y):
    net.zero_grad()
    F.cross_entropy(net(x), y).backward()
    return total([l.weight.grad.norm() if l.weight.grad is not None else torch.zeros(1, device=l.weight.device) for l in layers(net)])


def m_plain(net, x, y):
    net.zero_grad()
    F.cross_entropy(net(x), y).backward()
    return total([l.weight.grad * l.weight if l.weight.grad is not None else torch.zeros(1, device=l.weight.device) for l in layers(net)])


def m_l2_norm(net, x, y):
    return total([l.weight.norm() for l in layers(net)])


def batch_jacobian(net, x):
    net.zero_grad()
    x = x.clone().requires_grad_(True)
    out = net(x)
    out.backward(torch.ones_like(out))
    return x.grad.detach().reshape(x.size(0), -1).cpu().numpy(), out.shape[-1]


def m_jacov(net, x, y):
    j, _ = batch_jacobian(net, x)
    v, _ = np.linalg.eig(np.corrcoef(j))
    k = 1e-5
    return float(-np.sum(np.log(v + k) + 1.0 / (v + k)).real)


def m_nwot(net, x, y):
    K = np.zeros((x.size(0), x.size(0)))

    def hook(module, inp, out):
        nonlocal K
        a = (inp[0].view(inp[0].size(0), -1) > 0).float()
        K = K + (a @ a.t()).cpu().numpy() + ((1.0 - a) @ (1.0 - a.t())).cpu().numpy()
    for m in net.modules():
        if isinstance(m, nn.ReLU):
            m.register_forward_hook(hook)
    net(x.clone())
    return float(np.linalg.slogdet(K)[1])


def m_epe_nas(net, x, y):
    j, n_classes = batch_jacobian(net, x)
    per_class = {}
    for i, label in enumerate(y.cpu().numpy()):
        per_class[label] = np.vstack((per_class[label], j[i])) if label in per_class else j[i]
    score = 0.0
    for c, rows in per_class.items():
        try:
            s = np.sum(np.log(abs(np.array(np.corrcoef(rows))) + 1e-5))
        except Exception:
            continue
        score += np.absolute(s)
    return float(score)


def m_zen(net, x, y, gamma=1e-2):
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.normal_(m.weight)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        a, b = torch.randn(x.shape, device=x.device), torch.randn(x.shape, device=x.device)
        o1 = net.forward_before_global_avg_pool(a)
        o2 = net.forward_before_global_avg_pool(a + gamma * b)
        s = torch.mean(torch.sum(torch.abs(o1 - o2), dim=[1, 2, 3]))
        bn = sum(torch.log(torch.sqrt(torch.mean(m.running_var))) for m in net.modules() if isinstance(m, nn.BatchNorm2d))
        return float(torch.log(s) + bn)


def feature_hook_scores(net, x1, fn):
    vals = []

    def hook(module, inp, out):
        if not isinstance(out, torch.Tensor) or out.dim() != 4:
            return
        f = out[0].detach().reshape(out.shape[1], -1).double()
        vals.append(fn(f))
    hs = [m.register_forward_hook(hook) for m in net.modules()]
    with torch.no_grad():
        net(x1)
    for h in hs:
        h.remove()
    return [v for v in vals if math.isfinite(v)]


def meco_layer(f):
    c = torch.corrcoef(f)
    c[torch.isnan(c)] = 0
    c[torch.isinf(c)] = 0
    return torch.linalg.eig(c)[0].real.min().item()


def svd_layer(f):
    s = torch.linalg.svdvals(f)
    r = (s.min() / s.max()).item() if s.max() > 0 else 0.0
    return r if math.isfinite(r) else 0.0


def m_meco(net, x, y):
    return float(sum(feature_hook_scores(net, x[:1], meco_layer)))


def m_dextr(net, x, y, points=8):
    s = math.log1p(sum(feature_hook_scores(net, x[:1], svd_layer)))
    net = net.double()
    d = x[0].numel()
    g = torch.randn(2, d, dtype=torch.float64, device=x.device)
    u = g[0] / g[0].norm()
    v = g[1] - (g[1] @ u) * u
    v = v / v.norm()
    u, v, r = u.reshape(x[0].shape), v.reshape(x[0].shape), math.sqrt(d)
    kap = 0.0
    for j in range(points):
        t = torch.tensor(2 * math.pi * j / points, dtype=torch.float64, device=x.device, requires_grad=True)
        out = net((r * (u * torch.cos(t) + v * torch.sin(t))).unsqueeze(0)).reshape(-1)
        vel, acc = [], []
        for k in range(out.numel()):
            (dk,) = autograd.grad(out[k], t, create_graph=True)
            (ak,) = autograd.grad(dk, t, retain_graph=True)
            vel.append(dk.detach())
            acc.append(ak.detach())
        vel, acc = torch.stack(vel), torch.stack(acc)
        vv, aa, va = vel @ vel, acc @ acc, vel @ acc
        kap += (torch.sqrt(torch.clamp(vv * aa - va * va, min=0)) / vv ** 1.5).item() / points
    k = math.log1p(kap)
    return s * k / (s + k)


MEASURES = {  # name -> (function, bn as NASLib's @measure decorator sets it)
    "synflow": (m_synflow, False), "snip": (m_snip, True), "grasp": (m_grasp, True), "fisher": (m_fisher, True),
    "grad_norm": (m_grad_norm, True), "jacov": (m_jacov, True), "nwot": (m_nwot, True), "plain": (m_plain, True),
    "l2_norm": (m_l2_norm, True), "epe_nas": (m_epe_nas, True), "zen": (m_zen, True), "meco": (m_meco, True),
    "dextr": (m_dextr, True),
}


def cifar_batch(n, seed):
    raw = open(os.path.join(BENCH, "cifar10", "data_batch_1.bin"), "rb").read()
    rec = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3073)
    idx = np.random.RandomState(seed).choice(len(rec), n, replace=False)
    x = torch.tensor(rec[idx, 1:].reshape(n, 3, 32, 32), dtype=torch.float32) / 255.0
    mean = torch.tensor([0.4914, 0.4822, 0.4465]).view(1, 3, 1, 1)
    std = torch.tensor([0.2470, 0.2435, 0.2616]).view(1, 3, 1, 1)
    return (x - mean) / std, torch.tensor(rec[idx, 0].astype(np.int64))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--archs", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--proxies", default=",".join(MEASURES))
    ap.add_argument("--dextr-points", type=int, default=8)
    ap.add_argument("--json")
    ap.add_argument("--device", default="cpu", help="cpu or cuda (one untimed warm-up arch on cuda)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    rows = list(csv.DictReader(open(os.path.join(BENCH, "nasbench201.csv"))))
    archs = [r["arch_str"] for r in random.Random(a.seed).sample(rows, a.archs)]
    x, y = cifar_batch(a.batch, a.seed)
    dev = torch.device(a.device)
    x, y = x.to(dev), y.to(dev)
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    if dev.type == "cuda":  # warm-up: CUDA context, cuDNN handles; not part of any measure's cost
        net = TinyNetwork(archs[0]).to(dev)
        for n in a.proxies.split(","):
            fn, bn = MEASURES[n]
            fn(prunable_copy(net, bn), x, y)
        sync()
    names = a.proxies.split(",")
    secs = {n: 0.0 for n in names}
    cpu = {n: 0.0 for n in names}
    build = build_cpu = 0.0
    values = []
    for i, arch in enumerate(archs):
        torch.manual_seed(a.seed * 100003 + i)
        t0, c0 = time.perf_counter(), time.process_time()
        net = TinyNetwork(arch).to(dev)
        sync()
        build += time.perf_counter() - t0
        build_cpu += time.process_time() - c0
        vals = {}
        for n in names:
            fn, bn = MEASURES[n]
            t0, c0 = time.perf_counter(), time.process_time()
            copy_ = prunable_copy(net, bn)
            vals[n] = fn(copy_, x, y, points=a.dextr_points) if n == "dextr" else fn(copy_, x, y)
            sync()
            secs[n] += time.perf_counter() - t0
            cpu[n] += time.process_time() - c0
        values.append({"arch": arch, **vals})
    per = {n: secs[n] / len(archs) for n in names}
    per["build"] = build / len(archs)
    per["total"] = sum(per.values())
    per_cpu = {n: cpu[n] / len(archs) for n in names}
    per_cpu["build"] = build_cpu / len(archs)
    per_cpu["total"] = sum(per_cpu.values())
    print(f"python NASLib-style, torch {torch.__version__}, threads {a.threads}, {len(archs)} archs, batch {a.batch}")
    print(f"{'proxy':10s} {'wall s/arch':>12s} {'cpu s/arch':>12s}")
    for n in per:
        print(f"{n:10s} {per[n]:12.4f} {per_cpu[n]:12.4f}")
    if a.json:
        json.dump({"threads": a.threads, "archs": archs, "seconds_per_arch": per, "cpu_seconds_per_arch": per_cpu,
                   "values": values,
                   "torch": torch.__version__}, open(a.json, "w"), indent=1)


if __name__ == "__main__":
    main()
