#!/usr/bin/env bash
# The ParZC acceptance study (issue 9) on the GPU host of ../shared/GPU.md, in stages
# that resume across back-to-back device calls (a warm machine keeps /tmp):
#
#   STAGE=features  build zcnas from COMMIT (default HEAD; once), import the benchmark
#                   tables (once), then ParZC node statistics for every NB201 arch of
#                   DATASETS (default "cifar10 cifar100 ImageNet16-120"), sharded over
#                   every GPU (THREADS oneTBB workers each, default 8), and for the 500
#                   NB101 archs of NAS-Bench-Suite-Zero, until SECS (default 420) run out.
#                   Cached records are skipped, so a second call continues.
#   STAGE=study     scripts/parzc_study.sh with the predictor trained on the GPU, the five
#                   seeds in parallel (PARALLEL=1); results in $OUT/study.
#
# Carry gpu-debs (scripts/gpu/fetch-debs.sh), gpu-data (a copy of ../shared/benchdata) and
# the SNAPSHOT folder if used (e.g. .snap: git archive HEAD | tar -x -C .snap, ignored in .git/info/exclude).
# The archs of a time-limited features stage are a uniform sample (seeded shuffle).
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/zcnas-gpu-out}
LOGS=/tmp/zcnas-logs  # many small files: they come back as one archive ($OUT allows 8 files)
mkdir -p "$OUT" /tmp/shared "$LOGS"
ROOT=$PWD
ln -sfn "$ROOT/gpu-data" /tmp/shared/benchdata
export ZCNAS_BENCHDATA=/tmp/shared/benchdata
SRC=/tmp/zcnas-src
Z=$SRC/build/gpu/tools/zcnas
DB=/tmp/parzc.db
export LD_LIBRARY_PATH=/tmp/zcnas-gpu-sysroot/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
NGPU=$(nvidia-smi -L | grep -c '^GPU')
start=$(date +%s)

bash scripts/gpu/build_once.sh "$LOGS/build.log" || exit 1
if [ ! -e "$DB" ]; then
  "$Z" bench import --from /tmp/shared/benchdata --db "$DB" > "$LOGS/import.log" 2>&1 || { tail -5 "$LOGS/import.log"; exit 1; }
fi

if [ "${STAGE:-features}" = features ]; then
  deadline=$(( start + ${SECS:-420} ))
  python3 - /tmp/shared/benchdata/nasbench201.csv "$NGPU" /tmp/nb201_shard_ <<'PY'
import csv, random, sys
keys = [r["op_indices"] for r in csv.DictReader(open(sys.argv[1]))]
random.Random(0).shuffle(keys)
n = int(sys.argv[2])
for i in range(n):
    open(f"{sys.argv[3]}{i}.txt", "w").write("\n".join(keys[i::n]) + "\n")
PY
  python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); open('/tmp/nb101_keys.txt','w').write(''.join(k+'\n' for (k,) in c.execute(\"select a.key from archs a where a.space='nb101' and exists(select 1 from truth t where t.arch_id=a.id)\")))" "$DB"
  echo "nb101 archs with ground truth: $(wc -l < /tmp/nb101_keys.txt)"
  # feat SPACE DATASET ARCHS_FILE GPU LOG
  feat() {
    local left=$(( deadline - $(date +%s) ))
    [ "$left" -gt 15 ] || return 0
    CUDA_VISIBLE_DEVICES=$4 timeout -s INT -k 30 "$left" "$Z" features --space "$1" --dataset "$2" --archs-file "$3" \
      --seed 0 --device cuda --chunk 32 --threads "${THREADS:-8}" --db "$DB" --json > "$5.json" 2> "$5.log"
    echo "features $1/$2 $3 gpu $4: exit $? $(cat "$5.json")"
  }
  feat nb101 cifar10 /tmp/nb101_keys.txt 0 "$LOGS/feat_nb101"
  for ds in ${DATASETS:-cifar10 cifar100 ImageNet16-120}; do
    for ((g = 0; g < NGPU; g++)); do feat nb201 "$ds" /tmp/nb201_shard_$g.txt "$g" "$LOGS/feat_${ds}_gpu$g" & done
    wait
  done
  python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print('feature rows', c.execute('select a.space, f.dataset, count(*), avg(f.seconds) from features f join archs a on a.id=f.arch_id group by a.space, f.dataset').fetchall())" "$DB"
fi

if [ "${STAGE:-features}" = study ]; then
  (cd "$SRC" && timeout -s TERM "${STUDY_SECS:-420}" env ZCNAS="$Z" SETTINGS='{"device":"cuda"}' THREADS=${THREADS:-4} PARALLEL=1 SEEDS="${SEEDS:-0 1 2 3 4}" \
    bash "$ROOT/scripts/parzc_study.sh" "$DB" "$LOGS/study" cuda) > "$LOGS/study.log" 2>&1
  echo "study exit $?"; tail -30 "$LOGS/study.log"
  cat "$LOGS"/study/runs_s*.jsonl > "$OUT/runs_partial.jsonl" 2>/dev/null
  rm -rf "$LOGS/study/models"
  cp "$LOGS/study/table.md" "$LOGS/study/runs.jsonl" "$OUT/" 2>/dev/null
fi
tar -czf "$OUT/logs_${STAGE:-features}.tgz" -C "$LOGS" .
echo "stage seconds: $(( $(date +%s) - start ))"
ls -la "$OUT"
