#!/usr/bin/python3
"""Golden values for Dextr, MeCo, Zen and synflow on fixed small networks.

An independent reference written from the papers' formulas with PyTorch
(Debian's python3-torch 1.13, run with /usr/bin/python3), NOT a port of the
zcnas C++ code. Its output, golden.json, is what tests/proxies/test_golden.cpp
compares against; regenerate with

    /usr/bin/python3 tests/reference/golden.py > tests/reference/golden.json

Definitions (see docs/proxies.md for the full discussion):
  * Dextr (Asthana et al., TMLR 2025): S = log(1 + sum_l sigma_min/sigma_max of
    layer l's feature map of one sample as a C x HW matrix), K = log(1 + kappa),
    Dextr = S K / (S + K). kappa = extrinsic curvature (Poole et al., NeurIPS
    2016) of the output along x(t) = r (u cos t + v sin t), mean over M
    equispaced t, each point a batch of one in train mode:
    kappa(t) = sqrt((v.v)(a.a) - (v.a)^2) / (v.v)^{3/2}, v = dy/dt, a = d2y/dt2,
    computed here coordinate by coordinate with reverse-mode autograd.
  * MeCo (Jiang et al., NeurIPS 2023): sum over layers of the minimum eigenvalue
    of torch.corrcoef of the C x HW feature map of one sample, NaN -> 0.
  * Zen (Lin et al., ICCV 2021) as NASLib's zen.py: with no grad in train mode,
    log(mean_n sum |f(x) - f(x + 0.01 x2)|) + sum_bn log sqrt(mean running_var),
    f = the map entering global average pooling; running_var read from real
    nn.BatchNorm2d modules after the two forward passes.
  * synflow (Tanaka et al., NeurIPS 2020) as NASLib: batchnorm removed, float64,
    parameters replaced by their absolute values, input all ones (batch of one),
    R = sum(output), score = sum over conv/linear weights of |w * dR/dw|,
    reported as log(score) as NASLib's ZeroCost predictor does. The
    weights are PyTorch's default init drawn from torch.Generator(seed) in layer
    order (weight then bias), the contract of zcnas's TorchNet::reset_parameters.

Networks, weights and inputs are closed-form (see `closed_form`), so the C++
test builds the identical NetGraph and fills it with the same formulas.
"""
import json
import math
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)


def closed_form(n, a, b, c):
    """n values sin(a*i + 0.0137*i*i + b) * c for i = 0..n-1, as float64 (the
    quadratic phase keeps weight matrices far from low rank)."""
    i = torch.arange(n, dtype=torch.float64)
    return torch.sin(a * i + 0.0137 * i * i + b) * c


def fill_weights(layers):
    """layers: list of (module, kind) in order; deterministic closed-form values."""
    with torch.no_grad():
        for idx, m in enumerate(layers):
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                fan_in = m.weight[0].numel()
                s = 1.0 / math.sqrt(fan_in)
                m.weight.copy_(closed_form(m.weight.numel(), 0.7, 0.3 + 1.3 * idx, 2.0 * s).reshape(m.weight.shape))
                if m.bias is not None:
                    m.bias.copy_(closed_form(m.bias.numel(), 0.9, 0.1 + 1.3 * idx, 0.5 * s))
            elif isinstance(m, nn.BatchNorm2d):
                m.weight.copy_(1.0 + closed_form(m.weight.numel(), 0.5, 0.2 + 1.3 * idx, 0.2))
                m.bias.copy_(closed_form(m.bias.numel(), 0.8, 0.4 + 1.3 * idx, 0.1))


