#!/usr/bin/env bash
# Configures (once) and builds the Release preset into build/release. Incremental.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f build/release/CMakeCache.txt ]; then
  cmake --preset release
fi
cmake --build build/release -j"$(nproc)"
