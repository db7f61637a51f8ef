#!/usr/bin/env bash
# Issue 10 correlation study: score every benchmark arch of the transformer spaces with the
# zero-cost proxies (zcnas score-space), then rank-correlate with the benchmark's ground truth
# (zcnas correlate). The tables in docs/RESULTS.md ("Transformer spaces") come from this script.
#
#   scripts/transformer_study.sh [flexibert|gpt|autoformer ...]   (default: all three)
#   env: Z (zcnas binary, default build/release/tools/zcnas), DB (default out/transformers.db),
#        THREADS (oneTBB workers, default 2), OUT (default out/transformer-study),
#        PROXIES_<SPACE> to override a space's proxy list, EXTRA (options for every score-space,
#        e.g. "--device cuda"), SECS (stop scoring a space after SECS seconds with SIGINT; the
#        finished archs are kept and a second run continues where this one stopped), CHUNK (archs
#        per database write, default 4: an interrupted run loses at most the chunks in flight).
# Needs the fortunes corpus (scripts/make-text-corpus.sh) for flexibert and gpt.
set -euo pipefail
cd "$(dirname "$0")/.."
Z=${Z:-build/release/tools/zcnas}
DB=${DB:-out/transformers.db}
OUT=${OUT:-out/transformer-study}
THREADS=${THREADS:-2}
BENCH=${ZCNAS_BENCHDATA:-../shared/benchdata}
mkdir -p "$OUT" "$(dirname "$DB")"
[ -e "$DB" ] || "$Z" bench import --from "$BENCH" --db "$DB" > "$OUT/import.txt"

# Archs: the benchmark's ids (first CSV column), in file order.
ids() { tail -n +2 "$BENCH/$1" | cut -d, -f1 > "$OUT/$2.ids"; echo "$OUT/$2.ids"; }

NLP="params,synflow,snip,grad_norm,nwot,meco,wpca,pca,head_confidence,head_softmax_confidence,activation_distance,synaptic_diversity"
PROXIES_flexibert=${PROXIES_flexibert:-$NLP}
# gpt: the LM head runs for snip / grad_norm (next-token loss), so batch 8 x 192 tokens.
PROXIES_gpt=${PROXIES_gpt:-$NLP,params_nonembedding}
PROXIES_autoformer=${PROXIES_autoformer:-params,synflow,snip,grad_norm,nwot,meco,dextr}

run() {  # space dataset csv batch metric
  local space=$1 ds=$2 csv=$3 batch=$4 metric=$5 var="PROXIES_$1"
  local t0=$(date +%s)
  ${SECS:+timeout -s INT -k 30 "$SECS"} "$Z" score-space --space "$space" --dataset "$ds" \
    --archs-file "$(ids "$csv" "$space")" --proxy "${!var}" --seed 0 --batch-size "$batch" --threads "$THREADS" --chunk "${CHUNK:-4}" \
    --db "$DB" ${EXTRA:-} >> "$OUT/$space.score.txt" 2>&1 || echo "$space: score-space stopped (rc $?)" | tee -a "$OUT/times.txt"
  echo "$space: scored in $(( $(date +%s) - t0 )) s" | tee -a "$OUT/times.txt"
  # FlexiBERT: beside the true count of the built network (params), the harness's count of
  # NAS-Bench-BERT (imported as bench:params_harness) that the published tau 0.446 uses.
  local corr=${!var}
  [ "$space" = flexibert ] && corr+=",bench:params_harness"
  local c=("$Z" correlate --space "$space" --dataset "$ds" ${metric:+--metric "$metric"} --proxy "$corr" --db "$DB"
           --bootstrap 1000 --seed 0)
  "${c[@]}" > "$OUT/$space.correlate.txt"
  "${c[@]}" --json > "$OUT/$space.correlate.json"
  cat "$OUT/$space.correlate.txt"
}

for s in "${@:-flexibert gpt autoformer}"; do
  for space in $s; do
    case $space in
      flexibert) run flexibert glue flexibert.csv 32 "" ;;
      gpt) run gpt wt103 gpt2_wt103.csv 8 valid_ppl ;;
      autoformer) run autoformer cifar100 autoformer_tiny.csv 32 top1 ;;
      *) echo "transformer_study: unknown space $space" >&2; exit 2 ;;
    esac
  done
done
