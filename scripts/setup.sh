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
# The main job (until the search job of a later issue): how well NASLib's stored
# zero-cost proxies rank NAS-Bench-201 on CIFAR-10.
"$ZCNAS" correlate --space nb201 --dataset cifar10 --proxy all
