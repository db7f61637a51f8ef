#!/usr/bin/env bash
# Speed comparison (issue 5): the NASLib-style Python reference
# (tools/reference/naslib_style.py, Debian python3-torch 1.13) and zcnas's
# bench_proxies (libtorch 1.13) on the same NB201 archs, batch and machine, in
# one run; prints seconds per arch per proxy and the Python / zcnas ratio.
#
#   tools/bench/compare_python.sh [N_ARCHS=10] [BUILD_DIR=build/h4]
#   PY_THREADS="1 2" tools/bench/compare_python.sh 10    # also Python on 2 threads
#
# Run from the repository root. Ratios use process-CPU seconds (the machine is
# shared; CPU time is what contention does not inflate) and wall seconds.
# "1 thread" means one libtorch thread and one OpenBLAS thread in both programs
# (OPENBLAS_NUM_THREADS=1 below; bench_proxies also sets it per worker).
set -euo pipefail
export OPENBLAS_NUM_THREADS=1
N=${1:-10}
BUILD=${2:-build/h4}
PY_THREADS=${PY_THREADS:-1}
BIN="$BUILD/tools/bench_proxies"
[ -x "$BIN" ] || { echo "compare_python.sh: $BIN not built (ninja -C $BUILD bench_proxies)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== machine: $(nproc) cores, $(uname -m), $(. /etc/os-release; echo "$PRETTY_NAME"), $(date -u +%F)"
echo "== BLAS: $(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3)"
for t in $PY_THREADS; do
  /usr/bin/python3 -W ignore tools/reference/naslib_style.py --archs "$N" --seed 1 --threads "$t" --json "$tmp/py$t.json"
done
/usr/bin/python3 -c "import json,sys; print('\n'.join(json.load(open(sys.argv[1]))['archs']))" "$tmp/py${PY_THREADS%% *}.json" > "$tmp/archs.txt"
"$BIN" --archs-file "$tmp/archs.txt" --json "$tmp/cpp.json"

/usr/bin/python3 - "$tmp" $PY_THREADS <<'PY'
import json, sys, os
tmp, threads = sys.argv[1], sys.argv[2:]
cpp = json.load(open(os.path.join(tmp, "cpp.json")))
py = {t: json.load(open(os.path.join(tmp, f"py{t}.json"))) for t in threads}
p1 = py[threads[0]]
print()
print(f"NB201 CIFAR-10, {len(cpp['archs'])} archs, batch 32; seconds per arch (cpu / wall); ratio = python / zcnas")
print(f"{'proxy':10s} {'python cpu':>11s} {'zcnas cpu':>10s} {'ratio':>7s} | {'python wall':>11s} {'zcnas wall':>10s} {'ratio':>7s}")
for n, t in cpp["alone"].items():
    pc, pw = p1["cpu_seconds_per_arch"][n], p1["seconds_per_arch"][n]
    print(f"{n:10s} {pc:11.4f} {t['cpu']:10.4f} {pc / t['cpu']:7.1f} | {pw:11.4f} {t['wall']:10.4f} {pw / t['wall']:7.1f}")
pc, pw = p1["cpu_seconds_per_arch"]["total"], p1["seconds_per_arch"]["total"]
for key, label in [("fused_1", "zcnas fused set, 1 worker"), ("fused_2", "zcnas fused set, 2 workers")]:
    t = cpp[key]
    print(f"{label:28s} python total {pc:.4f} cpu / {pw:.4f} wall -> zcnas {t['cpu']:.4f} cpu / {t['wall']:.4f} wall: "
          f"ratio {pc / t['cpu']:.1f} (cpu), {pw / t['wall']:.1f} (wall)")
for t in threads[1:]:
    q = py[t]
    print(f"python total on {t} threads: {q['cpu_seconds_per_arch']['total']:.4f} cpu / {q['seconds_per_arch']['total']:.4f} wall per arch")
PY
