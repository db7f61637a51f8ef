#!/usr/bin/env python3
"""Golden values for tests/proxies/test_wpca.cpp: PCA_dim of fixed matrices computed with
numpy exactly as ra225/W-PCA's models/pca_torch.py `pca` (np.cov rowvar=False, eigh,
`while accum <= eta: accum += ev[-k]/total; k += 1`, result k - 1).

The matrices come from a 64-bit LCG that the C++ test reproduces bit for bit:
  x <- 6364136223846793005 x + 1442695040888963407 (mod 2^64), u = (x >> 11) / 2^53,
  X[i, j] = sum_r (2 u - 1) * (2 u' - 1) * decay^r  +  noise * (2 u'' - 1)
(draw order: all a[i, r] row-major, then all b[r, j] row-major, then noise row-major),
cast to float32 (the C++ core reads float activations).
Run: /usr/bin/python3 tools/reference/wpca_numpy.py"""
import numpy as np

M64 = (1 << 64) - 1


class Lcg:
    def __init__(self, seed):
        self.x = seed & M64

    def uniform(self):
        self.x = (6364136223846793005 * self.x + 1442695040888963407) & M64
        return (self.x >> 11) / float(1 << 53)


def matrix(seed, n, d, rank, decay, noise):
    g = Lcg(seed)
    a = np.array([[2 * g.uniform() - 1 for _ in range(rank)] for _ in range(n)])
    b = np.array([[2 * g.uniform() - 1 for _ in range(d)] for _ in range(rank)])
    e = np.array([[2 * g.uniform() - 1 for _ in range(d)] for _ in range(n)])
    x = (a * decay ** np.arange(rank)) @ b + noise * e
    return x.astype(np.float32).astype(np.float64)


def pca_dim(data, eta):  # models/pca_torch.py `pca`, one energy
    data = data - data.mean(axis=0)
    cov = np.nan_to_num(np.cov(data, rowvar=False))
    ev = np.linalg.eigh(cov)[0]
    total = np.sum(ev)
    accum, k = 0, 1
    while accum <= eta:
        accum += ev[-k] / total
        k += 1
    return k - 1


CASES = [  # seed, n, d, rank, decay, noise
    (1, 200, 30, 12, 0.7, 0.01),
    (2, 300, 64, 40, 0.9, 0.05),
    (3, 20, 50, 15, 0.8, 0.02),  # fewer rows than columns: the C++ core takes the Gram path
]
for c in CASES:
    x = matrix(*c)
    ev = np.linalg.eigh(np.cov(x, rowvar=False))[0][::-1]
    print(c, "PCA_dim at eta 0.5/0.9/0.99:", [pca_dim(x, eta) for eta in (0.5, 0.9, 0.99)],
          "top eigenvalues:", [round(v, 8) for v in ev[:3]], "total:", round(ev.sum(), 8))