def default_init(layers, seed):
    """PyTorch's default init (kaiming_uniform a=sqrt(5) == U(+-1/sqrt(fan_in)),
    bias U(+-1/sqrt(fan_in))) drawn from one generator in layer order."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in layers:
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                b = 1.0 / math.sqrt(m.weight[0].numel())
                m.weight.copy_(torch.empty(m.weight.shape).uniform_(-b, b, generator=g))
                if m.bias is not None:
                    m.bias.copy_(torch.empty(m.bias.shape).uniform_(-b, b, generator=g))


class NetA(nn.Module):
    """3x8x8 -> conv3 -> bn -> relu -> conv3 -> bn -> (+ skip) -> relu ->
    maxpool3/s2 -> conv1(bias) -> bn -> relu -> avgpool3 -> GAP -> linear(5)."""

    def __init__(self, use_bn=True):
        super().__init__()
        self.use_bn = use_bn
        self.c1 = nn.Conv2d(3, 4, 3, padding=1, bias=False)
        self.b1 = nn.BatchNorm2d(4)
        self.c2 = nn.Conv2d(4, 4, 3, padding=1, bias=False)
        self.b2 = nn.BatchNorm2d(4)
        self.c3 = nn.Conv2d(4, 8, 1, bias=True)
        self.b3 = nn.BatchNorm2d(8)
        self.fc = nn.Linear(8, 5)
        self.layers = [self.c1, self.b1, self.c2, self.b2, self.c3, self.b3, self.fc]
        self.input_shape = (3, 8, 8)

    def forward(self, x, rec=None):
        def r(kind, t):  # record a C x H x W output (kind: conv / other)
            if rec is not None:
                rec.append((kind, t))
            return t
        bn = (lambda m, t: r("other", m(t))) if self.use_bn else (lambda m, t: t)
        h = r("conv", self.c1(x))
        h = bn(self.b1, h)
        h1 = r("other", F.relu(h))
        h = r("conv", self.c2(h1))
        h = bn(self.b2, h)
        h = r("other", h + h1)
        h = r("other", F.relu(h))
        h = r("other", F.max_pool2d(h, 3, 2, 1))
        h = r("conv", self.c3(h))
        h = bn(self.b3, h)
        h = r("other", F.relu(h))
        h = r("other", F.avg_pool2d(h, 3, 1, 1, count_include_pad=False))
        self.pre_gap = h
        return self.fc(h.mean(dim=(2, 3)))


class NetB(nn.Module):
    """3x10x10 -> conv3(bias) -> relu -> conv3/s2 -> bn -> tanh -> concat with
    avgpool2-of-input branch conv1 -> relu -> GAP -> linear(4)."""

    def __init__(self, use_bn=True):
        super().__init__()
        self.use_bn = use_bn
        self.c1 = nn.Conv2d(3, 5, 3, padding=1, bias=True)
        self.c2 = nn.Conv2d(5, 6, 3, stride=2, padding=1, bias=False)
        self.b2 = nn.BatchNorm2d(6)
        self.c3 = nn.Conv2d(3, 3, 1, bias=False)
        self.fc = nn.Linear(9, 4)
        self.layers = [self.c1, self.c2, self.b2, self.c3, self.fc]
        self.input_shape = (3, 10, 10)

    def forward(self, x, rec=None):
        def r(kind, t):
            if rec is not None:
                rec.append((kind, t))
            return t
        h = r("conv", self.c1(x))
        h = r("other", F.relu(h))
        h = r("conv", self.c2(h))
        if self.use_bn:
            h = r("other", self.b2(h))
        h = r("other", torch.tanh(h))
        p = r("other", F.avg_pool2d(x, 2, 2, 0))
        p = r("conv", self.c3(p))
        h = r("other", torch.cat([h, p], 1))
        h = r("other", F.relu(h))
        self.pre_gap = h
        return self.fc(h.mean(dim=(2, 3)))


def make(name, use_bn=True):
    return {"A": NetA, "B": NetB}[name](use_bn)


def sample_input(shape, n, phase):
    numel = n * shape[0] * shape[1] * shape[2]
    i = torch.arange(numel, dtype=torch.float64)
    return (torch.sin(0.013 * i * i + 0.5 * i + phase) * 1.5).reshape(n, *shape).float()


def circle_directions(shape):
    d = shape[0] * shape[1] * shape[2]
    i = torch.arange(d, dtype=torch.float64)
    u = torch.cos(0.31 * i + 0.2)
    v = torch.sin(0.17 * i * i + 0.4)
    u = u / u.norm()
    v = v - torch.dot(u, v) * u
    v = v / v.norm()
    return u.reshape(shape), v.reshape(shape)


def feature_maps(net, x1, kinds):
    rec = []
    with torch.no_grad():
        net(x1, rec)
    return [t[0].reshape(t.shape[1], -1).double() for k, t in rec if k in kinds]


def svd_sum(maps):
    total = 0.0
    for f in maps:
        s = torch.linalg.svdvals(f)
        r = (s.min() / s.max()).item() if s.max() > 0 else 0.0
        total += r if math.isfinite(r) else 0.0
    return total


def meco_sum(maps):
    total = 0.0
    for f in maps:
        c = torch.corrcoef(f)
        c[torch.isnan(c)] = 0
        c[torch.isinf(c)] = 0
        e = torch.linalg.eig(c)[0].real.min().item()
        if math.isfinite(e):
            total += e
    return total


def curvature(net, u, v, radius, points):
    net = net.double()
    u, v = u.double(), v.double()
    per = []
    for j in range(points):
        t = torch.tensor(2 * math.pi * j / points, dtype=torch.float64, requires_grad=True)
        x = (radius * (u * torch.cos(t) + v * torch.sin(t))).unsqueeze(0)
        y = net(x).reshape(-1)
        vel, acc = [], []
        for k in range(y.numel()):
            (dk,) = torch.autograd.grad(y[k], t, create_graph=True)
            (ak,) = torch.autograd.grad(dk, t, retain_graph=True)
            vel.append(dk.detach())
            acc.append(ak.detach())
        vel, acc = torch.stack(vel), torch.stack(acc)
        vv, aa, va = vel.dot(vel).item(), acc.dot(acc).item(), vel.dot(acc).item()
        per.append(math.sqrt(max(vv * aa - va * va, 0.0)) / vv ** 1.5 if vv > 0 else 0.0)
    net.float()
    return per


def zen(net, x1, x2, gamma):
    with torch.no_grad():
        net(x1)
        f1 = net.pre_gap
        net(x1 + gamma * x2)
        f2 = net.pre_gap
        delta = torch.sum(torch.abs(f1 - f2), dim=[1, 2, 3]).mean()
        bn = 0.0
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):
                bn += math.log(math.sqrt(m.running_var.double().mean().item()))
    return math.log(delta.item()) + bn


def synflow(name, seed):
    net = make(name, use_bn=False)
    default_init(net.layers, seed)
    net = net.double()
    with torch.no_grad():
        for p in net.parameters():
            p.abs_()
    net.zero_grad()
    x = torch.ones((1,) + net.input_shape, dtype=torch.float64)
    torch.sum(net(x)).backward()
    total = 0.0
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            total += torch.sum(torch.abs(m.weight * m.weight.grad)).item()
    return total


def main():
    out = {"generator": "tests/reference/golden.py", "torch": torch.__version__, "networks": {}}
    points, radius_scale, gamma, seed = 6, 1.0, 1e-2, 7
    for name in ["A", "B"]:
        net = make(name)
        fill_weights(net.layers)
        net.train()
        shape = net.input_shape
        x = sample_input(shape, 2, 0.0)
        x2 = sample_input(shape, 2, 1.0)
        maps_all = feature_maps(net, x[:1], {"conv", "other"})
        maps_conv = feature_maps(net, x[:1], {"conv"})
        u, v = circle_directions(shape)
        radius = radius_scale * math.sqrt(u.numel())
        net = make(name)  # fresh batchnorm state for each measurement
        fill_weights(net.layers)
        kap = curvature(net.train(), u, v, radius, points)
        kappa = sum(kap) / len(kap)
        s_all, s_conv = svd_sum(maps_all), svd_sum(maps_conv)
        dx = lambda s: (math.log1p(s) * math.log1p(kappa)) / (math.log1p(s) + math.log1p(kappa))
        net = make(name)
        fill_weights(net.layers)
        z = zen(net.train(), x, x2, gamma)
        sf = synflow(name, seed)
        out["networks"][name] = {
            "points": points,
            "radius": radius,
            "svd_sum_all": s_all,
            "svd_sum_conv": s_conv,
            "n_maps_all": len(maps_all),
            "n_maps_conv": len(maps_conv),
            "kappa_per_point": kap,
            "kappa_mean": kappa,
            "dextr_all": dx(s_all),
            "dextr_conv": dx(s_conv),
            "meco_all": meco_sum(maps_all),
            "meco_conv": meco_sum(maps_conv),
            "zen": z,
            "zen_gamma": gamma,
            "synflow_seed": seed,
            "synflow_raw": sf,
            # NASLib's ZeroCost.query reports log(score) for synflow (naslib/predictors/zerocost.py)
            "synflow": math.log(sf) if sf > 0 else -math.log(-sf),
        }
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
