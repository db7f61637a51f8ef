#!/usr/bin/python3
"""Issue 5 acceptance 1: Spearman rho between zcnas-computed proxy values (a zcnas
database filled by `zcnas score-space`) and NASLib's stored values in
naslib_zc/zc_nasbench201.json, per proxy, over the archs present in both; and each
side's rho with the stored validation accuracy.

  /usr/bin/python3 tools/acceptance/nb201_agreement.py DB [--dataset cifar10]
      [--json ../shared/benchdata/naslib_zc/zc_nasbench201.json] [--seed 0] [--batch 32]

Only numpy (Debian python3-numpy). Spearman = Pearson of average ranks (ties share
their mean rank, as scipy.stats.spearmanr).
"""
import argparse
import json
import sqlite3

import numpy as np


def ranks(x):
    x = np.asarray(x, dtype=float)
    order = np.argsort(x, kind="mergesort")
    r = np.empty(len(x))
    r[order] = np.arange(len(x), dtype=float)
    # average ties
    xs = x[order]
    i = 0
    while i < len(xs):
        j = i
        while j + 1 < len(xs) and xs[j + 1] == xs[i]:
            j += 1
        if j > i:
            r[order[i:j + 1]] = (i + j) / 2.0
        i = j + 1
    return r


def spearman(a, b):
    ra, rb = ranks(a), ranks(b)
    if ra.std() == 0 or rb.std() == 0:
        return float("nan")
    return float(np.corrcoef(ra, rb)[0, 1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("db")
    ap.add_argument("--dataset", default="cifar10")
    ap.add_argument("--json", default="../shared/benchdata/naslib_zc/zc_nasbench201.json")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--batch", type=int, default=32)
    args = ap.parse_args()

    text = open(args.json).read().replace("-Infinity", "null")  # NASLib writes one literal -Infinity
    ref = json.loads(text)[args.dataset]
    naslib = {}
    for k, v in ref.items():
        key = "".join(ch for ch in k if ch.isdigit())
        naslib[key] = v

    con = sqlite3.connect(args.db)
    rows = con.execute(
        "SELECT a.key, s.proxy, s.value, s.status FROM scores s JOIN archs a ON a.id = s.arch_id "
        "WHERE a.space = 'nb201' AND s.dataset = ? AND s.source = 'zcnas' AND s.seed = ? "
        "AND (s.batch_size = ? OR s.proxy IN ('params', 'flops', 'synflow', 'l2_norm'))",
        (args.dataset, args.seed, args.batch)).fetchall()
    ours = {}
    bad = {}
    for key, proxy, value, status in rows:
        if status != "ok" or value is None:
            bad[proxy] = bad.get(proxy, 0) + 1
            continue
        ours.setdefault(proxy, {})[key] = value

    out = []
    for proxy in sorted(ours):
        xs, ys, acc_o, acc_n, vo, vn = [], [], [], [], [], []
        for key, v in ours[proxy].items():
            e = naslib.get(key)
            if not e:
                continue
            acc = e.get("val_accuracy")
            if acc is not None:
                acc_o.append(acc)
                vo.append(v)
            s = e.get(proxy, {})
            s = s.get("score") if isinstance(s, dict) else s
            if s is None or not np.isfinite(s) or s == -1e8:
                continue
            xs.append(v)
            ys.append(s)
            if acc is not None:
                acc_n.append(acc)
                vn.append(s)
        out.append({"proxy": proxy, "n": len(xs), "rho_vs_naslib": spearman(xs, ys),
                    "rho_zcnas_vs_acc": spearman(vo, acc_o), "rho_naslib_vs_acc": spearman(vn, acc_n),
                    "non_finite": bad.get(proxy, 0)})
    print(f"{'proxy':<10} {'n':>4} {'rho(zcnas,naslib)':>18} {'rho(zcnas,acc)':>15} {'rho(naslib,acc)':>16} {'non-ok':>7}")
    for r in out:
        print(f"{r['proxy']:<10} {r['n']:>4} {r['rho_vs_naslib']:>18.4f} {r['rho_zcnas_vs_acc']:>15.4f} "
              f"{r['rho_naslib_vs_acc']:>16.4f} {r['non_finite']:>7}")


if __name__ == "__main__":
    main()
