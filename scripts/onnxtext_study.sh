#!/usr/bin/env bash
# The ONNX-text surrogate table of docs/RESULTS.md (issue 8): NB201 CIFAR-10, the `onnxtext`
# model and the `onehot` baseline trained on N archs (seeded by --seed) and evaluated on a
# seeded sample of held-out archs, plus zero-shot on the 500 NB101 archs of
# naslib_zc/zc_nasbench101.json. Everything runs on the CPU: the features (ONNX text of the
# compiled network, one-hot op codes) need no forward pass and are cached in DB.
#   scripts/onnxtext_study.sh DB OUTDIR
# Env: ZCNAS (binary, default build/release/tools/zcnas), SEEDS (default "0 1 2"),
# NTRAIN (default "100 400 1000"), EVAL (held-out sample size, default 2000; eval seed 99),
# TEXT_SETTINGS / ONEHOT_SETTINGS (extra settings JSON, default {}).
# Writes OUTDIR/runs.jsonl (one eval JSON per line + training seconds) and OUTDIR/table.md.
set -euo pipefail
DB=${1:?usage: onnxtext_study.sh DB OUTDIR}
OUT=${2:?usage: onnxtext_study.sh DB OUTDIR}
Z=${ZCNAS:-build/release/tools/zcnas}
SEEDS=${SEEDS:-0 1 2}
NTRAIN=${NTRAIN:-100 400 1000}
EVAL=${EVAL:-2000}
TEXT_SETTINGS=${TEXT_SETTINGS:-'{}'}
ONEHOT_SETTINGS=${ONEHOT_SETTINGS:-'{}'}
mkdir -p "$OUT/models"
RUNS="$OUT/runs.jsonl"
: > "$RUNS"
"$Z" bench import --db "$DB" > /dev/null

# run KIND SETTINGS N SEED: train, then eval on NB201 (and on NB101 zero-shot for onnxtext)
run() {
  local kind=$1 settings=$2 n=$3 seed=$4
  local model="$OUT/models/${kind}_n${n}_s${seed}.pt"
  echo "== $kind n_train=$n seed=$seed" >&2
  "$Z" predictor train --kind "$kind" --space nb201 --dataset cifar10 --n-train "$n" --seed "$seed" \
      --settings "$settings" --db "$DB" -o "$model" --json > "$model.train.json"
  local evals=("--space nb201 --sample $EVAL --seed 99")
  [ "$kind" = onnxtext ] && evals+=("--space nb101")
  for e in "${evals[@]}"; do
    # shellcheck disable=SC2086
    "$Z" predictor eval --model "$model" $e --dataset cifar10 --db "$DB" --json |
      python3 -c 'import json,sys; e=json.load(sys.stdin); t=json.load(open(sys.argv[1])); e["n_train_requested"]=int(sys.argv[2]); e["train_seconds"]=t["training"]["seconds"]; e["epochs_run"]=t["training"]["epochs_run"]; e["best_epoch"]=t["training"]["best_epoch"]; print(json.dumps(e))' \
        "$model.train.json" "$n" >> "$RUNS"
  done
}

for seed in $SEEDS; do
  for n in $NTRAIN; do
    run onehot "$ONEHOT_SETTINGS" "$n" "$seed"
    run onnxtext "$TEXT_SETTINGS" "$n" "$seed"
  done
done

python3 - "$RUNS" > "$OUT/table.md" <<'EOF'
import json, sys, statistics as st
from collections import defaultdict
rows = [json.loads(l) for l in open(sys.argv[1])]
g = defaultdict(list)
for r in rows:
    g[(r["kind"], r["space"], r["n_train_requested"])].append(r)
def ms(v):
    return "%.3f" % v[0] if len(v) == 1 else "%.3f ± %.3f" % (st.mean(v), st.stdev(v))
print("| model | evaluated on | n_train | seeds | held-out n | Kendall tau | Spearman rho | train s | epochs (best) |")
print("|---|---|---|---|---|---|---|---|---|")
for (kind, space, n), rs in sorted(g.items(), key=lambda kv: (kv[0][1] != "nb201", kv[0][2], kv[0][0])):
    print("| %s | %s%s | %d | %d | %d | %s | %s | %s | %s |" % (
        kind, space, " (zero-shot)" if rs[0].get("zero_shot") else "", n, len(rs), rs[0]["n"],
        ms([r["kendall"] for r in rs]), ms([r["spearman"] for r in rs]),
        ms([r["train_seconds"] for r in rs]).replace(".000", ""),
        "/".join("%d(%d)" % (r["epochs_run"], r["best_epoch"]) for r in rs)))
EOF
cat "$OUT/table.md"
