#!/usr/bin/env bash
# The ONNX-text surrogate table of docs/RESULTS.md (issue 8), all on the CPU:
#   1. ground truth imported; features cached for every NB201 arch (`onnx_text`: compile the
#      IR, write the ONNX-graph text; `onehot`: from the arch string) and for the 500 NB101
#      archs of naslib_zc/zc_nasbench101.json, each step timed (feature throughput);
#   2. per seed and n_train: `onehot` and `onnxtext` trained on N seeded NB201 CIFAR-10 archs,
#      evaluated on EVERY other NB201 arch (15,625 - N; features cached, so the timed eval is
#      prediction throughput without feature computation); `onnxtext` also zero-shot on NB101;
#   3. one eval on a database without cached features (prediction throughput including
#      compile + ONNX text), on a seeded sample of EVAL_COLD archs.
#   scripts/onnxtext_study.sh DB OUTDIR
# Env: ZCNAS (binary, default build/release/tools/zcnas), SEEDS (default "0 1 2"),
# NTRAIN (default "100 1000"), KINDS (default "onehot onnxtext"), THREADS (default 2: oneTBB
# feature workers, and libtorch threads for training/prediction via OMP_NUM_THREADS),
# TEXT_SETTINGS / ONEHOT_SETTINGS (extra settings JSON, default {}), EVAL_COLD (default 1000;
# 0 skips step 3). Resumable: finished feature steps and runs are skipped on a rerun.
# Writes OUTDIR/runs.jsonl (one eval JSON per line + training and eval seconds),
# OUTDIR/timing.jsonl (feature steps) and OUTDIR/table.md.
set -euo pipefail
DB=${1:?usage: onnxtext_study.sh DB OUTDIR}
OUT=${2:?usage: onnxtext_study.sh DB OUTDIR}
Z=${ZCNAS:-build/release/tools/zcnas}
SEEDS=${SEEDS:-0 1 2}
NTRAIN=${NTRAIN:-100 1000}
KINDS=${KINDS:-onehot onnxtext}
THREADS=${THREADS:-2}
TEXT_SETTINGS=${TEXT_SETTINGS:-'{}'}
ONEHOT_SETTINGS=${ONEHOT_SETTINGS:-'{}'}
EVAL_COLD=${EVAL_COLD:-1000}
export OMP_NUM_THREADS=$THREADS
mkdir -p "$OUT/models"
RUNS="$OUT/runs.jsonl"
TIMING="$OUT/timing.jsonl"
touch "$RUNS" "$TIMING"
now() { date +%s.%N; }

# timed STEP N COMMAND...: runs it, appends {"step", "archs", "seconds"} to timing.jsonl;
# a step already in timing.jsonl is skipped (the script resumes)
timed() {
  local step=$1 n=$2
  shift 2
  if grep -qF "\"step\": \"$step\"" "$TIMING"; then return; fi
  local t0
  t0=$(now)
  "$@" > /dev/null
  python3 -c 'import json,sys; print(json.dumps({"step": sys.argv[1], "archs": int(sys.argv[2]), "seconds": float(sys.argv[4]) - float(sys.argv[3]), "threads": int(sys.argv[5])}))' \
    "$step" "$n" "$t0" "$(now)" "$THREADS" >> "$TIMING"
}

if [ ! -f "$OUT/imported" ]; then
  "$Z" --db "$DB" bench import > /dev/null
  [ "$EVAL_COLD" -gt 0 ] && cp "$DB" "$OUT/cold.db"  # ground truth only, for step 3
  touch "$OUT/imported"
fi
# The NB101 archs with ground truth (the 500 of zc_nasbench101.json), by benchmark key.
python3 - "$DB" > "$OUT/nb101_keys.txt" <<'PY'
import sqlite3, sys
for (k,) in sqlite3.connect(sys.argv[1]).execute(
        "select distinct a.key from archs a join truth t on t.arch_id = a.id where a.space = 'nb101' order by a.key"):
    print(k)
PY
timed "features onnx_text nb201 (compile + ONNX text)" 15625 \
  "$Z" --db "$DB" features --space nb201 --dataset cifar10 --kind onnx_text --all --threads "$THREADS"
timed "features onnx_text nb101 (compile + ONNX text)" "$(wc -l < "$OUT/nb101_keys.txt")" \
  "$Z" --db "$DB" features --space nb101 --dataset cifar10 --kind onnx_text --archs-file "$OUT/nb101_keys.txt" --threads "$THREADS"
timed "features onehot nb201" 15625 \
  "$Z" --db "$DB" features --space nb201 --dataset cifar10 --kind onehot --all --threads "$THREADS"

