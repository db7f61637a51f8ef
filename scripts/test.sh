#!/usr/bin/env bash
# The whole unit test suite: installs missing packages, builds Release if needed,
# runs ctest (label "unit"; `ctest --test-dir build/release -L slow` for the long ones).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
ctest --test-dir build/release -L unit --output-on-failure
