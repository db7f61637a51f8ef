#!/usr/bin/env bash
# Back-to-back device calls (../shared/GPU.md) that share one build: a warm machine keeps /tmp
# (build, databases) between calls made right after each other, so each call continues the last.
#
#   SNAPSHOT=$PWD/.snap SECS=540 TEXT=$PWD/build/release/text scripts/gpu/study_calls.sh
#
# Each call: build zcnas from SNAPSHOT (a carried `git archive` folder; else the local HEAD)
# once, then, until SECS run out:
#   1. the transformer study (scripts/transformer_study.sh) for TF_SPACES (default
#      "flexibert gpt autoformer") on the GPU, resuming what is scored;
#   2. TNB_TASKS (default "jigsaw"): every TNB-101 micro cell in a seeded random order
#      (python's random.Random(0).shuffle, as score_shards.sh) with PROXIES (default the
#      13 data-dependent NAS-Bench-Suite-Zero proxies + params/flops) until time runs out.
# PREV: databases (.db or .db.gz, e.g. the slim ones earlier calls returned) merged into the TNB
# database first, so a fresh machine resumes where the last one stopped (merging is an upsert).
# GPU utilisation is sampled every 5 s into smi.log (in the log archive).
# Results stay in /tmp/zcnas-study; $OUT gets slim gzipped databases and a log archive.
# Carry gpu-debs, gpu-data (a copy of ../shared/benchdata), .snap, the text corpus folder and PREV's.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
OUT=${OUT:-/tmp/zcnas-gpu-out}
W=/tmp/zcnas-study
mkdir -p "$OUT" "$W" /tmp/shared
ln -sfn "$ROOT/gpu-data" /tmp/shared/benchdata
export ZCNAS_BENCHDATA=/tmp/shared/benchdata ZCNAS_TEXT_DIR=${TEXT:-$ROOT/build/release/text}
export LD_LIBRARY_PATH=/tmp/zcnas-gpu-sysroot/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
SRC=/tmp/zcnas-src
Z=$SRC/build/gpu/tools/zcnas
start=$(date +%s)
deadline=$(( start + ${SECS:-540} ))
left() { echo $(( deadline - $(date +%s) )); }

bash scripts/gpu/build_once.sh "$W/build.log" || exit 1
nvidia-smi -L
nvidia-smi --query-gpu=timestamp,utilization.gpu,memory.used --format=csv -l 5 >> "$W/smi.log" 2>&1 &
SMI=$!
trap 'kill $SMI 2>/dev/null' EXIT

for space in ${TF_SPACES-flexibert gpt autoformer}; do
  [ "$(left)" -gt 20 ] || break
  (cd "$SRC" && Z=$Z DB=$W/transformers.db OUT=$W/tf THREADS=${TF_THREADS:-6} EXTRA="--device cuda" \
    SECS=$(left) bash scripts/transformer_study.sh "$space") > "$W/tf_$space.log" 2>&1
  tail -4 "$W/tf/times.txt"
done

PROXIES=${PROXIES:-synflow,snip,grasp,fisher,grad_norm,jacov,nwot,plain,l2_norm,epe_nas,zen,meco,params,flops}
for task in ${TNB_TASKS-jigsaw}; do
  [ "$(left)" -gt 30 ] || break
  if [ ! -e "$W/tnb.db" ]; then
    "$Z" bench import --from /tmp/shared/benchdata --db "$W/tnb.db" > "$W/import.log" 2>&1
    for f in ${PREV:-}; do
      case "$f" in *.gz) gunzip -c "$f" > "$W/prev.db" ;; *) cp "$f" "$W/prev.db" ;; esac
      "$Z" bench merge --db "$W/tnb.db" "$W/prev.db" >> "$W/import.log" 2>&1 || { tail -5 "$W/import.log"; exit 1; }
      rm -f "$W/prev.db"
    done
  fi
  python3 -c "
import csv, random
keys = [r['op_indices'] for r in csv.DictReader(open('/tmp/shared/benchdata/transnas101_micro.csv'))]
random.Random(0).shuffle(keys)
open('$W/tnb_keys.txt', 'w').write('\n'.join(keys) + '\n')"
  timeout -s INT -k 30 "$(( $(left) - 10 ))" "$Z" score-space --space tnb101_micro --dataset "$task" --proxy "$PROXIES" \
    --archs-file "$W/tnb_keys.txt" --device cuda --threads "${TNB_THREADS:-6}" --chunk "${TNB_CHUNK:-8}" --db "$W/tnb.db" \
    >> "$W/tnb_$task.log" 2>&1
  echo "== tnb $task"; tail -c 400 "$W/tnb_$task.log"
done

# Return slim copies (a database with the imported tables is ~44 MB, over the device's return
# limit): only zcnas's own scores and features, gzipped. Here: gunzip, then
# `zcnas bench merge --db <yours> <file>.db`.
for f in "$W"/*.db; do
  python3 - "$f" "/tmp/$(basename "$f" .db)_slim.db" <<'PY'
import shutil, sqlite3, sys
c = sqlite3.connect(sys.argv[1]); c.execute("PRAGMA wal_checkpoint(TRUNCATE)"); c.close()
shutil.copy(sys.argv[1], sys.argv[2])
c = sqlite3.connect(sys.argv[2])
c.execute("DELETE FROM truth"); c.execute("DELETE FROM scores WHERE source != 'zcnas'")
c.commit(); c.execute("VACUUM"); c.close()
PY
  gzip -c "/tmp/$(basename "$f" .db)_slim.db" > "$OUT/$(basename "$f" .db)_slim.db.gz"
done
tar -czf "$OUT/logs.tgz" -C "$W" --exclude='*.db*' .
ls -la "$OUT"