# run KIND SETTINGS N SEED: train, then eval on every other NB201 arch (and NB101 zero-shot for onnxtext)
run() {
  local kind=$1 settings=$2 n=$3 seed=$4
  local model="$OUT/models/${kind}_n${n}_s${seed}.pt"
  if grep -q "\"model\": \"$model\"" "$RUNS"; then echo "== $kind n=$n seed=$seed: done already" >&2; return; fi
  echo "== $kind n_train=$n seed=$seed $(date -u +%H:%M:%S)" >&2
  "$Z" --db "$DB" --seed "$seed" predictor train --kind "$kind" --space nb201 --dataset cifar10 --n-train "$n" \
      --settings "$settings" -o "$model" --json > "$model.train.json"
  local spaces=(nb201)
  [ "$kind" = onnxtext ] && spaces+=(nb101)
  for sp in "${spaces[@]}"; do
    local t0
    t0=$(now)
    "$Z" --db "$DB" predictor eval --model "$model" --space "$sp" --dataset cifar10 --cached-only --json > "$model.eval_$sp.json"
    python3 -c 'import json,sys; e=json.load(open(sys.argv[1])); t=json.load(open(sys.argv[2]))
e["n_train_requested"]=int(sys.argv[3]); tr=t["training"]
for k in ("seconds","epochs_run","best_epoch","best_val_kendall","threads","parameters"): e["train_"+k]=tr.get(k)
e["eval_seconds"]=float(sys.argv[5])-float(sys.argv[4]); e["eval_archs_per_s"]=e["n"]/e["eval_seconds"]
print(json.dumps(e))' "$model.eval_$sp.json" "$model.train.json" "$n" "$t0" "$(now)" >> "$RUNS"
  done
}

for seed in $SEEDS; do
  for n in $NTRAIN; do
    for kind in $KINDS; do
      if [ "$kind" = onnxtext ]; then run onnxtext "$TEXT_SETTINGS" "$n" "$seed"; else run onehot "$ONEHOT_SETTINGS" "$n" "$seed"; fi
    done
  done
done

# 3. Prediction including feature computation: the first seed's smallest onnxtext model on a
#    database that holds ground truth only.
first_seed=${SEEDS%% *}
first_n=${NTRAIN%% *}
if [ "$EVAL_COLD" -gt 0 ] && [ -f "$OUT/cold.db" ] && [ -f "$OUT/models/onnxtext_n${first_n}_s${first_seed}.pt" ] &&
   ! grep -q '"step": "eval cold' "$TIMING"; then
  timed "eval cold onnxtext nb201 --sample $EVAL_COLD (compile + ONNX text + tokenize + predict)" "$EVAL_COLD" \
    "$Z" --db "$OUT/cold.db" --seed 99 predictor eval --model "$OUT/models/onnxtext_n${first_n}_s${first_seed}.pt" \
      --space nb201 --dataset cifar10 --sample "$EVAL_COLD" --threads "$THREADS" --json
fi

python3 - "$RUNS" "$TIMING" > "$OUT/table.md" <<'EOF'
import json, sys, statistics as st
from collections import defaultdict
rows = [json.loads(l) for l in open(sys.argv[1])]
g = defaultdict(list)
for r in rows:
    g[(r["kind"], r["space"], r["n_train_requested"])].append(r)
def ms(v, f="%.3f"):
    return f % v[0] if len(v) == 1 else (f + " ± " + f) % (st.mean(v), st.stdev(v))
print("| model | evaluated on | n_train | seeds | n eval | Kendall tau | Spearman rho | train s | epochs run (best) | predict archs/s |")
print("|---|---|---|---|---|---|---|---|---|---|")
for (kind, space, n), rs in sorted(g.items(), key=lambda kv: (kv[0][1] != "nb201", kv[0][2], kv[0][0])):
    print("| %s | %s%s | %d | %s | %s | %s | %s | %s | %s | %s |" % (
        kind, space, " (zero-shot)" if rs[0].get("zero_shot") else "", n, ",".join(str(r["seed"]) for r in rs),
        "/".join(sorted({str(r["n"]) for r in rs})), ms([r["kendall"] for r in rs]), ms([r["spearman"] for r in rs]),
        ms([r["train_seconds"] for r in rs], "%.0f"),
        " ".join("%d(%d)" % (r["train_epochs_run"], r["train_best_epoch"]) for r in rs),
        ms([r["eval_archs_per_s"] for r in rs], "%.0f")))
print()
print("| step | archs | seconds | archs/s |")
print("|---|---|---|---|")
for l in open(sys.argv[2]):
    t = json.loads(l)
    print("| %s | %d | %.1f | %.0f |" % (t["step"], t["archs"], t["seconds"], t["archs"] / t["seconds"]))
EOF
cat "$OUT/table.md"
