#!/usr/bin/env bash
# Fresh Debian 12 machine -> packages, Release build, benchmark data imported into
# the default database, and the main job. Idempotent: a second run reuses the
# packages, the build and the database (the import reports "nothing changed").
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
ZCNAS=build/release/tools/zcnas
"$ZCNAS" bench import
# Real text for the transformer proxies: the fortunes corpus and its SentencePiece tokenizer
# (~7 s; into ~/.local/share/zcnas/text, where zcnas looks for it; docs/proxies.md).
scripts/make-text-corpus.sh
# The main job: a zero-cost search on NAS-Bench-201 / CIFAR-10 (configs/): rank 300
# seeded cells with synflow computed by zcnas, query the benchmark for the best 10.
# A second run finds every score in the database cache and takes about a second.
"$ZCNAS" search --config configs/nb201_cifar10_quick.yaml
