#!/usr/bin/env bash
# One device call (../shared/GPU.md): build zcnas against the host's CUDA libtorch
# (scripts/gpu/build_once.sh: SNAPSHOT, else the committed HEAD; a warm machine's build is
# reused, FORCE=1 rebuilds), then score architectures on every GPU of the host, one
# `zcnas score-space` process per GPU, each on its own shard and database file.
#
#   JOBS="kind:space:dataset[:seconds] ..."  kind = score (zcnas score-space --proxy $PROXIES)
#             or features (zcnas features: ParZC node statistics),
#             e.g. "score:tnb101_micro:class_scene:150 features:nb201:cifar10:60"
#   PROXIES   comma list (default: every proxy but dextr)
#   THREADS   oneTBB workers per GPU (default 6: the GPU is dispatch-bound at these sizes)
#   EXTRA     extra options for every command (e.g. "--batch-size 32")
#
# Archs: every architecture of the space (benchmark keys from the carried CSVs), in a
# seeded random order (python's random.Random(0).shuffle), dealt round-robin to the GPUs,
# so the archs done when a job's time runs out are a uniform random sample of the space.
# A job stops with SIGINT after its seconds; score-space keeps every finished chunk.
# Carry gpu-debs (scripts/gpu/fetch-debs.sh) and gpu-data (a copy of ../shared/benchdata).
# Results: $OUT/scores.db (the score and feature shards merged with `zcnas bench merge`), logs.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/zcnas-gpu-out}
mkdir -p "$OUT"
ROOT=$PWD
SRC=/tmp/zcnas-src
mkdir -p /tmp/shared && ln -sfn "$ROOT/gpu-data" /tmp/shared/benchdata
nvidia-smi -L > "$OUT/gpu.txt" 2>&1
bash scripts/gpu/build_once.sh "$OUT/build.log" | tee -a "$OUT/gpu.txt"
[ "${PIPESTATUS[0]}" = 0 ] || exit 1
cd "$SRC"
export LD_LIBRARY_PATH=/tmp/zcnas-gpu-sysroot/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
ZC=build/gpu/tools/zcnas
NGPU=$(nvidia-smi -L | grep -c '^GPU')
PROXIES=${PROXIES:-synflow,snip,grasp,fisher,grad_norm,jacov,nwot,plain,l2_norm,epe_nas,zen,meco,params,flops}
for job in ${JOBS:?set JOBS}; do
  IFS=: read -r KIND space dataset secs <<< "$job"
  secs=${secs:-120}
  csv=/tmp/shared/benchdata/nasbench201.csv
  [ "$space" = tnb101_micro ] && csv=/tmp/shared/benchdata/transnas101_micro.csv
  python3 - "$csv" "$NGPU" /tmp/shard_ <<'PY'
import csv, random, sys
keys = [r["op_indices"] for r in csv.DictReader(open(sys.argv[1]))]
random.Random(0).shuffle(keys)
n = int(sys.argv[2])
for i in range(n):
    open(f"{sys.argv[3]}{i}.txt", "w").write("\n".join(keys[i::n]) + "\n")
PY
  pids=()
  for ((g = 0; g < NGPU; g++)); do
    if [ "$KIND" = features ]; then
      cmd=("$ZC" features --space "$space" --dataset "$dataset" --archs-file /tmp/shard_$g.txt)
    else
      cmd=("$ZC" score-space --space "$space" --dataset "$dataset" --proxy "$PROXIES" --archs-file /tmp/shard_$g.txt)
    fi
    CUDA_VISIBLE_DEVICES=$g timeout -s INT -k 40 "$secs" "${cmd[@]}" --device cuda --threads "${THREADS:-6}" --chunk 8 \
      --db "$OUT/${KIND}_gpu$g.db" ${EXTRA:-} > "$OUT/${KIND}_${space}_${dataset}_gpu$g.log" 2>&1 &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  echo "== $job"; for ((g = 0; g < NGPU; g++)); do tail -c 600 "$OUT/${KIND}_${space}_${dataset}_gpu$g.log"; done
done
shards=$(compgen -G "$OUT/score_gpu*.db"; compgen -G "$OUT/features_gpu*.db")
if [ -n "$shards" ]; then
  if "$ZC" bench merge --db "$OUT/scores.db" $shards > "$OUT/merge.txt" 2>&1; then
    rm -f "$OUT"/score_gpu*.db* "$OUT"/features_gpu*.db*
  fi
  tail -3 "$OUT/merge.txt"
fi
# Fold every WAL into its file so each .db comes back whole.
for f in "$OUT"/*.db; do
  python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('PRAGMA wal_checkpoint(TRUNCATE)')" "$f"
done
rm -f "$OUT"/*.db-wal "$OUT"/*.db-shm
ls -la "$OUT"
