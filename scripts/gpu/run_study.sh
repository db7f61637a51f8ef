#!/usr/bin/env bash
# One device call (see ../shared/GPU.md): build zcnas against the host's CUDA
# libtorch, compare proxy speed with the NASLib-style Python reference on the
# same GPU, then score NB201 archs on the GPU until the time budget runs out.
#   carry: gpu-debs (scripts/gpu/fetch-debs.sh) and gpu-data (a copy of
#   ../shared/benchdata/{cifar10,nasbench201.csv}); results go to $OUT.
#   SCORE_SECONDS (default 240), N_ARCHS (default 21), PROXIES (the scored set).
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/zcnas-gpu-out}
mkdir -p "$OUT" ../shared
[ -e ../shared/benchdata ] || ln -sfn "$PWD/gpu-data" ../shared/benchdata
nvidia-smi -L > "$OUT/gpu.txt" 2>&1
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available())' >> "$OUT/gpu.txt" 2>&1
t0=$(date +%s)
bash scripts/gpu/build.sh > "$OUT/build.log" 2>&1 || { tail -40 "$OUT/build.log"; exit 1; }
echo "build seconds: $(( $(date +%s) - t0 ))" | tee -a "$OUT/gpu.txt"
export LD_LIBRARY_PATH=/tmp/zcnas-gpu-sysroot/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
N=${N_ARCHS:-21}
PYTHONUNBUFFERED=1 python3 -W ignore tools/reference/naslib_style.py --archs "$N" --seed 1 --device cuda \
  --json "$OUT/py_cuda.json" > "$OUT/py_cuda.txt" 2>&1 || tail -20 "$OUT/py_cuda.txt"
python3 -c "import json,sys; print('\n'.join(json.load(open(sys.argv[1]))['archs']))" "$OUT/py_cuda.json" > /tmp/archs.txt
build/gpu/tools/bench_proxies --archs-file /tmp/archs.txt --device cuda --json "$OUT/cpp_cuda.json" > "$OUT/cpp_cuda.txt" 2>&1 \
  || tail -20 "$OUT/cpp_cuda.txt"
cat "$OUT/py_cuda.txt" "$OUT/cpp_cuda.txt"
PROXIES=${PROXIES:-synflow,snip,grasp,fisher,grad_norm,jacov,nwot,plain,l2_norm,epe_nas,zen,meco,dextr,params,flops}
timeout -s INT "${SCORE_SECONDS:-240}" build/gpu/tools/zcnas score-space --db "$OUT/gpu.db" --space nb201 --dataset cifar10 \
  --sample 1000 --seed 0 --device cuda --chunk 16 --proxy "$PROXIES" > "$OUT/score_space.txt" 2>&1
echo "score-space exit $?"; tail -5 "$OUT/score_space.txt"
python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('PRAGMA wal_checkpoint(TRUNCATE)'); print('rows', c.execute('select count(*) from scores').fetchone())" "$OUT/gpu.db"
