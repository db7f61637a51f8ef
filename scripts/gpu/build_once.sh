#!/usr/bin/env bash
# Device side: the zcnas source in /tmp/zcnas-src, built once with scripts/gpu/build.sh.
# A warm device keeps /tmp between calls made right after each other, so later calls find
# the binary and skip this. Run from the carried working tree's root:
#
#   bash scripts/gpu/build_once.sh LOG     # prints "build seconds: N" when it built
#
# Source: SNAPSHOT (a carried folder holding `git archive` of the commit to build; the
# device's copy of .git may lack recent commits), else COMMIT (default HEAD) from the local
# .git, else the working tree itself. FORCE=1 rebuilds even when the binary exists.
# Needs gpu-debs (scripts/gpu/fetch-debs.sh) carried in the working tree.
set -uo pipefail
LOG=${1:?usage: build_once.sh LOG}
ROOT=$PWD
SRC=/tmp/zcnas-src
[ -x "$SRC/build/gpu/tools/zcnas" ] && [ -z "${FORCE:-}" ] && exit 0
start=$(date +%s)
rm -rf "$SRC" && mkdir -p "$SRC"
if [ -n "${SNAPSHOT:-}" ]; then cp -r "$SNAPSHOT/." "$SRC/"
elif git rev-parse "${COMMIT:-HEAD}" >/dev/null 2>&1; then git archive "${COMMIT:-HEAD}" | tar -x -C "$SRC"
else cp -r . "$SRC"; fi
ln -sfn "$ROOT/gpu-debs" "$SRC/gpu-debs"
(cd "$SRC" && bash scripts/gpu/build.sh) > "$LOG" 2>&1 || { tail -60 "$LOG"; exit 1; }
echo "build seconds: $(( $(date +%s) - start ))"
