#!/usr/bin/env bash
# One device call (../shared/GPU.md): build zcnas and test_predictors against the
# host's CUDA libtorch (sysroot from gpu-debs, as build.sh), run the ParZC unit tests,
# import the benchmark tables, compute ParZC node statistics on the GPU, then run
# CMD (e.g. predictor training/evaluation on the host CPU).
#   carry: gpu-debs, gpu-data (a copy of ../shared/benchdata). Results in $OUT.
#   FEATURE_JOBS="dataset:N:seconds ..." (default "cifar10:3000:200"; features are
#   computed for N seeded samples until the seconds run out), CMD: commands run after.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/zcnas-gpu-out}
mkdir -p "$OUT" /tmp/shared
ln -sfn "$PWD/gpu-data" /tmp/shared/benchdata
[ -e ../shared/benchdata ] || { mkdir -p ../shared && ln -sfn "$PWD/gpu-data" ../shared/benchdata; }
SYSROOT=/tmp/zcnas-gpu-sysroot
mkdir -p "$SYSROOT"
for d in gpu-debs/*.deb; do dpkg -x "$d" "$SYSROOT"; done
export LD_LIBRARY_PATH=$SYSROOT/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
Z=build/gpu/tools/zcnas
DB=/tmp/parzc.db
# A database from an earlier call (carried as SEED_DB, gzipped) keeps its features.
if [ ! -e $DB ] && [ -n "${SEED_DB:-}" ] && [ -e "$SEED_DB" ]; then gunzip -c "$SEED_DB" > $DB; fi
if true; then
  # The host's CMake 4 rejects the install export (an imported dependency target
  # `dummy` is in no export set); this device copy of the tree needs no install rules.
  TORCH_PREFIX=$(python3 -c "import torch; print(torch.utils.cmake_prefix_path)")
  t0=$(date +%s)
  cmake -S . -B build/gpu -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_PREFIX_PATH="$TORCH_PREFIX;$SYSROOT/usr;$SYSROOT/usr/lib/x86_64-linux-gnu/cmake" \
    -DCMAKE_INCLUDE_PATH="$SYSROOT/usr/include" -DCMAKE_LIBRARY_PATH="$SYSROOT/usr/lib/x86_64-linux-gnu" \
    -DCMAKE_CXX_STANDARD_LIBRARIES="$SYSROOT/usr/lib/x86_64-linux-gnu/libprotobuf.so" \
    -DZCNAS_BUILD_BENCHMARKS=OFF -DZCNAS_INSTALL=OFF > "$OUT/build.log" 2>&1 &&
  ninja -C build/gpu zcnas test_predictors >> "$OUT/build.log" 2>&1 || { grep -B2 -A12 "error" "$OUT/build.log" | head -80; exit 1; }
  echo "build seconds: $(( $(date +%s) - t0 ))"
  build/gpu/tests/test_predictors ${TESTS:-} 2>&1 | tail -15
  $Z bench import --from /tmp/shared/benchdata --db $DB >> "$OUT/build.log" 2>&1 || { echo "import failed"; tail -3 "$OUT/build.log"; }
  for job in ${FEATURE_JOBS-cifar10:3000:200}; do
    IFS=: read -r ds n secs <<< "$job"
    timeout -s INT "$secs" $Z features --space nb201 --dataset "$ds" --sample "$n" --seed 0 --device cuda --chunk 32 --threads 4 \
      --db $DB --json > /tmp/features.json 2> /tmp/features.log
    echo "features $ds exit $?"; tail -2 /tmp/features.log; cat /tmp/features.json
    cat /tmp/features.log /tmp/features.json >> "$OUT/features.log"
  done
fi
# CMD: more commands (training/evaluation on the host CPU), run with Z, DB and OUT set.
[ -n "${CMD:-}" ] && eval "$CMD"
python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('PRAGMA wal_checkpoint(TRUNCATE)'); print('feature rows', c.execute('select dataset, count(*) from features group by dataset').fetchall())" $DB
gzip -c $DB > "$OUT/parzc.db.gz"; ls -la "$OUT"
