#!/usr/bin/env bash
# Real English text for the transformer proxies (docs/proxies.md, "Token inputs"):
#   1. corpus: every fortune of Debian's `fortunes` package (/usr/share/games/fortunes,
#      all files but the .dat indexes, the .u8 links and `ascii-art`), files in name order,
#      one fortune per line with its whitespace collapsed -> OUTDIR/fortunes.txt
#   2. tokenizer: a SentencePiece BPE model (Debian's `sentencepiece` spm_train, 8,000
#      pieces) trained on that corpus with one thread, a fixed seed and no sampling of
#      the input, so the same packages give the same model -> OUTDIR/fortunes_bpe8k.{model,vocab}
#   3. the corpus tokenized by that model (spm_encode, one fortune per line, ids separated by
#      spaces) -> OUTDIR/fortunes.ids, which zcnas reads. zcnas does not link libsentencepiece:
#      Debian's copy carries its own protobuf 3.14 runtime, which aborts in a process that also
#      loads the system protobuf 3.21 (ONNX); the CLI tools run in their own processes.
# OUTDIR defaults to $ZCNAS_TEXT_DIR, else ${XDG_DATA_HOME:-~/.local/share}/zcnas/text
# (where zcnas looks for it). Idempotent: does nothing when both files exist.
# Called by scripts/setup.sh and by the CMake configure step (into the build dir, for tests).
set -euo pipefail
OUT=${1:-${ZCNAS_TEXT_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/zcnas/text}}
SRC=${FORTUNES_DIR:-/usr/share/games/fortunes}
CORPUS=$OUT/fortunes.txt
PREFIX=$OUT/fortunes_bpe8k
if [ -s "$CORPUS" ] && [ -s "$PREFIX.model" ] && [ -s "$PREFIX.vocab" ] && [ -s "$OUT/fortunes.ids" ]; then
  echo "make-text-corpus: $OUT already has fortunes.txt, fortunes.ids and fortunes_bpe8k.{model,vocab}"
  exit 0
fi
if [ ! -d "$SRC" ]; then
  echo "make-text-corpus: $SRC missing: install Debian's fortunes package (scripts/install-deps.sh)" >&2
  exit 1
fi
if ! command -v spm_train >/dev/null || ! command -v spm_encode >/dev/null; then
  echo "make-text-corpus: spm_train missing: install Debian's sentencepiece package (scripts/install-deps.sh)" >&2
  exit 1
fi
mkdir -p "$OUT"
tmp=$(mktemp "$OUT/.corpus.XXXXXX")
trap 'rm -f "$tmp"' EXIT
# Fortune files are records separated by a line holding only '%'.
find "$SRC" -maxdepth 1 -type f ! -name '*.dat' ! -name '*.u8' ! -name 'ascii-art' -printf '%f\n' | LC_ALL=C sort |
  while read -r f; do cat "$SRC/$f"; printf '\n%%\n'; done |
  LC_ALL=C awk 'BEGIN { rec = "" }
    /^%$/ { if (rec != "") print rec; rec = ""; next }
    { gsub(/[ \t\r\f\v]+/, " "); sub(/^ /, ""); sub(/ $/, ""); if ($0 != "") rec = (rec == "" ? $0 : rec " " $0) }
    END { if (rec != "") print rec }' > "$tmp"
mv "$tmp" "$CORPUS"
trap - EXIT
spm_train --input="$CORPUS" --model_prefix="$PREFIX" --vocab_size=8000 --model_type=bpe \
  --character_coverage=1.0 --num_threads=1 --random_seed=1 --input_sentence_size=0 \
  --shuffle_input_sentence=false --max_sentence_length=65536 --minloglevel=2 > "$OUT/spm_train.log" 2>&1 ||
  { tail -5 "$OUT/spm_train.log" >&2; rm -f "$PREFIX.model" "$PREFIX.vocab"; exit 1; }
spm_encode --model="$PREFIX.model" --output_format=id < "$CORPUS" > "$OUT/.ids.tmp"
mv "$OUT/.ids.tmp" "$OUT/fortunes.ids"
echo "make-text-corpus: $(wc -l < "$CORPUS") fortunes, model $PREFIX.model, ids $OUT/fortunes.ids"
